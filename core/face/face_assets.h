#pragma once
// Everything about the face that does not change during a run, loaded once and shared by the
// pipeline, the exports and the GUI: the model, its UV atlas, its region labels (when found) and
// the one rule for which triangles are drawn. Torch-free.
//
// The rule: eyelashes and the transparent eye overlays (eye occlusion, eye blend, lacrimal
// fluid) are not drawn anywhere -- not in optimisation renders, the viewport or the exports.
// Drawn opaque they hide the eyes (optimisation stalls at 0.13-0.2 cm, measured) and read as a
// black band of make-up; they carry no texture of their own. One rule, so the viewport shows
// exactly the triangles the optimizer sees.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/face/face_model.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/util/image_io.h"

namespace faceg2e::face {

// Per triangle: 1 when drawn (see the rule above).
std::vector<std::uint8_t> drawn_triangles(const FaceModel& model, const UvAtlas& atlas);

struct FaceAssets {
  std::filesystem::path model_path;      // where the model was read from (empty: in memory)
  FaceModel model;
  UvAtlas atlas;
  std::optional<RegionLabels> regions;   // absent when no labels were found beside the model
  std::vector<std::uint8_t> drawn;       // drawn_triangles(model, atlas)

  // Reads the face model (face-model lookup order of core/util/data_paths.h), builds the atlas
  // and the triangle rule, and loads region labels when they can be found (a broken label file
  // is reported through `warning` and skipped: the face works without).
  static FaceAssets load(const std::optional<std::filesystem::path>& explicit_model,
                         std::string* warning = nullptr);
  // From a model already in memory (tests, importers).
  static FaceAssets from_model(FaceModel model, std::string* warning = nullptr);

  bool is_drawn(int triangle) const { return drawn[static_cast<std::size_t>(triangle)] != 0; }
  const RegionLabels* region_labels() const { return regions ? &*regions : nullptr; }
  // The default albedo atlas (face/albedo.h) at size x size, with the region labels when known.
  Image8 default_albedo(int size) const;
};

}  // namespace faceg2e::face
