#include "core/raster/image_maps.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::raster {

torch::Tensor vertex_normals(const torch::Tensor&, const torch::Tensor&) {
  throw Error("raster::vertex_normals: not implemented yet");
}
torch::Tensor normal_map(const torch::Tensor&, const torch::Tensor&, double) {
  throw Error("raster::normal_map: not implemented yet");
}
torch::Tensor depth_map(const torch::Tensor&, const torch::Tensor&, const DepthMapParams&) {
  throw Error("raster::depth_map: not implemented yet");
}

}  // namespace faceg2e::raster
