#include "core/raster/texture_sample.h"

#include <torch/torch.h>

#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {
namespace {
// at::grid_sampler codes.
constexpr int64_t kBilinear = 0;
constexpr int64_t kBorderPadding = 1;
}  // namespace

torch::Tensor sample_texture(const torch::Tensor& texture, const torch::Tensor& uv,
                             const TextureSampleParams& params) {
  using namespace detail;
  constexpr const char* kOp = "sample_texture";
  check_floating(texture, kOp, "texture");
  check_dims(texture, {3, 4}, kOp, "texture", "[C, Ht, Wt] or [B, C, Ht, Wt]");
  check_floating(uv, kOp, "uv");
  check_dims(uv, {4}, kOp, "uv", "[B, H, W, 2]");
  check_size(uv, 3, 2, kOp, "uv", "[B, H, W, 2]");
  check_same_device(texture, "texture", uv, "uv", kOp);
  torch::Tensor tex = texture.dim() == 3 ? texture.unsqueeze(0) : texture;
  const int64_t batch = uv.size(0);
  if (tex.size(0) != 1 && tex.size(0) != batch)
    throw Error("raster::sample_texture: texture batch " + std::to_string(tex.size(0)) +
                " does not match uv batch " + std::to_string(batch));
  if (tex.size(1) == 0 || tex.size(2) == 0 || tex.size(3) == 0)
    throw Error("raster::sample_texture: texture is empty: " + shape_string(texture));
  if (tex.size(0) != batch) tex = tex.expand({batch, -1, -1, -1});
  const torch::Tensor uvt = uv.to(tex.scalar_type());
  torch::Tensor u = uvt.select(-1, 0), v = uvt.select(-1, 1);
  torch::Tensor gx, gy;
  if (params.address == TextureAddress::kWrap) {
    // Wrap into [0, 1) and sample a copy padded by one texel taken from the opposite side, so the
    // bilinear footprint at the seam blends across it; the border clamp then never triggers.
    u = u - torch::floor(u).detach();
    v = v - torch::floor(v).detach();
    const int64_t th = tex.size(2), tw = tex.size(3);
    tex = torch::cat({tex.narrow(3, tw - 1, 1), tex, tex.narrow(3, 0, 1)}, 3);
    tex = torch::cat({tex.narrow(2, th - 1, 1), tex, tex.narrow(2, 0, 1)}, 2);
    // Texel coordinate in the original texture is u * Wt - 0.5; in the padded one + 1; in
    // grid_sample units (align_corners = false): (2 x + 1) / (Wt + 2) - 1.
    gx = (u * (2.0 * tw) + 2.0) / static_cast<double>(tw + 2) - 1.0;
    gy = ((1.0 - v) * (2.0 * th) + 2.0) / static_cast<double>(th + 2) - 1.0;
  } else {
    gx = u * 2.0 - 1.0;
    gy = 1.0 - v * 2.0;  // OBJ v is up, texture row 0 (grid y = -1) is the top
  }
  const torch::Tensor grid = torch::stack({gx, gy}, -1);
  return at::grid_sampler(tex, grid, kBilinear, kBorderPadding, /*align_corners=*/false);
}

}  // namespace faceg2e::raster
