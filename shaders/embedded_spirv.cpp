#include "shaders/embedded_spirv.h"

namespace faceg2e::shaders {
namespace {
// The .inc files are glslc -mfmt=num output: comma-separated SPIR-V words.
const std::uint32_t k_mesh_vert[] = {
#include "mesh.vert.inc"
};
const std::uint32_t k_mesh_frag[] = {
#include "mesh.frag.inc"
};
}  // namespace

SpirvWords mesh_vert() { return {k_mesh_vert, sizeof(k_mesh_vert) / sizeof(k_mesh_vert[0])}; }
SpirvWords mesh_frag() { return {k_mesh_frag, sizeof(k_mesh_frag) / sizeof(k_mesh_frag[0])}; }

}  // namespace faceg2e::shaders
