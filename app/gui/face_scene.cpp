#include "app/gui/face_scene.h"

#include <algorithm>
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

std::uint8_t to_byte(float v) {
  return static_cast<std::uint8_t>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
}

}  // namespace

std::vector<std::uint8_t> to_rgba8(const session::FloatImage& image) {
  const std::size_t n = static_cast<std::size_t>(image.width) * image.height;
  std::vector<std::uint8_t> rgba(n * 4, 255);
  const int c = image.channels;
  for (std::size_t i = 0; i < n; ++i)
    for (int k = 0; k < 3; ++k) rgba[4 * i + k] = to_byte(image.data[i * c + (c >= 3 ? k : 0)]);
  return rgba;
}

FaceScene::FaceScene(std::shared_ptr<const face::FaceAssets> assets, const FaceSceneParams& params)
    : params_(params), assets_(std::move(assets)) {
  const face::FaceModel& m = assets_->model;
  info_.source = m.source.string();
  info_.license_note = first_line(m.license_text);
  info_.num_vertices = m.num_vertices;
  info_.num_triangles = m.num_faces;
  info_.num_uvs = m.num_uvs;
  info_.identity_names = m.identity_names;
  info_.expression_names = m.expression_names;
  coefficients_.identity.assign(m.num_identity, 0.0f);
  coefficients_.expression.assign(m.num_expression, 0.0f);
  for (int f = 0; f < m.num_faces; ++f) {
    if (!assets_->is_drawn(f)) continue;
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

void FaceScene::upload_albedo(render::MeshRenderer& renderer, const session::FloatImage* albedo) {
  if (albedo && !albedo->empty()) {
    const auto rgba = to_rgba8(*albedo);
    renderer.set_texture(rgba.data(), static_cast<std::uint32_t>(albedo->width),
                         static_cast<std::uint32_t>(albedo->height));
    default_albedo_shown_ = false;
    return;
  }
  if (default_albedo_shown_) return;
  Image8 a = assets_->default_albedo(params_.albedo_size);
  std::vector<std::uint8_t> rgba(static_cast<std::size_t>(a.width) * a.height * 4, 255);
  for (std::size_t i = 0; i < static_cast<std::size_t>(a.width) * a.height; ++i)
    for (int k = 0; k < 3; ++k)
      rgba[4 * i + k] = a.pixels[i * a.channels + (a.channels >= 3 ? k : 0)];
  renderer.set_texture(rgba.data(), static_cast<std::uint32_t>(a.width),
                       static_cast<std::uint32_t>(a.height));
  default_albedo_shown_ = true;
}

void FaceScene::upload_all(render::MeshRenderer& renderer) {
  const face::FaceModel& m = assets_->model;
  positions_ = face::assemble_vertices(m, current());
  const std::vector<float> normals = face::vertex_normals(positions_, m.faces);
  renderer.set_mesh(positions_, normals, assets_->atlas.uvs, display_faces_, display_faces_uv_);
  upload_albedo(renderer, nullptr);
  if (const face::RegionLabels* regions = assets_->region_labels()) {
    const std::vector<float> colors = regions->vertex_colors();
    std::vector<std::uint8_t> rgba(static_cast<std::size_t>(m.num_vertices) * 4);
    for (int v = 0; v < m.num_vertices; ++v) {
      for (int k = 0; k < 3; ++k) rgba[4 * v + k] = to_byte(colors[3 * v + k]);
      // Label 0 is "background": no overlay there.
      rgba[4 * v + 3] = regions->vertex_labels[v] == 0 ? 0 : 255;
    }
    renderer.set_vertex_labels(rgba);
  }
}

void FaceScene::upload_shape(render::MeshRenderer& renderer) {
  positions_ = face::assemble_vertices(assets_->model, current());
  renderer.update_positions_normals(positions_,
                                    face::vertex_normals(positions_, assets_->model.faces));
}

void FaceScene::show_state(render::MeshRenderer& renderer, const session::FaceState* state) {
  std::fill(coefficients_.identity.begin(), coefficients_.identity.end(), 0.0f);
  std::fill(coefficients_.expression.begin(), coefficients_.expression.end(), 0.0f);
  if (state) {
    const auto& c = state->coeffs;
    std::copy_n(c.identity.begin(), std::min(c.identity.size(), coefficients_.identity.size()),
                coefficients_.identity.begin());
    std::copy_n(c.expression.begin(),
                std::min(c.expression.size(), coefficients_.expression.size()),
                coefficients_.expression.begin());
  }
  upload_shape(renderer);
  upload_albedo(renderer, state ? &state->albedo : nullptr);
}

void FaceScene::show_live(render::MeshRenderer& renderer, const pipeline::FaceSnapshot& live) {
  const std::size_t n = static_cast<std::size_t>(assets_->model.num_vertices) * 3;
  if (live.positions.size() == n) {
    positions_ = live.positions;
    renderer.update_positions_normals(
        live.positions, live.normals.size() == n
                            ? live.normals
                            : face::vertex_normals(live.positions, assets_->model.faces));
  }
  if (!live.albedo.empty()) upload_albedo(renderer, &live.albedo);
}

}  // namespace faceg2e::gui
