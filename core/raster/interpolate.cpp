#include "core/raster/interpolate.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::raster {

InterpolateOutput interpolate(const torch::Tensor&, const torch::Tensor&, const Fragments&) {
  throw Error("raster::interpolate: not implemented yet");
}

}  // namespace faceg2e::raster
