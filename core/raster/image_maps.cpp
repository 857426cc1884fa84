#include "core/raster/image_maps.h"

#include <torch/torch.h>

#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {
namespace {

// Unit vectors along the last dimension; zero vectors stay zero (and get zero gradient) instead
// of NaN.
torch::Tensor safe_normalize(const torch::Tensor& v) {
  const double tiny = v.scalar_type() == torch::kFloat64 ? 1e-200 : 1e-30;
  return v * torch::rsqrt((v * v).sum(-1, true).clamp_min(tiny));
}

void check_image(const torch::Tensor& t, int64_t channels, const char* op, const char* name,
                 const char* expected) {
  detail::check_floating(t, op, name);
  detail::check_dims(t, {4}, op, name, expected);
  detail::check_size(t, 3, channels, op, name, expected);
}

}  // namespace

torch::Tensor vertex_normals(const torch::Tensor& positions, const torch::Tensor& triangles) {
  using namespace detail;
  constexpr const char* kOp = "vertex_normals";
  check_floating(positions, kOp, "positions");
  check_dims(positions, {2, 3}, kOp, "positions", "[V, 3] or [B, V, 3]");
  check_size(positions, -1, 3, kOp, "positions", "[V, 3] or [B, V, 3]");
  check_index_dtype(triangles, kOp, "triangles");
  check_dims(triangles, {2}, kOp, "triangles", "[F, 3]");
  check_size(triangles, 1, 3, kOp, "triangles", "[F, 3]");
  check_same_device(positions, "positions", triangles, "triangles", kOp);
  const int64_t num_vertices = positions.size(-2);
  check_index_range(triangles, num_vertices, kOp, "triangles", "the number of vertices");
  const torch::Tensor p = positions.dim() == 2 ? positions.unsqueeze(0) : positions;
  const torch::Tensor t = triangles.to(torch::kInt64);
  const torch::Tensor p0 = p.index_select(1, t.select(1, 0));
  const torch::Tensor p1 = p.index_select(1, t.select(1, 1));
  const torch::Tensor p2 = p.index_select(1, t.select(1, 2));
  // Un-normalised cross product: its length is twice the area, hence the area weighting.
  const torch::Tensor face_n = torch::cross(p1 - p0, p2 - p0, -1);  // [B, F, 3]
  torch::Tensor acc = torch::zeros_like(p);
  for (int corner = 0; corner < 3; ++corner) acc = acc.index_add(1, t.select(1, corner), face_n);
  torch::Tensor n = safe_normalize(acc);
  return positions.dim() == 2 ? n.squeeze(0) : n;
}

torch::Tensor normal_map(const torch::Tensor& normals, const torch::Tensor& mask,
                         double background) {
  constexpr const char* kOp = "normal_map";
  check_image(normals, 3, kOp, "normals", "[B, H, W, 3]");
  check_image(mask, 1, kOp, "mask", "[B, H, W, 1]");
  detail::check_same_device(normals, "normals", mask, "mask", kOp);
  const torch::Tensor m = mask.to(normals.scalar_type());
  const torch::Tensor rgb = safe_normalize(normals) * 0.5 + 0.5;
  return (rgb * m + (1.0 - m) * background).permute({0, 3, 1, 2});
}

torch::Tensor depth_map(const torch::Tensor& eye_depth, const torch::Tensor& mask,
                        const DepthMapParams& params) {
  constexpr const char* kOp = "depth_map";
  check_image(eye_depth, 1, kOp, "eye_depth", "[B, H, W, 1]");
  check_image(mask, 1, kOp, "mask", "[B, H, W, 1]");
  detail::check_same_device(eye_depth, "eye_depth", mask, "mask", kOp);
  if (!(params.min_value >= 0.0 && params.min_value <= 1.0))
    throw Error("raster::depth_map: min_value must be in [0, 1], got " +
                std::to_string(params.min_value));
  const int64_t batch = eye_depth.size(0);
  const torch::Tensor covered = mask.to(torch::kBool).reshape({batch, -1});
  const torch::Tensor d = eye_depth.reshape({batch, -1});
  const double inf = std::numeric_limits<double>::infinity();
  // Per-image extent over the covered pixels only.
  const torch::Tensor d_min = torch::where(covered, d, torch::full_like(d, inf)).amin(1, true);
  const torch::Tensor d_max = torch::where(covered, d, torch::full_like(d, -inf)).amax(1, true);
  const torch::Tensor range = d_max - d_min;
  const torch::Tensor spread = range > params.epsilon;  // false also for images with no coverage
  const torch::Tensor safe_range = torch::where(spread, range, torch::ones_like(range));
  const torch::Tensor safe_max = torch::where(spread, d_max, torch::zeros_like(d_max));
  const torch::Tensor rel = torch::where(spread, (safe_max - d) / safe_range, torch::ones_like(d));
  const torch::Tensor value = params.min_value + (1.0 - params.min_value) * rel;
  const torch::Tensor out = torch::where(covered, value, torch::zeros_like(value));
  return out.reshape({batch, eye_depth.size(1), eye_depth.size(2), 1}).permute({0, 3, 1, 2});
}

}  // namespace faceg2e::raster
