#include "core/diffusion/sds.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::diffusion {

std::pair<torch::Tensor, torch::Tensor> split_cfg_batch(const torch::Tensor& eps, CfgBatchOrder order) {
  FACEG2E_CHECK(eps.dim() >= 1 && eps.size(0) % 2 == 0, "CFG batch must have an even batch size");
  const auto parts = eps.chunk(2, 0);
  return order == CfgBatchOrder::TextFirst ? std::make_pair(parts[0], parts[1])
                                           : std::make_pair(parts[1], parts[0]);
}

torch::Tensor guided_eps_sds(const torch::Tensor& eps_text, const torch::Tensor& eps_uncond,
                             double scale) {
  return eps_text + scale * (eps_text - eps_uncond);
}

torch::Tensor guided_eps_cfg(const torch::Tensor& eps_text, const torch::Tensor& eps_uncond,
                             double scale) {
  return eps_uncond + scale * (eps_text - eps_uncond);
}

torch::Tensor guided_eps_ip2p(const torch::Tensor& eps, double text_scale, double image_scale) {
  FACEG2E_CHECK(eps.dim() >= 1 && eps.size(0) % 3 == 0, "IP2P batch must have 3B rows");
  const auto parts = eps.chunk(3, 0);
  const auto& eps_text = parts[0];
  const auto& eps_img = parts[1];
  const auto& eps_u = parts[2];
  return eps_u + text_scale * (eps_text - eps_img) + image_scale * (eps_img - eps_u);
}

torch::Tensor ip2p_model_input(const torch::Tensor& z_t, const torch::Tensor& image_latents) {
  FACEG2E_CHECK(z_t.dim() == 4 && image_latents.dim() == 4 && z_t.size(0) == image_latents.size(0) &&
                    z_t.size(2) == image_latents.size(2) && z_t.size(3) == image_latents.size(3),
                "IP2P input: z_t and image latents must be [B, C, h, w] of the same size");
  const auto img = image_latents.to(z_t.options());
  const auto image_batch = torch::cat({img, img, torch::zeros_like(img)}, 0);
  return torch::cat({torch::cat({z_t, z_t, z_t}, 0), image_batch}, 1);
}

torch::Tensor sds_weight(const torch::Tensor& alphas_cumprod_t) { return 1 - alphas_cumprod_t; }

torch::Tensor sds_gradient(const torch::Tensor& eps_hat, const torch::Tensor& noise,
                           const torch::Tensor& w) {
  auto ww = w.to(eps_hat.options());
  if (ww.dim() == 1 && eps_hat.dim() > 1) {
    FACEG2E_CHECK(ww.size(0) == eps_hat.size(0) || ww.size(0) == 1, "SDS weight must be per sample");
    while (ww.dim() < eps_hat.dim()) ww = ww.unsqueeze(-1);
  }
  return ww * (eps_hat - noise);
}

torch::Tensor sds_surrogate_loss(const torch::Tensor& latents, const torch::Tensor& grad) {
  const auto target = (latents - grad).detach();
  return 0.5 * (latents - target).pow(2).sum();
}

}  // namespace faceg2e::diffusion
