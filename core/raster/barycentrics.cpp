#include "core/raster/barycentrics.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::raster {

torch::Tensor perspective_barycentrics(const torch::Tensor&, const torch::Tensor&,
                                       const torch::Tensor&) {
  throw Error("raster::perspective_barycentrics: not implemented yet");
}

Fragments rasterize_fragments(const torch::Tensor&, const torch::Tensor&, const RasterizeParams&,
                              const torch::Tensor&) {
  throw Error("raster::rasterize_fragments: not implemented yet");
}

}  // namespace faceg2e::raster
