#include "core/guidance/guidance.h"

#include <torch/torch.h>

#include "core/diffusion/sds.h"
#include "core/guidance/latent_codec.h"
#include "core/util/error.h"

namespace faceg2e::guidance {

SdsTerms sds_add_noise(const diffusion::NoiseSchedule& schedule, const torch::Tensor& z,
                       const GuidanceStep& step) {
  torch::NoGradGuard no_grad;
  SdsTerms terms;
  if (step.noise.defined()) {
    FACEG2E_CHECK(step.noise.sizes() == z.sizes(), "SDS: the given noise is not shaped like the latent");
    terms.noise = step.noise.to(z.device(), z.scalar_type());
  } else {
    terms.noise = seeded_noise_like(z, step.generator);
  }
  // Timesteps stay on the CPU: add_noise indexes the schedule with them without a device sync.
  const torch::Tensor tt = torch::full({z.size(0)}, static_cast<int64_t>(step.t), torch::kLong);
  terms.z_t = schedule.add_noise(z.detach(), terms.noise, tt);
  return terms;
}

GuidanceResult sds_result(const diffusion::NoiseSchedule& schedule, const torch::Tensor& z,
                          const SdsTerms& terms, const torch::Tensor& eps_hat, int t,
                          const torch::Tensor& pixel_weight, std::optional<double> weight_override) {
  torch::Tensor grad;
  GuidanceResult r;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor w =
        weight_override ? torch::tensor({*weight_override}, torch::kFloat32)
                        : diffusion::sds_weight(schedule.alphas_cumprod().index({t}).reshape({1}));
    grad = diffusion::sds_gradient(eps_hat, terms.noise, w.to(eps_hat.device()));
    if (pixel_weight.defined()) grad = grad * pixel_weight;
    grad = torch::nan_to_num(grad, 0.0, 0.0, 0.0);
    r.report = grad.pow(2).mean();
    // The batch mean: every sample's gradient counts 1/B, so views per step do not scale the lr.
    grad = grad / static_cast<double>(z.size(0));
  }
  FACEG2E_CHECK(z.sizes() == grad.sizes(), "SDS gradient and latent shapes differ");
  r.loss = diffusion::sds_surrogate_loss(z, grad);
  return r;
}

torch::Tensor seeded_noise_like(const torch::Tensor& like, torch::Generator* generator) {
  auto cpu = torch::TensorOptions().dtype(torch::kFloat32).device(torch::kCPU);
  torch::Tensor n = generator ? torch::randn(like.sizes(), *generator, cpu)
                              : torch::randn(like.sizes(), cpu);
  return n.to(like.device(), like.scalar_type());
}

torch::Tensor resize_for_codec(const torch::Tensor& rgb, int size) {
  FACEG2E_CHECK(rgb.dim() == 4, "codec input must be [B, C, H, W]");
  if (rgb.size(2) == size && rgb.size(3) == size) return rgb;
  namespace F = torch::nn::functional;
  return F::interpolate(rgb, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{size, size})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
}

}  // namespace faceg2e::guidance
