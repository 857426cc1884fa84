#include "core/raster/sh_lighting.h"

#include <torch/torch.h>

#include <cmath>

#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {
namespace {

// FaceG2E util/render_util.py, random_gamma: 16 lights, each [strength, then these 8] for the
// 9 SH coefficients, repeated for R, G and B.
constexpr double kPresetTail[kShLightPresets][kShCoefficients - 1] = {
    {-0.2, 0.25, -0.5, 0, 0, 0, 0, 0},  {-0.2, 0.25, 0.0, 0, 0, 0, 0, 0},
    {-0.2, 0.25, 0.5, 0, 0, 0, 0, 0},   {-0.4, 0.25, 0.0, 0, 0, 0, 0, 0},
    {0.2, 0.25, 0.4, 0, 0, 0, 0, 0},    {0.2, 0.25, -0.4, 0, 0, 0, 0, 0},
    {-0.2, 0.25, 0, -0.9, 0, 0, 0, 0},  {-0.2, 0.25, 0, -0.5, 0, 0, 0, 0},
    {-0.2, 0.25, 0, 0.5, 0, 0, 0, 0},   {-0.2, 0.25, 0, 0.9, 0, 0, 0, 0},
    {-0.2, 0.25, 0.5, 0, 0.5, 0, 0, 0}, {-0.2, 0.25, -0.5, 0, 0.5, 0, 0, 0},
    {-0.2, 0.25, 0.3, 0, 0.4, 0, 0, 0}, {-0.2, 0.25, -0.3, 0, 0.4, 0, 0, 0},
    {-0.2, 0.25, 0, 0, -0.4, 0, 0, 0},  {-0.2, 0.25, 0, 0, -0.7, 0, 0, 0},
};

}  // namespace

torch::Tensor sh_basis(const torch::Tensor& normals) {
  detail::check_floating(normals, "sh_basis", "normals");
  if (normals.dim() < 1 || normals.size(-1) != 3)
    throw Error("raster::sh_basis: normals must be [..., 3], got " + detail::shape_string(normals));
  const double pi = M_PI;
  const double a0 = pi, a1 = 2.0 * pi / std::sqrt(3.0), a2 = 2.0 * pi / std::sqrt(8.0);
  const double c0 = 1.0 / std::sqrt(4.0 * pi), c1 = std::sqrt(3.0) / std::sqrt(4.0 * pi),
               c2 = 3.0 * std::sqrt(5.0) / std::sqrt(12.0 * pi);
  const torch::Tensor x = normals.select(-1, 0), y = normals.select(-1, 1),
                      z = normals.select(-1, 2);
  return torch::stack({torch::full_like(x, a0 * c0), y * (-a1 * c1), z * (a1 * c1), x * (-a1 * c1),
                       x * y * (a2 * c2), y * z * (-a2 * c2),
                       (z * z * 3.0 - 1.0) * (0.5 * a2 * c2 / std::sqrt(3.0)), x * z * (-a2 * c2),
                       (x * x - y * y) * (0.5 * a2 * c2)},
                      -1);
}

torch::Tensor sh_radiance(const torch::Tensor& normals, const torch::Tensor& gamma,
                          const ShParams& params) {
  constexpr const char* kOp = "sh_radiance";
  detail::check_floating(gamma, kOp, "gamma");
  detail::check_dims(gamma, {1, 2}, kOp, "gamma", "[27] or [B, 27]");
  detail::check_size(gamma, -1, 3 * kShCoefficients, kOp, "gamma", "[27] or [B, 27]");
  detail::check_same_device(normals, "normals", gamma, "gamma", kOp);
  const torch::Tensor y = sh_basis(normals);  // [B, ..., 9]
  torch::Tensor g = gamma.to(normals.scalar_type());
  if (g.dim() == 1) g = g.unsqueeze(0);
  const int64_t gb = g.size(0);
  if (gb != 1 && (normals.dim() < 2 || normals.size(0) != gb))
    throw Error("raster::sh_radiance: gamma batch " + std::to_string(gb) +
                " does not match normals " + detail::shape_string(normals));
  // [Bg, 3, 9] + init_lit on the constant term of every channel.
  torch::Tensor lit = g.reshape({gb, 3, kShCoefficients});
  torch::Tensor dc = torch::zeros({kShCoefficients}, lit.options());
  dc.index_put_({0}, params.init_lit);
  lit = lit + dc;
  // radiance[b, ..., k] = sum_j Y[b, ..., j] lit[b, k, j]
  torch::Tensor per_pixel_lit;
  if (gb == 1) {
    per_pixel_lit = lit[0];  // [3, 9], broadcasts over every leading dimension
  } else {
    std::vector<int64_t> shape(static_cast<size_t>(normals.dim()) + 1, 1);
    shape.front() = gb;
    shape[shape.size() - 2] = 3;
    shape.back() = kShCoefficients;
    per_pixel_lit = lit.view(shape);
  }
  torch::Tensor rad = (y.unsqueeze(-2) * per_pixel_lit).sum(-1);
  if (params.clamp_01) rad = rad.clamp(0.0, 1.0);
  return rad;
}

torch::Tensor sh_light_preset(int index, double strength) {
  if (index < 0 || index >= kShLightPresets)
    throw Error("raster::sh_light_preset: index " + std::to_string(index) + " outside [0, " +
                std::to_string(kShLightPresets) + ")");
  torch::Tensor g = torch::empty({3 * kShCoefficients}, torch::kFloat32);
  auto a = g.accessor<float, 1>();
  for (int k = 0; k < 3; ++k) {
    a[k * kShCoefficients] = static_cast<float>(strength);
    for (int j = 1; j < kShCoefficients; ++j)
      a[k * kShCoefficients + j] = static_cast<float>(kPresetTail[index][j - 1]);
  }
  return g;
}

torch::Tensor sh_light_presets(double strength) {
  std::vector<torch::Tensor> all;
  for (int i = 0; i < kShLightPresets; ++i) all.push_back(sh_light_preset(i, strength));
  return torch::stack(all);
}

}  // namespace faceg2e::raster
