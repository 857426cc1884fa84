#include "core/raster/texture_sample.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::raster {

torch::Tensor sample_texture(const torch::Tensor&, const torch::Tensor&,
                             const TextureSampleParams&) {
  throw Error("raster::sample_texture: not implemented yet");
}

}  // namespace faceg2e::raster
