#include "app/gui/face_scene.h"

#include <sstream>

#include "core/util/error.h"
#include "render/mesh_renderer.h"

namespace faceg2e::gui {

namespace {

// The licence travels with the model; the panel shows its first line.
std::string first_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) return line;
  return {};
}

// Upstream parts that ICT-FaceKit renders as transparent layers over the eyes (lacrimal fluid,
// eye blend, eye occlusion). Drawn opaque they cover the eyeballs, so the viewport hides them;
// exports keep every part.
constexpr int k_first_transparent_part = 9;
constexpr int k_last_transparent_part = 14;

}  // namespace

FaceScene::FaceScene(face::FaceModel model) : model_(std::move(model)) {
  info_.source = model_.source.string();
  info_.license_note = first_line(model_.license_text);
  info_.num_vertices = model_.num_vertices;
  info_.num_triangles = model_.num_faces;
  info_.num_uvs = model_.num_uvs;
  info_.identity_names = model_.identity_names;
  info_.expression_names = model_.expression_names;
  coefficients_.identity.assign(model_.num_identity, 0.0f);
  coefficients_.expression.assign(model_.num_expression, 0.0f);
  for (int f = 0; f < model_.num_faces; ++f) {
    const int part = model_.face_part.empty() ? 0 : model_.face_part[f];
    if (part >= k_first_transparent_part && part <= k_last_transparent_part) continue;
    for (int k = 0; k < 3; ++k) {
      display_faces_.push_back(model_.faces[3 * f + k]);
      display_faces_uv_.push_back(model_.faces_uv[3 * f + k]);
    }
  }
}

face::FaceCoefficients FaceScene::current() const {
  face::FaceCoefficients c;
  c.identity = coefficients_.identity;
  c.expression = coefficients_.expression;
  return c;
}

void FaceScene::upload_all(render::MeshRenderer& renderer) {
  const std::vector<float> positions = face::assemble_vertices(model_, current());
  const std::vector<float> normals = face::vertex_normals(positions, model_.faces);
  renderer.set_mesh(positions, normals, model_.uvs, display_faces_, display_faces_uv_);
  // A neutral skin tone until a default albedo is available.
  const std::uint8_t skin[4] = {214, 178, 156, 255};
  renderer.set_texture(skin, 1, 1);
}

void FaceScene::upload_shape(render::MeshRenderer& renderer) {
  const std::vector<float> positions = face::assemble_vertices(model_, current());
  renderer.update_positions_normals(positions, face::vertex_normals(positions, model_.faces));
}

std::string FaceScene::export_obj(const std::filesystem::path& path) const {
  throw Error("OBJ export is not available yet (core/session/export_obj.h); nothing was written to " + path.string());
}

}  // namespace faceg2e::gui
