#include "core/pipeline/face_scene.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace faceg2e::pipeline {

FaceScene::FaceScene(std::shared_ptr<const face::FaceAssets> assets, torch::Device device,
                     SceneParams params)
    : assets_(std::move(assets)), device_(device), params_(params) {
  FACEG2E_CHECK(assets_ != nullptr, "FaceScene needs face assets");
  const face::FaceModel& model = assets_->model;
  tensors_ = face::make_face_tensors(model).to(device);
  const face::UvAtlas& atlas = assets_->atlas;
  atlas_uvs_ = torch::from_blob(const_cast<float*>(atlas.uvs.data()),
                                {static_cast<int64_t>(atlas.uvs.size() / 2), 2}, torch::kFloat32)
                   .clone()
                   .to(device);
  std::vector<uint8_t> keep = assets_->drawn;
  triangle_mask_ = torch::from_blob(keep.data(), {model.num_faces}, torch::kUInt8)
                       .clone()
                       .to(torch::kBool)
                       .to(device);
  // Frame the face part (part 0) of the neutral mesh.
  float lo[3] = {1e30f, 1e30f, 1e30f}, hi[3] = {-1e30f, -1e30f, -1e30f};
  int count = 0;
  for (int v = 0; v < model.num_vertices; ++v) {
    if (model.vertex_part[v] != 0) continue;
    ++count;
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], model.neutral_vertices[3 * v + k]);
      hi[k] = std::max(hi[k], model.neutral_vertices[3 * v + k]);
    }
  }
  FACEG2E_CHECK(count > 0, "face model has no face-part vertices to frame");
  target_ = {0.5 * (lo[0] + hi[0]), 0.5 * (lo[1] + hi[1]), 0.5 * (lo[2] + hi[2])};
  const double height = std::max(hi[1] - lo[1], hi[0] - lo[0]);
  const double half_fov = 0.5 * params_.fov_y_deg * M_PI / 180.0;
  distance_ = height / params_.frame_fill / (2.0 * std::tan(half_fov)) + 0.5 * (hi[2] - lo[2]);
}

torch::Tensor FaceScene::vertices(const torch::Tensor& identity,
                                  const torch::Tensor& expression) const {
  return face::assemble_vertices(tensors_, identity, expression);
}

raster::Camera FaceScene::camera(const raster::ViewAngles& view) const {
  return camera(std::vector<raster::ViewAngles>{view});
}

raster::Camera FaceScene::camera(const std::vector<raster::ViewAngles>& views) const {
  std::vector<raster::ViewAngles> vs = views;
  // ViewAngles.distance is relative to the framing distance.
  for (auto& v : vs) v.distance *= distance_;
  raster::PerspectiveParams p;
  p.fov_y_deg = params_.fov_y_deg;
  p.near = std::max(1.0, distance_ * 0.2);
  p.far = distance_ * 5;
  return raster::make_orbit_camera(vs, target_, p, device_);
}

raster::MeshInputs FaceScene::mesh(const torch::Tensor& vertices) const {
  raster::MeshInputs m;
  m.positions = vertices;
  m.triangles = tensors_.faces;
  m.triangle_mask = triangle_mask_;
  m.uvs = atlas_uvs_;
  m.faces_uv = tensors_.faces_uv;
  return m;
}

StageRng::StageRng(std::uint64_t seed)
    : engine(seed), noise(at::detail::createCPUGenerator(seed ^ 0x9E3779B97F4A7C15ull)) {}

bool StageRng::coin() { return (engine() >> 63) != 0; }

int StageRng::index(int n) {
  FACEG2E_CHECK(n > 0, "index range must be positive");
  return static_cast<int>(engine() % static_cast<std::uint64_t>(n));
}

double StageRng::uniform(double lo, double hi) {
  const double u = (engine() >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * u;
}

}  // namespace faceg2e::pipeline
