#include "ui/editor_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>

namespace faceg2e::ui {

namespace {

bool contains_case_insensitive(const std::string& text, const char* needle) {
  if (!needle[0]) return true;
  std::string a = text, b = needle;
  std::transform(a.begin(), a.end(), a.begin(), [](unsigned char ch) { return std::tolower(ch); });
  std::transform(b.begin(), b.end(), b.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return a.find(b) != std::string::npos;
}

}  // namespace

EditorPanelResult EditorPanel::draw(const ModelInfo& info, FaceCoefficientsState& coefficients,
                                    render::ViewSettings& view, ExportState& export_state,
                                    const ExportFn& export_fn, float window_height) {
  EditorPanelResult result;
  ImGui::SetNextWindowPos(ImVec2(0, 0), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(params_.panel_width, window_height), ImGuiCond_Always);
  const ImGuiWindowFlags flags =
      ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse;
  if (!ImGui::Begin("FaceG2E", nullptr, flags)) {
    ImGui::End();
    return result;
  }

  ImGui::Text("%.1f fps (%.2f ms)", ImGui::GetIO().Framerate,
              1000.0f / std::max(ImGui::GetIO().Framerate, 1e-3f));

  if (ImGui::CollapsingHeader("Model", ImGuiTreeNodeFlags_DefaultOpen)) {
    ImGui::TextWrapped("Source: %s", info.source.c_str());
    ImGui::Text("Vertices: %d  Triangles: %d  UVs: %d", info.num_vertices, info.num_triangles,
                info.num_uvs);
    ImGui::Text("Identity modes: %d  Expressions: %d", static_cast<int>(info.identity_names.size()),
                static_cast<int>(info.expression_names.size()));
    if (!info.license_note.empty()) ImGui::TextWrapped("Licence: %s", info.license_note.c_str());
  }

  if (ImGui::CollapsingHeader("Display", ImGuiTreeNodeFlags_DefaultOpen)) {
    result.view_changed = draw_view(view);
    if (ImGui::Button("Reset camera")) result.reset_camera = true;
  }

  if (ImGui::CollapsingHeader("Identity", ImGuiTreeNodeFlags_DefaultOpen))
    result.coefficients_changed |= draw_identity(info, coefficients);
  if (ImGui::CollapsingHeader("Expressions", ImGuiTreeNodeFlags_DefaultOpen))
    result.coefficients_changed |= draw_expressions(info, coefficients);
  if (ImGui::CollapsingHeader("Export", ImGuiTreeNodeFlags_DefaultOpen))
    draw_export(export_state, export_fn);

  ImGui::End();
  return result;
}

bool EditorPanel::draw_view(render::ViewSettings& view) {
  bool changed = false;
  int shading = static_cast<int>(view.shading);
  changed |=
      ImGui::RadioButton("Textured", &shading, static_cast<int>(render::ShadingMode::textured));
  ImGui::SameLine();
  changed |= ImGui::RadioButton("Grey", &shading, static_cast<int>(render::ShadingMode::grey));
  ImGui::SameLine();
  changed |=
      ImGui::RadioButton("Normals", &shading, static_cast<int>(render::ShadingMode::normals));
  view.shading = static_cast<render::ShadingMode>(shading);

  const char* overlays[] = {"None", "Region labels", "Weight map (heat)"};
  int overlay = static_cast<int>(view.overlay);
  if (ImGui::Combo("Overlay", &overlay, overlays, IM_ARRAYSIZE(overlays))) {
    view.overlay = static_cast<render::OverlayMode>(overlay);
    changed = true;
  }
  changed |= ImGui::SliderFloat("Opacity", &view.overlay_opacity, 0.0f, 1.0f, "%.2f");
  return changed;
}

bool EditorPanel::draw_identity(const ModelInfo& info, FaceCoefficientsState& c) {
  bool changed = false;
  ImGui::Checkbox("Show all", &show_all_identity_);
  ImGui::SameLine();
  if (ImGui::Button("Reset identity")) {
    std::fill(c.identity.begin(), c.identity.end(), 0.0f);
    changed = true;
  }
  const int count = show_all_identity_
                        ? static_cast<int>(c.identity.size())
                        : std::min(params_.identity_sliders, static_cast<int>(c.identity.size()));
  for (int i = 0; i < count; ++i) {
    const std::string label = i < static_cast<int>(info.identity_names.size())
                                  ? info.identity_names[i]
                                  : "identity " + std::to_string(i);
    changed |= ImGui::SliderFloat(label.c_str(), &c.identity[i], -params_.identity_range,
                                  params_.identity_range, "%.2f");
  }
  return changed;
}

bool EditorPanel::draw_expressions(const ModelInfo& info, FaceCoefficientsState& c) {
  bool changed = false;
  if (ImGui::Button("Reset expressions")) {
    std::fill(c.expression.begin(), c.expression.end(), 0.0f);
    changed = true;
  }
  ImGui::SameLine();
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##filter", "filter by name", expression_filter_,
                           sizeof(expression_filter_));
  for (std::size_t j = 0; j < c.expression.size(); ++j) {
    const std::string name = j < info.expression_names.size() ? info.expression_names[j]
                                                              : "expression " + std::to_string(j);
    if (!contains_case_insensitive(name, expression_filter_)) continue;
    changed |= ImGui::SliderFloat(name.c_str(), &c.expression[j], 0.0f, 1.0f, "%.2f");
  }
  return changed;
}

void EditorPanel::draw_export(ExportState& state, const ExportFn& export_fn) {
  ImGui::SetNextItemWidth(-80);
  ImGui::InputText("##export_path", &state.path);
  ImGui::SameLine();
  if (ImGui::Button("Export...")) {
    if (!export_fn) {
      state.status = "export is not available in this build";
      state.status_is_error = true;
    } else {
      try {
        state.status = export_fn(state.path);
        state.status_is_error = false;
      } catch (const std::exception& e) {
        state.status = e.what();
        state.status_is_error = true;
      }
    }
  }
  if (!state.status.empty()) {
    ImGui::PushStyleColor(ImGuiCol_Text, state.status_is_error ? ImVec4(1.0f, 0.45f, 0.4f, 1.0f)
                                                               : ImVec4(0.5f, 0.9f, 0.5f, 1.0f));
    ImGui::TextWrapped("%s", state.status.c_str());
    ImGui::PopStyleColor();
  }
}

}  // namespace faceg2e::ui
