#version 450
#extension GL_GOOGLE_include_directive : require
#include "shared_layout.h"

layout(push_constant) uniform Push { MeshPushConstants pc; };
layout(set = 0, binding = FACEG2E_BINDING_ALBEDO) uniform sampler2D albedo_tex;
layout(set = 0, binding = FACEG2E_BINDING_SCALAR_MAP) uniform sampler2D scalar_tex;

layout(location = 0) in vec3 in_position;
layout(location = 1) in vec3 in_normal;
layout(location = 2) in vec2 in_uv;
layout(location = 3) in vec4 in_label_color;

layout(location = 0) out vec4 out_color;

// A blue -> cyan -> green -> yellow -> red heat map through five fixed stops, so low weights
// read cold and high weights hot without a lookup texture.
vec3 heat_colormap(float x) {
  const vec3 stops[5] = vec3[5](vec3(0.05, 0.05, 0.55), vec3(0.0, 0.55, 1.0), vec3(0.2, 0.85, 0.3),
                                vec3(1.0, 0.85, 0.0), vec3(0.85, 0.05, 0.05));
  float t = clamp(x, 0.0, 1.0) * 4.0;
  int i = min(int(t), 3);
  return mix(stops[i], stops[i + 1], t - float(i));
}

void main() {
  vec3 n = normalize(in_normal);
  if (!gl_FrontFacing) n = -n;  // the mouth socket and eyelids are seen from both sides
  vec3 l = normalize(pc.light_dir.xyz);
  vec3 v = normalize(pc.eye_pos.xyz - in_position);
  float ambient = pc.light_dir.w;
  float diffuse = max(dot(n, l), 0.0);
  // A dim fill light from below-behind the key keeps the shadow side readable.
  float fill = 0.25 * max(dot(n, -l * vec3(1.0, -1.0, 1.0)), 0.0);
  vec3 h = normalize(l + v);
  float specular = pc.overlay.y * pow(max(dot(n, h), 0.0), 32.0);
  float lighting = ambient + (1.0 - ambient) * diffuse + fill;

  vec3 color;
  int shading = pc.modes.x;
  if (shading == FACEG2E_SHADE_NORMALS) {
    color = n * 0.5 + 0.5;
  } else if (shading == FACEG2E_SHADE_GREY) {
    color = vec3(0.8) * lighting + vec3(specular);
  } else {
    color = texture(albedo_tex, in_uv).rgb * lighting + vec3(specular);
  }

  int overlay = pc.modes.y;
  float opacity = clamp(pc.overlay.x, 0.0, 1.0);
  if (overlay == FACEG2E_OVERLAY_REGION_LABELS) {
    color = mix(color, in_label_color.rgb * (0.35 + 0.65 * lighting), opacity * in_label_color.a);
  } else if (overlay == FACEG2E_OVERLAY_SCALAR_MAP) {
    float w = texture(scalar_tex, in_uv).r;
    color = mix(color, heat_colormap(w) * (0.35 + 0.65 * lighting), opacity);
  }
  out_color = vec4(color, 1.0);
}
