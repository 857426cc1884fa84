#pragma once
// Shared helpers of the pipeline tests: the reference face model and random target faces.
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>

#include "core/face/face_assets.h"
#include "core/face/face_model.h"
#include "core/pipeline/face_scene.h"
#include "tests/common/shared_dir.h"

namespace faceg2e::pipeline::testing {

inline std::filesystem::path shared_path() { return faceg2e::testing::shared_dir(); }

inline std::filesystem::path face_model_path() {
  return shared_path() / "data" / "ict-facekit" / "ict_facekit_full.f3dm";
}

inline const face::FaceModel& model() {
  static const face::FaceModel m = face::load_f3dm(face_model_path());
  return m;
}

inline std::shared_ptr<const face::FaceAssets> assets() {
  static const auto a =
      std::make_shared<const face::FaceAssets>(face::FaceAssets::from_model(model()));
  return a;
}

inline std::shared_ptr<const FaceScene> scene_ptr() {
  static const auto s = std::make_shared<const FaceScene>(assets(), torch::kCPU);
  return s;
}

inline const FaceScene& scene() { return *scene_ptr(); }

// A face state with these identity coefficients (others default).
inline session::FaceState state_with_identity(const torch::Tensor& identity) {
  session::FaceState s;
  const torch::Tensor c = identity.to(torch::kFloat32).contiguous();
  s.coeffs.identity.assign(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return s;
}

// A random identity: N(0,1) modes with a few large (|a| = 3) ones, as the acceptance check uses.
inline torch::Tensor random_identity(int K, std::uint64_t seed) {
  torch::Generator g = at::detail::createCPUGenerator(seed);
  torch::Tensor a = torch::randn({K}, g, torch::kFloat32);
  a[0] = 3.0;
  a[3] = -3.0;
  a[7] = 2.5;
  return a;
}

// Vertex RMSE in cm between two identities (all vertices of the head).
inline double vertex_rmse(const torch::Tensor& a, const torch::Tensor& b) {
  torch::NoGradGuard ng;
  torch::Tensor va = scene().vertices(a), vb = scene().vertices(b);
  return (va - vb).pow(2).sum(1).mean().sqrt().item<double>();
}

}  // namespace faceg2e::pipeline::testing
