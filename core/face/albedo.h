#pragma once
// A plausible default albedo in the atlas layout of uv_atlas.h: neutral skin, darker brows,
// red lips, a white sclera with a brown iris and dark pupil, pink gums and tongue, ivory teeth.
// Smooth (region borders are blurred), continuous across the borders between atlas cells
// (level_seams), and every texel of every cell is filled, so it needs no extra padding.
// Torch-free.
#include <array>

#include "core/face/face_model.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/util/image_io.h"

namespace faceg2e::face {

struct AlbedoParams {
  using Rgb = std::array<float, 3>;  // linear 0..255 sRGB values
  Rgb skin{198, 150, 122};           // a mid, neutral skin tone
  Rgb scalp{180, 136, 112};          // back of the head and neck, a little darker
  Rgb lips{168, 82, 84};
  Rgb brows{92, 66, 50};
  Rgb eye_region{186, 138, 114};
  Rgb mouth_socket{110, 40, 45};
  Rgb eye_socket{150, 100, 90};
  Rgb sclera{232, 226, 220};
  Rgb iris{96, 64, 40};  // brown
  Rgb pupil{18, 14, 12};
  Rgb gums_tongue{190, 90, 100};
  Rgb teeth{236, 228, 205};
  Rgb untextured{40, 34, 30};  // eyelashes and the other non-atlas faces
  // Radii in the eyeball UVs (distance from the tile centre), measured on the ICT eyes: the
  // iris (~0.6 cm) spans r < 0.12 of the sclera/cornea UVs and r < 0.42 of the iris UVs; the
  // pupil about a third of it.
  float sclera_iris_radius = 0.12f;
  float sclera_pupil_radius = 0.045f;
  float iris_radius = 0.42f;
  float iris_pupil_radius = 0.15f;
  // Brow strength (brow label colour mixed into skin) and blur radius in texels per 1024.
  float brow_mix = 0.6f;
  float blur_radius_per_1024 = 3.0f;
  // Make the colours agree where the atlas cells meet on the mesh (face tile / head-and-neck tile
  // across the crown and neck, lips and lids / mouth and eye sockets): atlas_seams.h. Without it
  // the crown shows a line from ear to ear. Measured at 1K (mean |dRGB| over the 362 cross-cell
  // edges, measure_atlas_seams): 15.6 unlevelled, 1.1 levelled (p95 3.9); +0.6 s.
  bool level_seams = true;
};

// `regions` may be null (labels not available): the face cell is then plain skin with lips.
// `channels` 3 (RGB) or 4 (RGBA, opaque). Throws faceg2e::Error on a bad size.
Image8 default_albedo(const FaceModel& model, const UvAtlas& atlas, int size,
                      const RegionLabels* regions, const AlbedoParams& params = {},
                      int channels = 3);

}  // namespace faceg2e::face
