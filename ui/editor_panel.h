#pragma once
// The editor window docked at the left of the main window: model info, identity and expression
// sliders, display mode and overlay, OBJ export, fps. Must be called between ImGui::NewFrame()
// and ImGui::Render().
#include "ui/editor_state.h"

namespace faceg2e::ui {

struct EditorPanelResult {
  bool coefficients_changed = false;  // re-assemble the mesh
  bool view_changed = false;          // shading / overlay changed
  bool reset_camera = false;
};

class EditorPanel {
 public:
  explicit EditorPanel(const EditorParams& params = {}) : params_(params) {}

  EditorPanelResult draw(const ModelInfo& info, FaceCoefficientsState& coefficients,
                         render::ViewSettings& view, ExportState& export_state,
                         const ExportFn& export_fn, float window_height);

  // The screen-space width the panel occupies (the viewport starts right of it).
  float width() const { return params_.panel_width; }

 private:
  bool draw_identity(const ModelInfo& info, FaceCoefficientsState& c);
  bool draw_expressions(const ModelInfo& info, FaceCoefficientsState& c);
  bool draw_view(render::ViewSettings& view);
  void draw_export(ExportState& state, const ExportFn& export_fn);

  EditorParams params_;
  bool show_all_identity_ = false;
  char expression_filter_[64] = "";
};

}  // namespace faceg2e::ui
