#pragma once
// Per-pixel gathering of per-vertex (or per-corner) data through triangle ids: the one indexing
// pattern barycentrics and interpolation share.
#include <torch/types.h>

namespace faceg2e::raster::detail {

// values [N, C] or [Bv, N, C] (Bv = 1 or B); corner_index [B, H, W, 3] int64 in [0, N).
// Returns [B, H, W, 3, C]; differentiable with respect to `values`.
torch::Tensor gather_corners(const torch::Tensor& values, const torch::Tensor& corner_index);

// Pixel-centre NDC coordinates (see rasterize.h): x [W] and y [H] in `options`.
torch::Tensor pixel_ndc_x(int width, const torch::TensorOptions& options);
torch::Tensor pixel_ndc_y(int height, const torch::TensorOptions& options);

}  // namespace faceg2e::raster::detail
