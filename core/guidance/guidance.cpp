#include "core/guidance/guidance.h"

#include <torch/torch.h>

#include "core/guidance/latent_codec.h"
#include "core/util/error.h"

namespace faceg2e::guidance {

torch::Tensor sds_surrogate_loss(const torch::Tensor& z, const torch::Tensor& grad) {
  FACEG2E_CHECK(z.sizes() == grad.sizes(), "SDS gradient and latent shapes differ");
  const double batch = static_cast<double>(z.size(0));
  return (grad.detach() * z).sum() / batch;
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
