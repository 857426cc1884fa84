#include "core/face/face_assets.h"

#include "core/face/albedo.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"

namespace faceg2e::face {

namespace {
// ICT-FaceKit parts 15 and 16 are the eyelashes (ict-facekit README, part table).
bool is_eyelash_part(int part) { return part == 15 || part == 16; }
}  // namespace

std::vector<std::uint8_t> drawn_triangles(const FaceModel& model, const UvAtlas& atlas) {
  std::vector<std::uint8_t> keep(static_cast<std::size_t>(model.num_faces), 1);
  for (int f = 0; f < model.num_faces; ++f) {
    const bool eyelash = is_eyelash_part(model.face_part[f]);
    const bool overlay = !atlas.face_opaque.empty() && atlas.face_opaque[f] == 0;
    if (eyelash || overlay) keep[f] = 0;
  }
  return keep;
}

FaceAssets FaceAssets::from_model(FaceModel model, std::string* warning) {
  FaceAssets a;
  a.model = std::move(model);
  a.atlas = build_uv_atlas(a.model);
  a.drawn = drawn_triangles(a.model, a.atlas);
  const std::filesystem::path dir = find_regions_dir(a.model);
  if (!dir.empty()) {
    try {
      a.regions = load_regions(dir, a.model.num_vertices);
    } catch (const Error& e) {
      if (warning) *warning = std::string("region labels not used: ") + e.what();
    }
  }
  return a;
}

FaceAssets FaceAssets::load(const std::optional<std::filesystem::path>& explicit_model,
                            std::string* warning) {
  const std::filesystem::path path = require_face_model(explicit_model);
  FaceAssets a = from_model(load_f3dm(path), warning);
  a.model_path = path;
  return a;
}

Image8 FaceAssets::default_albedo(int size) const {
  return face::default_albedo(model, atlas, size, region_labels());
}

}  // namespace faceg2e::face
