#pragma once
// Approximate semantic regions of the ICT face (skin, lips, eye regions, brows, nose, ...): names
// and display colours (regions.json), one label per vertex (regions_vertex_labels.bin) and a
// label image of UV tile 0 (regions_uv_labels_1024.png, row 0 = v = 1). For overlays, the
// default albedo, and measuring where an edit acted. Torch-free.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/face/face_model.h"
#include "core/util/image_io.h"

namespace faceg2e::face {

struct RegionLabels {
  std::vector<std::string> names;                   // label id -> name ("skin", "lips", ...)
  std::vector<std::array<std::uint8_t, 3>> colors;  // label id -> display colour
  std::vector<std::uint8_t> vertex_labels;          // V label ids
  Image8 uv_labels;                                 // tile 0 labels (1 channel); may be empty

  // Label id of `name`, or -1.
  int find(const std::string& name) const;
  // V*3 per-vertex display colours in [0,1] (for overlays).
  std::vector<float> vertex_colors() const;
};

// Reads regions.json, regions_vertex_labels.bin (must hold `num_vertices` bytes with ids below
// the label count) and, when present, regions_uv_labels_1024.png from `dir`. Throws
// NotFoundError / FormatError naming the file.
RegionLabels load_regions(const std::filesystem::path& dir, int num_vertices);

// Where the region files are for this model: the model file's folder when it holds
// regions.json, else the shared data folder (shared_dir()/data/ict-facekit). Empty path when
// neither has them (e.g. a model installed by fetch-face-model.sh alone).
std::filesystem::path find_regions_dir(const FaceModel& model);

}  // namespace faceg2e::face
