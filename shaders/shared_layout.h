// Struct layouts shared by the GLSL shaders and the C++ renderer. Included by both: the C++ side
// sees glm types, the GLSL side its built-in types. Keep members 16-byte aligned (std430 / push
// constant rules) so both sides agree without padding surprises.
#ifndef FACEG2E_SHADERS_SHARED_LAYOUT_H
#define FACEG2E_SHADERS_SHARED_LAYOUT_H

#ifdef __cplusplus
#include <glm/glm.hpp>
namespace faceg2e::render::gpu {
using mat4 = glm::mat4;
using vec4 = glm::vec4;
using ivec4 = glm::ivec4;
#endif

// Surface shading (MeshPushConstants.modes.x).
#define FACEG2E_SHADE_TEXTURED 0
#define FACEG2E_SHADE_GREY 1
#define FACEG2E_SHADE_NORMALS 2

// Overlay blended over the shading (MeshPushConstants.modes.y).
#define FACEG2E_OVERLAY_NONE 0
#define FACEG2E_OVERLAY_REGION_LABELS 1
#define FACEG2E_OVERLAY_SCALAR_MAP 2

// Vertex input locations.
#define FACEG2E_ATTR_POSITION 0
#define FACEG2E_ATTR_NORMAL 1
#define FACEG2E_ATTR_UV 2
#define FACEG2E_ATTR_LABEL_COLOR 3

// Descriptor bindings of set 0.
#define FACEG2E_BINDING_ALBEDO 0
#define FACEG2E_BINDING_SCALAR_MAP 1

struct MeshPushConstants {
  mat4 view_projection;  // world -> clip (Vulkan clip space, y down)
  vec4 light_dir;        // xyz: unit vector toward the key light, world space; w: ambient
  vec4 eye_pos;          // xyz: camera position, world space (specular)
  vec4 overlay;          // x: overlay opacity in [0,1]; y: specular strength
  ivec4 modes;           // x: shading, y: overlay
};

#ifdef __cplusplus
static_assert(sizeof(MeshPushConstants) == 128,
              "push constants must stay within the 128-byte minimum");
}  // namespace faceg2e::render::gpu
#endif

#endif
