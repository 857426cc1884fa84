#include "core/raster/sh_lighting.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::raster {

torch::Tensor sh_basis(const torch::Tensor&) { throw Error("raster::sh_basis: not implemented yet"); }
torch::Tensor sh_radiance(const torch::Tensor&, const torch::Tensor&, const ShParams&) {
  throw Error("raster::sh_radiance: not implemented yet");
}
torch::Tensor sh_light_preset(int, double) { throw Error("raster::sh_light_preset: not implemented yet"); }
torch::Tensor sh_light_presets(double) { throw Error("raster::sh_light_presets: not implemented yet"); }

}  // namespace faceg2e::raster
