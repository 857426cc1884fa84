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

FaceScene::FaceScene(face::FaceModel model, const FaceSceneParams& params)
    : params_(params), model_(std::move(model)) {
  info_.source = model_.source.string();
  info_.license_note = first_line(model_.license_text);
  info_.num_vertices = model_.num_vertices;
  info_.num_triangles = model_.num_faces;
  info_.num_uvs = model_.num_uvs;
  info_.identity_names = model_.identity_names;
  info_.expression_names = model_.expression_names;
  coefficients_.identity.assign(model_.num_identity, 0.0f);
  coefficients_.expression.assign(model_.num_expression, 0.0f);

  // The atlas and the regions are optional: a model without them still shows, untextured.
  try {
    atlas_ = face::build_uv_atlas(model_);
  } catch (const std::exception& e) {
    warnings_.push_back(std::string("no texture atlas for this model: ") + e.what());
  }
  try {
    const auto dir = face::find_regions_dir(model_);
    if (dir.empty())
      warnings_.push_back("no region labels found next to the model or in the shared data folder");
    else
      regions_ = face::load_regions(dir, model_.num_vertices);
  } catch (const std::exception& e) {
    warnings_.push_back(std::string("region labels not loaded: ") + e.what());
  }

  // The one drawn-triangle rule (face/face_assets.h): no eyelashes (an opaque black band on the
  // lids) and no transparent eye overlays (dark crescents under the eyes), as in the exports and
  // the optimisation renders.
  std::vector<std::uint8_t> drawn(static_cast<std::size_t>(model_.num_faces), 1);
  if (atlas_) drawn = face::drawn_triangles(model_, *atlas_);
  for (int f = 0; f < model_.num_faces; ++f) {
    if (!drawn[f]) continue;
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
  renderer.set_mesh(positions, normals, atlas_ ? atlas_->uvs : model_.uvs, display_faces_,
                    display_faces_uv_);
  if (atlas_) {
    const Image8 albedo = face::default_albedo(model_, *atlas_, params_.albedo_size,
                                               regions_ ? &*regions_ : nullptr, {}, 4);
    renderer.set_texture(albedo.pixels.data(), static_cast<std::uint32_t>(albedo.width),
                         static_cast<std::uint32_t>(albedo.height));
  } else {
    const std::uint8_t skin[4] = {198, 150, 122, 255};
    renderer.set_texture(skin, 1, 1);
  }
  if (regions_) {
    const std::vector<float> colors = regions_->vertex_colors();
    std::vector<std::uint8_t> rgba(static_cast<std::size_t>(model_.num_vertices) * 4);
    for (int v = 0; v < model_.num_vertices; ++v) {
      for (int k = 0; k < 3; ++k)
        rgba[4 * v + k] =
            static_cast<std::uint8_t>(std::clamp(colors[3 * v + k], 0.0f, 1.0f) * 255.0f + 0.5f);
      // Label 0 is "background": no overlay there.
      rgba[4 * v + 3] = regions_->vertex_labels[v] == 0 ? 0 : 255;
    }
    renderer.set_vertex_labels(rgba);
  }
}

void FaceScene::upload_shape(render::MeshRenderer& renderer) {
  const std::vector<float> positions = face::assemble_vertices(model_, current());
  renderer.update_positions_normals(positions, face::vertex_normals(positions, model_.faces));
}

std::string FaceScene::export_obj(const std::filesystem::path& path) const {
  if (path.empty()) throw Error("export: enter a .obj file or a folder");
  if (!atlas_)
    throw Error(
        "export: this model has no texture atlas, so it cannot be exported as a textured OBJ");
  std::filesystem::path out_dir = path;
  session::ExportOptions options;
  if (path.extension() == ".obj" || path.extension() == ".OBJ") {
    out_dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    options.basename = path.stem().string();
  }
  session::FaceState state;
  state.coeffs = current();
  const auto result = session::export_obj(model_, *atlas_, state, out_dir, options,
                                          regions_ ? &*regions_ : nullptr);
  return "wrote " + result.obj.string() + " (+ .mtl, albedo PNG, .json)";
}

}  // namespace faceg2e::gui
