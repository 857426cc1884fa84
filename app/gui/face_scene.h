#pragma once
// The face being shown: the shared FaceAssets (model, atlas, regions, the drawn-triangle rule),
// the coefficients the sliders edit, and what the renderer needs from them. The viewport draws
// exactly the triangles FaceAssets::drawn says the optimizer sees (no eyelashes, no transparent
// eye overlays).
#include <memory>
#include <string>
#include <vector>

#include "core/face/face_assets.h"
#include "core/pipeline/stage.h"
#include "core/session/face_state.h"
#include "ui/editor_state.h"

namespace faceg2e::render {
class MeshRenderer;
}

namespace faceg2e::gui {

struct FaceSceneParams {
  int albedo_size = 1024;  // default albedo atlas resolution
};

class FaceScene {
 public:
  explicit FaceScene(std::shared_ptr<const face::FaceAssets> assets,
                     const FaceSceneParams& params = {});

  const ui::ModelInfo& info() const { return info_; }
  ui::FaceCoefficientsState& coefficients() { return coefficients_; }
  const face::FaceAssets& assets() const { return *assets_; }
  // The positions last sent to the renderer (V*3), for picking.
  const std::vector<float>& positions() const { return positions_; }

  // First upload: topology (drawn triangles only), UVs, default texture, region colours.
  void upload_all(render::MeshRenderer& renderer);
  // After a slider change: assemble positions and normals from the sliders and send them.
  void upload_shape(render::MeshRenderer& renderer);
  // A document face (null = the default face): sliders take its coefficients, the texture its
  // albedo (the default albedo when it has none).
  void show_state(render::MeshRenderer& renderer, const session::FaceState* state);
  // A running stage's snapshot: positions/normals as they are, the albedo preview when present.
  void show_live(render::MeshRenderer& renderer, const pipeline::FaceSnapshot& live);

 private:
  face::FaceCoefficients current() const;
  void upload_albedo(render::MeshRenderer& renderer, const session::FloatImage* albedo);

  FaceSceneParams params_;
  std::shared_ptr<const face::FaceAssets> assets_;
  ui::ModelInfo info_;
  ui::FaceCoefficientsState coefficients_;
  std::vector<std::int32_t> display_faces_;  // the drawn triangles
  std::vector<std::int32_t> display_faces_uv_;
  bool default_albedo_shown_ = false;
  std::vector<float> positions_;
};

// RGB or grey floats in [0, 1] -> RGBA8 for the renderer.
std::vector<std::uint8_t> to_rgba8(const session::FloatImage& image);

}  // namespace faceg2e::gui
