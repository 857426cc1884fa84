#pragma once
// The VAE as the guidance objectives see it: RGB in [0, 1] <-> the UNet's scaled latent space.
// text_sds.h wraps core/diffusion's VAE in this; tests can plug in anything.
#include <torch/types.h>

namespace faceg2e::guidance {

class LatentCodec {
 public:
  virtual ~LatentCodec() = default;
  // rgb [B, 3, H, W] in [0, 1] -> latent [B, 4, H/8, W/8] times the scaling factor (posterior
  // mean: deterministic, differentiable).
  virtual torch::Tensor encode(const torch::Tensor& rgb01) = 0;
  // latent (scaled) -> RGB in [0, 1], differentiable.
  virtual torch::Tensor decode(const torch::Tensor& latent) = 0;
  // Renders are resized to this square size before encoding (FaceG2E: 224 -> 512).
  virtual int image_size() const = 0;
  virtual void release() {}
};

// Resizes rgb [B, 3, H, W] bilinearly to size x size (no-op when it already is).
torch::Tensor resize_for_codec(const torch::Tensor& rgb, int size);

}  // namespace faceg2e::guidance
