#pragma once
// Per-pixel gathering of per-vertex (or per-corner) data through triangle ids, shared by
// barycentrics and interpolation. Both work on the covered pixels only (a face covers ~40% of a
// render) and scatter the result back into the full image.
#include <torch/types.h>

namespace faceg2e::raster::detail {

// The covered pixels of a [B, H, W] triangle-id image, flattened.
struct CoveredPixels {
  torch::Tensor flat_index;  // [P] int64 into B * H * W
  torch::Tensor batch;       // [P] int64
  torch::Tensor triangle;    // [P] int64
};
CoveredPixels covered_pixels(const torch::Tensor& triangle_id);

// values [N, C] or [Bv, N, C] (Bv = 1 or the image batch); corner_index [P, 3] int64 in [0, N);
// batch [P]. Returns [P, 3, C]; differentiable with respect to `values`.
torch::Tensor gather_corners(const torch::Tensor& values, const torch::Tensor& corner_index,
                             const torch::Tensor& batch);

// [P, C] values of the covered pixels -> [B, H, W, C] image with zeros elsewhere
// (differentiable).
torch::Tensor scatter_pixels(const torch::Tensor& values, const CoveredPixels& pixels,
                             const torch::Tensor& triangle_id);

}  // namespace faceg2e::raster::detail
