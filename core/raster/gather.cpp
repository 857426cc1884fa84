#include "core/raster/gather.h"

#include <torch/torch.h>

namespace faceg2e::raster::detail {

torch::Tensor gather_corners(const torch::Tensor& values, const torch::Tensor& corner_index) {
  const int64_t batch = corner_index.size(0);
  if (values.dim() == 2 || values.size(0) == 1) {
    const torch::Tensor v = values.dim() == 2 ? values : values[0];
    return v.index_select(0, corner_index.reshape({-1}))
        .reshape({batch, corner_index.size(1), corner_index.size(2), 3, v.size(1)});
  }
  // One set of values per batch item: offset the indices into the flattened [B * N, C] table.
  const int64_t n = values.size(1), channels = values.size(2);
  const torch::Tensor offset =
      torch::arange(batch, corner_index.options()).mul(n).view({batch, 1, 1, 1});
  return values.reshape({batch * n, channels})
      .index_select(0, corner_index.add(offset).reshape({-1}))
      .reshape({batch, corner_index.size(1), corner_index.size(2), 3, channels});
}

torch::Tensor pixel_ndc_x(int width, const torch::TensorOptions& options) {
  // x = 2 (c + 0.5) / W - 1
  return torch::arange(width, options).add(0.5).mul(2.0 / width).sub(1.0);
}

torch::Tensor pixel_ndc_y(int height, const torch::TensorOptions& options) {
  // y = 1 - 2 (r + 0.5) / H: row 0 is the top of the image.
  return torch::arange(height, options).add(0.5).mul(-2.0 / height).add(1.0);
}

}  // namespace faceg2e::raster::detail
