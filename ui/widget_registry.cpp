#include "ui/widget_registry.h"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace faceg2e::ui {

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

std::string visible_label(const char* label) {
  const char* end = std::strstr(label, "##");
  return end ? std::string(label, end) : std::string(label);
}

WidgetRegistry& WidgetRegistry::instance() {
  static WidgetRegistry registry;
  return registry;
}

void WidgetRegistry::begin_frame() {
  last_.swap(current_);
  current_.clear();
}

void WidgetRegistry::record(const char* label, WidgetKind kind, const char* parent) {
  WidgetRect r;
  r.label = visible_label(label);
  if (parent) r.parent = visible_label(parent);
  r.kind = kind;
  // The interactive part: a text field's frame, not its label beside it (clicking the label
  // does not focus the field). ImGui keeps it as the item's navigation rectangle.
  const ImGuiLastItemData& item = GImGui->LastItemData;
  const bool has_nav = item.NavRect.GetWidth() > 0 && item.NavRect.GetHeight() > 0;
  const ImVec2 a = has_nav ? item.NavRect.Min : item.Rect.Min;
  const ImVec2 b = has_nav ? item.NavRect.Max : item.Rect.Max;
  r.x0 = a.x;
  r.y0 = a.y;
  r.x1 = b.x;
  r.y1 = b.y;
  const ImGuiWindow* window = ImGui::GetCurrentWindow();
  r.win_x0 = window->Pos.x;
  r.win_y0 = window->Pos.y;
  r.win_x1 = window->Pos.x + window->Size.x;
  r.win_y1 = window->Pos.y + window->Size.y;
  r.clip_y0 = window->InnerClipRect.Min.y;
  r.clip_y1 = window->InnerClipRect.Max.y;
  r.disabled = (ImGui::GetItemFlags() & ImGuiItemFlags_Disabled) != 0;
  current_.push_back(std::move(r));
}

const WidgetRect* WidgetRegistry::find(const std::string& label, const std::string& parent) const {
  auto matches_parent = [&](const WidgetRect& r) {
    return r.kind != WidgetKind::Label && (parent.empty() || r.parent == parent);
  };
  // A label drawn twice (e.g. a disabled and an enabled copy): prefer the enabled one.
  const WidgetRect* found = nullptr;
  for (const auto& r : last_)
    if (r.label == label && matches_parent(r) && (!found || (found->disabled && !r.disabled)))
      found = &r;
  if (found) return found;
  const std::string want = lower(label);
  for (const auto& r : last_)
    if (lower(r.label) == want && matches_parent(r)) return &r;
  for (const auto& r : last_) {
    if (!matches_parent(r) || lower(r.label).rfind(want, 0) != 0) continue;
    if (found && found->label != r.label) return nullptr;  // ambiguous
    found = &r;
  }
  if (found) return found;
  // A unique substring (history rows: "make her lips red" in "2 edit: make her lips red").
  for (const auto& r : last_) {
    if (!matches_parent(r) || lower(r.label).find(want) == std::string::npos) continue;
    if (found && found->label != r.label) return nullptr;  // ambiguous
    found = &r;
  }
  return found;
}

}  // namespace faceg2e::ui
