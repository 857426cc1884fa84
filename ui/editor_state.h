#pragma once
// The state the editor panels show and edit. Plain data: the panels own nothing else, and the
// app decides what a change means (re-assemble the mesh, re-upload a texture, export).
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
};

struct FaceCoefficientsState {
  std::vector<float> identity;    // one per identity mode
  std::vector<float> expression;  // one per expression (blendshape weight in [0,1])
};

struct ExportState {
  std::string path = "face.obj";
  std::string status;  // the last result, shown under the button
  bool status_is_error = false;
};

// Turns a path into an export; throws faceg2e::Error (or std::exception) with the reason on
// failure, returns a short success message otherwise.
using ExportFn = std::function<std::string(const std::string& path)>;

struct EditorParams {
  int identity_sliders = 10;    // shown before "show all"
  float identity_range = 3.0f;  // coefficients are in standard deviations
  float panel_width = 360.0f;   // pixels; the viewport takes the rest of the window
};

}  // namespace faceg2e::ui
