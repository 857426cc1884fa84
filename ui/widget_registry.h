#pragma once
// Where each labelled widget was drawn in the last frame, so a script can click it the way a
// person does: the script player moves the synthetic mouse to the rectangle recorded here and
// presses the button through ImGui's IO. Widgets are recorded by their *visible* label (the text
// before "##"), right after they are submitted.
#include <string>
#include <vector>

namespace faceg2e::ui {

// Label: shown text (status lines, messages) for expect-text; never a click target.
enum class WidgetKind { Button, Checkbox, Radio, Text, Combo, ComboItem, Row, Tab, Other, Label };

struct WidgetRect {
  std::string label;   // visible label
  std::string parent;  // combo label for ComboItem; empty otherwise
  WidgetKind kind = WidgetKind::Other;
  float x0 = 0, y0 = 0, x1 = 0, y1 = 0;  // item rectangle, window (ImGui) units
  float clip_y0 = 0, clip_y1 = 0;        // visible band of the window the item is in
  float win_x0 = 0, win_y0 = 0, win_x1 = 0, win_y1 = 0;
  bool disabled = false;
  bool visible() const { return y0 >= clip_y0 && y1 <= clip_y1; }
};

class WidgetRegistry {
 public:
  // The one registry of the UI thread.
  static WidgetRegistry& instance();

  // Call once per frame before the panels draw: the frame just drawn becomes last_frame().
  void begin_frame();
  // Records ImGui's last submitted item under `label` (the "##" suffix is cut off).
  void record(const char* label, WidgetKind kind, const char* parent = nullptr);
  const std::vector<WidgetRect>& last_frame() const { return last_; }

  // Finds a widget of the last frame: an exact label first, then a case-insensitive one, then a
  // unique case-insensitive prefix, then a unique substring. Null when none or ambiguous.
  const WidgetRect* find(const std::string& label, const std::string& parent = {}) const;

 private:
  std::vector<WidgetRect> current_, last_;
};

// The visible part of an ImGui label ("Seed##gen" -> "Seed", "###id" -> "").
std::string visible_label(const char* label);

}  // namespace faceg2e::ui
