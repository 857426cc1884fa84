#pragma once
// The face being shown: the loaded model, its current coefficients, and what the renderer needs
// from them. Re-assembles the mesh only when the coefficients changed.
#include <filesystem>
#include <string>

#include "core/face/face_model.h"
#include "ui/editor_state.h"

namespace faceg2e::render {
class MeshRenderer;
}

namespace faceg2e::gui {

class FaceScene {
 public:
  explicit FaceScene(face::FaceModel model);

  const ui::ModelInfo& info() const { return info_; }
  ui::FaceCoefficientsState& coefficients() { return coefficients_; }
  const face::FaceModel& model() const { return model_; }

  // First upload: topology, UVs, texture, region colours.
  void upload_all(render::MeshRenderer& renderer);
  // After a slider change: assemble V positions and normals and send them.
  void upload_shape(render::MeshRenderer& renderer);

  // Writes the current mesh as OBJ (with its MTL/texture where the export supports it).
  std::string export_obj(const std::filesystem::path& path) const;

 private:
  face::FaceCoefficients current() const;

  face::FaceModel model_;
  ui::ModelInfo info_;
  ui::FaceCoefficientsState coefficients_;
  std::vector<std::int32_t> display_faces_;     // the triangles the viewport draws
  std::vector<std::int32_t> display_faces_uv_;
};

}  // namespace faceg2e::gui
