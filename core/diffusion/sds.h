#pragma once
// Guidance arithmetic shared by the SDS objectives: classifier-free guidance in the two forms
// the references use, InstructPix2Pix three-way guidance, the SDS weight and gradient.
#include <torch/types.h>

namespace faceg2e::diffusion {

// Where the text-conditioned half sits in a CFG batch of two.
enum class CfgBatchOrder {
  TextFirst,    // [text, uncond]  (threestudio / FaceG2E SDS)
  UncondFirst,  // [uncond, text]  (diffusers pipelines)
};

// Splits a [2B, ...] UNet output into (eps_text, eps_uncond) according to `order`.
std::pair<torch::Tensor, torch::Tensor> split_cfg_batch(const torch::Tensor& eps, CfgBatchOrder order);

// FaceG2E / threestudio form: eps_text + s * (eps_text - eps_uncond).
torch::Tensor guided_eps_sds(const torch::Tensor& eps_text, const torch::Tensor& eps_uncond,
                             double scale);

// diffusers pipeline form: eps_uncond + s * (eps_text - eps_uncond).
torch::Tensor guided_eps_cfg(const torch::Tensor& eps_text, const torch::Tensor& eps_uncond,
                             double scale);

// InstructPix2Pix: eps_u + s_T (eps_text - eps_img) + s_I (eps_img - eps_u). `eps` is the UNet
// output for the batch [text+image, uncond+image, uncond+zeros] (3B rows).
torch::Tensor guided_eps_ip2p(const torch::Tensor& eps, double text_scale, double image_scale);

// Builds the 8-channel IP2P UNet input for that batch order: cat([z_t]*3) along the batch,
// then cat with [img, img, zeros] along channels (noisy latents first). image_latents are the
// VAE posterior mode, not multiplied by the scaling factor (as the diffusers IP2P pipeline does).
torch::Tensor ip2p_model_input(const torch::Tensor& z_t, const torch::Tensor& image_latents);

// SDS weight w(t) = 1 - alphas_cumprod[t]; `alphas_cumprod_t` any shape (per-sample values).
torch::Tensor sds_weight(const torch::Tensor& alphas_cumprod_t);

// SDS gradient w(t) (eps_hat - noise), w broadcast over [B, ...] (w: scalar or [B]).
torch::Tensor sds_gradient(const torch::Tensor& eps_hat, const torch::Tensor& noise,
                           const torch::Tensor& w);

// Surrogate loss whose gradient with respect to `latents` is `grad` (the usual SDS trick):
// 0.5 * sum((latents - (latents - grad).detach())^2).
torch::Tensor sds_surrogate_loss(const torch::Tensor& latents, const torch::Tensor& grad);

}  // namespace faceg2e::diffusion
