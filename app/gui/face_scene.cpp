#include "app/gui/face_scene.h"

#include <algorithm>
#include <sstream>

#include "core/face/albedo.h"
#include "core/face/face_assets.h"
#include "core/session/export_obj.h"
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

}  // namespace

FaceScene::FaceScene(face::FaceModel model, const FaceSceneParams& params) : params_(params) {
  std::string warning;
  assets_ = face::FaceAssets::from_model(std::move(model), &warning);
  if (!warning.empty()) warnings_.push_back(warning);
  if (!assets_.regions)
    warnings_.push_back("no region labels found next to the model or in the shared data folder");
  const face::FaceModel& m = assets_.model;
  info_.source = m.source.string();
  info_.license_note = first_line(m.license_text);
  info_.num_vertices = m.num_vertices;
  info_.num_triangles = m.num_faces;
  info_.num_uvs = m.num_uvs;
  info_.identity_names = m.identity_names;
  info_.expression_names = m.expression_names;
  coefficients_.identity.assign(m.num_identity, 0.0f);
  coefficients_.expression.assign(m.num_expression, 0.0f);

  // The viewport draws exactly the triangles the optimizer renders and the exports write.
  for (int f = 0; f < m.num_faces; ++f) {
    if (!assets_.is_drawn(f)) continue;
    for (int k = 0; k < 3; ++k) {
      display_faces_.push_back(m.faces[3 * f + k]);
      display_faces_uv_.push_back(m.faces_uv[3 * f + k]);
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
  const face::FaceModel& model = assets_.model;
  const auto& regions = assets_.regions;
  const std::vector<float> positions = face::assemble_vertices(model, current());
  const std::vector<float> normals = face::vertex_normals(positions, model.faces);
  renderer.set_mesh(positions, normals, assets_.atlas.uvs, display_faces_, display_faces_uv_);
  {
    const Image8 albedo = face::default_albedo(model, assets_.atlas, params_.albedo_size,
                                               assets_.region_labels(), {}, 4);
    renderer.set_texture(albedo.pixels.data(), static_cast<std::uint32_t>(albedo.width),
                         static_cast<std::uint32_t>(albedo.height));
  }
  if (regions) {
    const std::vector<float> colors = regions->vertex_colors();
    std::vector<std::uint8_t> rgba(static_cast<std::size_t>(model.num_vertices) * 4);
    for (int v = 0; v < model.num_vertices; ++v) {
      for (int k = 0; k < 3; ++k)
        rgba[4 * v + k] =
            static_cast<std::uint8_t>(std::clamp(colors[3 * v + k], 0.0f, 1.0f) * 255.0f + 0.5f);
      // Label 0 is "background": no overlay there.
      rgba[4 * v + 3] = regions->vertex_labels[v] == 0 ? 0 : 255;
    }
    renderer.set_vertex_labels(rgba);
  }
}

void FaceScene::upload_shape(render::MeshRenderer& renderer) {
  const std::vector<float> positions = face::assemble_vertices(assets_.model, current());
  renderer.update_positions_normals(positions,
                                    face::vertex_normals(positions, assets_.model.faces));
}

std::string FaceScene::export_obj(const std::filesystem::path& path) const {
  if (path.empty()) throw Error("export: enter a .obj file or a folder");
  std::filesystem::path out_dir = path;
  session::ExportOptions options;
  if (path.extension() == ".obj" || path.extension() == ".OBJ") {
    out_dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    options.basename = path.stem().string();
  }
  session::FaceState state;
  state.coeffs = current();
  const auto result = session::export_obj(assets_, state, out_dir, options);
  return "wrote " + result.obj.string() + " (+ .mtl, albedo PNG, .json)";
}

}  // namespace faceg2e::gui
