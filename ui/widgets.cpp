#include "ui/widgets.h"

#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdint>

#include "ui/widget_registry.h"

namespace faceg2e::ui {

namespace {
void record(const char* label, WidgetKind kind, const char* parent = nullptr) {
  WidgetRegistry::instance().record(label, kind, parent);
}
}  // namespace

bool button(const char* label, const ImVec2& size) {
  const bool r = ImGui::Button(label, size);
  record(label, WidgetKind::Button);
  return r;
}

bool checkbox(const char* label, bool* value) {
  const bool r = ImGui::Checkbox(label, value);
  record(label, WidgetKind::Checkbox);
  return r;
}

bool radio(const char* label, int* value, int option) {
  const bool r = ImGui::RadioButton(label, value, option);
  record(label, WidgetKind::Radio);
  return r;
}

bool input_text(const char* label, std::string* text, ImGuiInputTextFlags flags) {
  const bool r = ImGui::InputText(label, text, flags);
  record(label, WidgetKind::Text);
  return r;
}

bool input_int(const char* label, int* value, int min_value, int max_value) {
  const bool r = ImGui::InputInt(label, value, 0, 0);
  record(label, WidgetKind::Text);
  *value = std::clamp(*value, min_value, max_value);
  return r;
}

bool input_double(const char* label, double* value, const char* format) {
  const bool r = ImGui::InputDouble(label, value, 0.0, 0.0, format);
  record(label, WidgetKind::Text);
  return r;
}

bool slider_float(const char* label, float* value, float lo, float hi, const char* format) {
  const bool r = ImGui::SliderFloat(label, value, lo, hi, format);
  record(label, WidgetKind::Other);
  return r;
}

bool combo(const char* label, int* index, const std::vector<std::string>& items) {
  if (items.empty()) return false;
  *index = std::clamp(*index, 0, static_cast<int>(items.size()) - 1);
  bool changed = false;
  const bool open = ImGui::BeginCombo(label, items[static_cast<std::size_t>(*index)].c_str());
  record(label, WidgetKind::Combo);
  if (open) {
    for (int i = 0; i < static_cast<int>(items.size()); ++i) {
      const bool selected = i == *index;
      ImGui::PushID(i);
      if (ImGui::Selectable(items[static_cast<std::size_t>(i)].c_str(), selected)) {
        *index = i;
        changed = true;
      }
      record(items[static_cast<std::size_t>(i)].c_str(), WidgetKind::ComboItem, label);
      ImGui::PopID();
      if (selected) ImGui::SetItemDefaultFocus();
    }
    ImGui::EndCombo();
  }
  return changed;
}

bool selectable(const char* label, bool selected, ImGuiSelectableFlags flags, const ImVec2& size) {
  const bool r = ImGui::Selectable(label, selected, flags, size);
  record(label, WidgetKind::Row);
  return r;
}

void text_wrapped(const std::string& text) {
  ImGui::TextWrapped("%s", text.c_str());
  record(text.c_str(), WidgetKind::Label);
}

void text_colored(const ImVec4& color, const std::string& text) {
  ImGui::PushStyleColor(ImGuiCol_Text, color);
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
  record(text.c_str(), WidgetKind::Label);
}

}  // namespace faceg2e::ui
