#include "core/pipeline/edit_weights.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::pipeline {

namespace F = torch::nn::functional;

std::string to_string(WeightUpdate kind) {
  switch (kind) {
    case WeightUpdate::kLowerOnly:
      return "lower";
    case WeightUpdate::kAvg2:
      return "avg2";
    case WeightUpdate::kMax2:
      return "max2";
  }
  return "?";
}

WeightUpdate parse_weight_update(const std::string& name) {
  if (name == "lower") return WeightUpdate::kLowerOnly;
  if (name == "avg2") return WeightUpdate::kAvg2;
  if (name == "max2") return WeightUpdate::kMax2;
  throw Error("unknown weight update '" + name + "' (expected lower, avg2 or max2)");
}

raster::UvProjection project_attention(const torch::Tensor& attention,
                                       const torch::Tensor& clip_positions, const FaceScene& scene,
                                       const raster::Fragments& view, int size) {
  torch::NoGradGuard no_grad;
  FACEG2E_CHECK(attention.defined() && attention.dim() == 4 && attention.size(1) == 1,
                "project_attention: attention must be [B, 1, h, w]");
  FACEG2E_CHECK(view.triangle_id.defined() && view.triangle_id.dim() == 3,
                "project_attention: the view's fragments are missing");
  const int64_t B = attention.size(0), H = view.triangle_id.size(1), W = view.triangle_id.size(2);
  const torch::Tensor up =
      F::interpolate(attention.to(torch::kFloat32), F::InterpolateFuncOptions()
                                                        .size(std::vector<int64_t>{H, W})
                                                        .mode(torch::kBilinear)
                                                        .align_corners(false));
  const torch::Tensor lo = std::get<0>(up.flatten(1).min(1)).reshape({B, 1, 1, 1});
  const torch::Tensor hi = std::get<0>(up.flatten(1).max(1)).reshape({B, 1, 1, 1});
  const torch::Tensor a = (up - lo) / (hi - lo).clamp_min(1e-12);
  const raster::MeshInputs m = scene.mesh(clip_positions);
  raster::UvProjectionParams p;
  p.uv_height = p.uv_width = size;
  return raster::project_image_to_uv(a.to(view.triangle_id.device()),
                                     clip_positions.to(torch::kFloat32), m.triangles, m.uvs,
                                     m.faces_uv, view, p);
}

torch::Tensor update_weights(const torch::Tensor& weights, const raster::UvProjection& attention,
                             WeightUpdate kind, double momentum) {
  torch::NoGradGuard no_grad;
  FACEG2E_CHECK(weights.dim() == 4 && weights.size(1) == 1,
                "update_weights: W must be [1, 1, S, S]");
  FACEG2E_CHECK(
      attention.image.size(-1) == weights.size(-1) && attention.image.size(-2) == weights.size(-2),
      "update_weights: attention and W differ in size");
  // Several views in one step: each texel takes the strongest attention any view gave it.
  const torch::Tensor a = attention.image.amax(0, true).to(weights.dtype());
  const torch::Tensor seen = attention.mask.amax(0, true).gt(0.5);
  const torch::Tensor cand = 1.0 - a * a;
  const torch::Tensor avg = momentum * weights + (1.0 - momentum) * cand;
  switch (kind) {
    case WeightUpdate::kLowerOnly:
      return torch::where(seen.logical_and(cand.lt(weights)), avg, weights);
    case WeightUpdate::kAvg2:
      return torch::where(seen, avg, weights);
    case WeightUpdate::kMax2:
      return torch::where(seen, torch::minimum(weights, cand), weights);
  }
  return weights;
}

torch::Tensor effective_weights(const torch::Tensor& weights, const torch::Tensor& membership,
                                bool has_attention) {
  torch::NoGradGuard no_grad;
  if (!membership.defined()) return has_attention ? weights : torch::ones_like(weights);
  const torch::Tensor inner = has_attention ? weights : torch::zeros_like(weights);
  return 1.0 - membership * (1.0 - inner);
}

}  // namespace faceg2e::pipeline
