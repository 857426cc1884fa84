#pragma once
// SPIR-V of the shaders in this folder, compiled by the build (glslc) and embedded in the binary,
// so the executables need no shader files beside them.
#include <cstddef>
#include <cstdint>

namespace faceg2e::shaders {

struct SpirvWords {
  const std::uint32_t* words = nullptr;
  std::size_t count = 0;  // in 32-bit words
};

SpirvWords mesh_vert();
SpirvWords mesh_frag();

}  // namespace faceg2e::shaders
