#version 450
#extension GL_GOOGLE_include_directive : require
#include "shared_layout.h"

layout(push_constant) uniform Push { MeshPushConstants pc; };

layout(location = FACEG2E_ATTR_POSITION) in vec3 in_position;
layout(location = FACEG2E_ATTR_NORMAL) in vec3 in_normal;
layout(location = FACEG2E_ATTR_UV) in vec2 in_uv;
layout(location = FACEG2E_ATTR_LABEL_COLOR) in vec4 in_label_color;

layout(location = 0) out vec3 out_position;
layout(location = 1) out vec3 out_normal;
layout(location = 2) out vec2 out_uv;
layout(location = 3) out vec4 out_label_color;

void main() {
  out_position = in_position;
  out_normal = in_normal;
  out_uv = in_uv;
  out_label_color = in_label_color;
  gl_Position = pc.view_projection * vec4(in_position, 1.0);
}
