#include "core/raster/gather.h"

#include <torch/torch.h>

namespace faceg2e::raster::detail {

CoveredPixels covered_pixels(const torch::Tensor& triangle_id) {
  const torch::Tensor flat = triangle_id.reshape({-1});
  CoveredPixels p;
  p.flat_index = torch::nonzero(flat.ge(0)).squeeze(1);
  p.triangle = flat.index_select(0, p.flat_index).to(torch::kInt64);
  p.batch = p.flat_index.div(triangle_id.size(1) * triangle_id.size(2), "floor");
  return p;
}

torch::Tensor gather_corners(const torch::Tensor& values, const torch::Tensor& corner_index,
                             const torch::Tensor& batch) {
  const int64_t count = corner_index.size(0);
  if (values.dim() == 2 || values.size(0) == 1) {
    const torch::Tensor v = values.dim() == 2 ? values : values[0];
    return v.index_select(0, corner_index.reshape({-1})).reshape({count, 3, v.size(1)});
  }
  // One set of values per batch item: offset the indices into the flattened [B * N, C] table.
  const int64_t n = values.size(1), channels = values.size(2);
  const torch::Tensor index = corner_index.add(batch.mul(n).unsqueeze(1));
  return values.reshape({-1, channels})
      .index_select(0, index.reshape({-1}))
      .reshape({count, 3, channels});
}

torch::Tensor scatter_pixels(const torch::Tensor& values, const CoveredPixels& pixels,
                             const torch::Tensor& triangle_id) {
  const int64_t channels = values.size(1);
  return torch::zeros({triangle_id.numel(), channels}, values.options())
      .index_put({pixels.flat_index}, values)
      .reshape({triangle_id.size(0), triangle_id.size(1), triangle_id.size(2), channels});
}

}  // namespace faceg2e::raster::detail
