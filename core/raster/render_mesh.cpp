#include "core/raster/render_mesh.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::raster {

RenderOutput render_mesh(const MeshInputs&, const Camera&, const RenderMeshParams&) {
  throw Error("raster::render_mesh: not implemented yet");
}

}  // namespace faceg2e::raster
