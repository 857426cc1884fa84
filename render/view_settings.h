#pragma once
// What the viewport shows: the surface shading and an optional overlay blended over it.
#include "shaders/shared_layout.h"

namespace faceg2e::render {

enum class ShadingMode : int {
  textured = FACEG2E_SHADE_TEXTURED,
  grey = FACEG2E_SHADE_GREY,
  normals = FACEG2E_SHADE_NORMALS,
};

enum class OverlayMode : int {
  none = FACEG2E_OVERLAY_NONE,
  region_labels = FACEG2E_OVERLAY_REGION_LABELS,  // per-vertex label colours
  scalar_map = FACEG2E_OVERLAY_SCALAR_MAP,        // per-texel weight in [0,1] as a heat map
};

struct ViewSettings {
  ShadingMode shading = ShadingMode::textured;
  OverlayMode overlay = OverlayMode::none;
  float overlay_opacity = 0.6f;
  float ambient = 0.3f;    // share of the light that does not depend on the normal
  float specular = 0.08f;  // a faint highlight so the shape reads in grey mode
  // Key light direction in camera space (x right, y up, z toward the viewer): upper left front.
  float light_camera[3] = {-0.35f, 0.5f, 0.8f};
  float background[4] = {0.16f, 0.17f, 0.19f, 1.0f};
};

}  // namespace faceg2e::render
