#pragma once
// The face being shown: the loaded model, its atlas, regions and default albedo, its current
// coefficients, and what the renderer needs from them. Re-assembles the mesh only when asked
// (the app asks when a slider changed).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/face/face_assets.h"
#include "core/face/face_model.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/util/image_io.h"
#include "ui/editor_state.h"

namespace faceg2e::render {
class MeshRenderer;
}

namespace faceg2e::gui {

struct FaceSceneParams {
  int albedo_size = 1024;  // default albedo atlas resolution (export default: 1024 too)
};

class FaceScene {
 public:
  explicit FaceScene(face::FaceModel model, const FaceSceneParams& params = {});

  const ui::ModelInfo& info() const { return info_; }
  ui::FaceCoefficientsState& coefficients() { return coefficients_; }
  const face::FaceModel& model() const { return assets_.model; }
  bool has_regions() const { return assets_.regions.has_value(); }
  // Problems met while loading optional parts (atlas, regions), for the log.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // First upload: topology, UVs, texture, region colours.
  void upload_all(render::MeshRenderer& renderer);
  // After a slider change: assemble V positions and normals and send them.
  void upload_shape(render::MeshRenderer& renderer);

  // Exports OBJ + MTL + albedo PNG + JSON with the same code as `faceg2e-cli export`. `path` is
  // either a .obj file (its folder and stem name the outputs) or a folder (files named face.*).
  // Returns a one-line summary; throws faceg2e::Error on failure.
  std::string export_obj(const std::filesystem::path& path) const;

 private:
  face::FaceCoefficients current() const;

  FaceSceneParams params_;
  face::FaceAssets assets_;
  ui::ModelInfo info_;
  ui::FaceCoefficientsState coefficients_;
  std::vector<std::int32_t> display_faces_;  // the opaque triangles the viewport draws
  std::vector<std::int32_t> display_faces_uv_;
  std::vector<std::string> warnings_;
};

}  // namespace faceg2e::gui
