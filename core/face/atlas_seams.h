#pragma once
// Colour seams where the atlas cells meet on the mesh. ICT-FaceKit cuts the head into UV tiles
// (face, head-and-neck, ...); a mesh edge whose two triangles lie in different cells is drawn
// from two places of the texture, so any colour difference between them shows as a line on the
// model (across the crown from ear to ear, around the neck, at the lips and lids). Torch-free.
//
// measure_atlas_seams() is the figure a test asserts for the default face and bench/RESULTS.md
// reports for generated faces; level_atlas_seams() removes such seams from a texture.
#include <cstddef>
#include <vector>

#include "core/face/face_model.h"
#include "core/face/uv_atlas.h"
#include "core/util/image_io.h"

namespace faceg2e::face {

struct SeamReport {
  std::size_t edges = 0;    // mesh edges whose two atlas-textured triangles lie in different cells
  std::size_t samples = 0;  // points compared (samples_per_edge per edge)
  double mean_abs = 0;      // mean |ΔRGB| over samples and channels, 0..255 units
  double p95_abs = 0;       // 95th percentile of the per-sample mean over channels
  double max_abs = 0;       // worst per-sample mean over channels
};

struct SeamMeasureParams {
  int samples_per_edge = 5;  // evenly spaced inside the edge (ends excluded)
  // Each side is sampled this many texels inside its own triangle (toward its third corner), so
  // bilinear filtering reads the island's texels rather than the gutter past its border.
  float inset_texels = 1.0f;
};

// Compares the texture on the two sides of every cross-cell edge (bilinear, RGB of `albedo`,
// which may be any square size; 3 or 4 channels). Throws faceg2e::Error on a bad image.
SeamReport measure_atlas_seams(const FaceModel& model, const UvAtlas& atlas, const Image8& albedo,
                               const SeamMeasureParams& params = {});

struct SeamLevelParams {
  // The correction (each side moved to the mean of both at the seam vertices) fades out over the
  // mesh: each Jacobi step keeps this fraction of the neighbours' mean. 0.96 over 80 steps spreads
  // a step of colour over roughly 5-10 rings of vertices, so no new line appears beside the seam.
  float keep = 0.96f;
  int iterations = 80;
  int dilate_texels = 6;  // the correction also covers this gutter past the islands
  SeamMeasureParams sampling;
};

// Levels `rgb` (size x size x 3 floats, 0..255, row 0 = v = 1) in place: a smooth per-UV offset
// field that is zero away from the seams and makes both sides agree at every seam vertex.
void level_atlas_seams(const FaceModel& model, const UvAtlas& atlas, int size,
                       std::vector<float>& rgb, const SeamLevelParams& params = {});

}  // namespace faceg2e::face
