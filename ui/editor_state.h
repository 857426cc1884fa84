#pragma once
// The state the editor panels show and edit. Plain data: the panels own nothing else, and the
// app decides what a change means (re-assemble the mesh, re-upload a texture, export).
#include <array>
#include <functional>
#include <string>
#include <vector>

#include "render/view_settings.h"

namespace faceg2e::ui {

// What the model-info section shows; filled once from the loaded face model.
struct ModelInfo {
  std::string source;        // the file it was read from
  std::string license_note;  // first line(s) of the model's licence
  int num_vertices = 0;
  int num_triangles = 0;
  int num_uvs = 0;
  std::vector<std::string> identity_names;
  std::vector<std::string> expression_names;
  std::vector<std::string> region_names;                    // label id -> name (empty: no labels)
  std::vector<std::array<unsigned char, 3>> region_colors;  // label id -> display colour
};

struct FaceCoefficientsState {
  std::vector<float> identity;    // one per identity mode
  std::vector<float> expression;  // one per expression (blendshape weight in [0,1])
};

}  // namespace faceg2e::ui
