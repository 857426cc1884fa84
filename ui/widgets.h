#pragma once
// ImGui widgets that record where they were drawn (ui/widget_registry.h), so scripted tests can
// click them through the same input path as a person. Same signatures and results as ImGui's.
#include <imgui.h>

#include <string>
#include <vector>

namespace faceg2e::ui {

bool button(const char* label, const ImVec2& size = ImVec2(0, 0));
bool checkbox(const char* label, bool* value);
bool radio(const char* label, int* value, int option);
bool input_text(const char* label, std::string* text, ImGuiInputTextFlags flags = 0);
bool input_int(const char* label, int* value, int min_value, int max_value);
bool input_double(const char* label, double* value, const char* format = "%.3g");
bool slider_float(const char* label, float* value, float lo, float hi, const char* format = "%.2f");
// A combo over `items`; *index is clamped into range. Items are recorded while the popup is open.
bool combo(const char* label, int* index, const std::vector<std::string>& items);
bool selectable(const char* label, bool selected, ImGuiSelectableFlags flags = 0,
                const ImVec2& size = ImVec2(0, 0));
// Text recorded for expect-text (status lines, messages).
void text_wrapped(const std::string& text);
void text_colored(const ImVec4& color, const std::string& text);

}  // namespace faceg2e::ui
