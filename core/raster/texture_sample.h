#pragma once
// Bilinear texture lookup (nvdiffrast's texture op without mipmaps), differentiable with respect
// to the texture AND the UVs. Implemented with torch grid_sample (align_corners = false), which
// has both gradients on the CPU and CUDA.
//
// UV convention (OBJ): u = 0 is the left edge of the texture image, u = 1 the right edge; v = 0
// is the BOTTOM edge and v = 1 the TOP edge, while texture row 0 is the top row. So the lookup
// flips v: texel row coordinate = (1 - v) * Ht. Texel centres sit at ((i + 0.5) / Wt,
// 1 - (j + 0.5) / Ht). The FaceG2E reference does the same flip with uv_map.flip(1).
#include <torch/types.h>

namespace faceg2e::raster {

enum class TextureAddress {
  kClamp,  // coordinates outside [0, 1] read the border texels (grid_sample "border")
  kWrap,   // coordinates repeat with period 1; bilinear filtering blends across the wrap
};

struct TextureSampleParams {
  TextureAddress address = TextureAddress::kClamp;
};

// texture: [B, C, Ht, Wt] or [C, Ht, Wt] (shared), float32/float64, any C (RGB, 4-channel VAE
//   latent, ...). A texture batch of 1 broadcasts.
// uv: [B, H, W, 2] (u, v) in the OBJ convention above, same dtype and device.
// Returns [B, C, H, W]. Background pixels are not special here: multiply by the mask.
torch::Tensor sample_texture(const torch::Tensor& texture, const torch::Tensor& uv,
                             const TextureSampleParams& params = {});

}  // namespace faceg2e::raster
