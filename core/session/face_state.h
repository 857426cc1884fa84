#pragma once
// One face as the editor holds it: shape coefficients, the albedo atlas in float, and the VAE
// latent the texture was optimised as (when it was). Torch-free, so history entries, the runtime
// and the UI can hold it. A PNG is an export, never a state: an edit's baseline is this float
// atlas (and latent), not a quantized copy.
#include <vector>

#include "core/face/face_model.h"
#include "core/util/image_io.h"

namespace faceg2e::session {

// HWC floats in [0, 1].
struct FloatImage {
  int width = 0, height = 0, channels = 0;
  std::vector<float> data;
  bool empty() const { return data.empty(); }
};

// CHW floats in the UNet's scaled VAE latent space (4 x atlas/8 x atlas/8).
struct TextureLatent {
  int channels = 0, height = 0, width = 0;
  std::vector<float> data;
  bool empty() const { return data.empty(); }
};

struct FaceState {
  face::FaceCoefficients coeffs;  // identity + expression
  // Atlas RGB (layout of core/face/uv_atlas.h, any square size; export resamples).
  // Empty = the default albedo (face/albedo.h).
  FloatImage albedo;
  TextureLatent latent;  // empty unless the texture was optimised as a VAE latent
};

// 8-bit <-> float conversions (round to nearest; floats are clamped to [0, 1]).
Image8 to_image8(const FloatImage& image);
FloatImage to_float_image(const Image8& image);

}  // namespace faceg2e::session
