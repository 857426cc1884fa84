#include "core/raster/rasterize.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::raster {

RasterOutput rasterize(const torch::Tensor&, const torch::Tensor&, const RasterizeParams&,
                       const torch::Tensor&) {
  throw Error("raster::rasterize: not implemented yet");
}

bool rasterize_cuda_available() { return false; }

}  // namespace faceg2e::raster
