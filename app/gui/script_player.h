#pragma once
// `faceg2e --script FILE`: plays a script against the real window. Each line becomes synthetic
// mouse and keyboard input, fed through ImGui's IO at the on-screen rectangle of the widget with
// that visible label (ui/widget_registry.h), so the same code runs as for a person's click; the
// player never calls a handler. Lines:
//
//   click LABEL            a button, checkbox, radio, tab or history row by its visible label
//   click-at X Y           a click at window coordinates (the viewport: orbit, pick on face)
//   type LABEL TEXT...     focus the text field with that label, replace its text (Enter ends it)
//   select LABEL ITEM      a combo box item
//   key CHORD              e.g. ctrl+z, ctrl+shift+z, enter
//   wait SECONDS           keep drawing frames for that long
//   wait-idle [SECONDS]    until no job is queued or running (fails on timeout; default 600)
//   expect-history N       fails unless the history has N entries
//   expect-text TEXT       fails unless some widget label of the last frame contains TEXT
//   screenshot PATH        the full window, PNG
//   quit
//
// Labels with spaces are quoted ("Geometry steps"); '#' starts a comment outside quotes. A
// failing line prints FILE:LINE and the reason; the app then exits non-zero.
// FACEG2E_SCRIPT_TRACE=1 prints where each click lands.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

struct ImGuiIO;

namespace faceg2e::ui {
class WidgetRegistry;
}

namespace faceg2e::gui {

struct ScriptLine {
  int number = 0;  // 1-based line in the file
  std::vector<std::string> words;
};

// Splits a script into lines of words (quotes group, '#' comments). Throws faceg2e::Error naming
// FILE:LINE for an unknown command, a wrong word count or an unterminated quote.
std::vector<ScriptLine> parse_script(const std::string& text, const std::string& file_name);

// What the player asks of the app.
struct ScriptHost {
  std::function<bool()> busy;                       // a job is queued or running
  std::function<int()> history_size;                // entries in the document's history
  std::function<int(const std::string&)> key_code;  // key name -> io.KeysDown index, -1 unknown
};

class ScriptPlayer {
 public:
  ScriptPlayer(std::filesystem::path file, ScriptHost host);

  // Once per frame, after the platform backend's new frame and before ImGui::NewFrame():
  // advances the script and writes this frame's synthetic input into `io`, reading widget
  // rectangles from the last frame.
  void feed_input(ImGuiIO& io, const ui::WidgetRegistry& registry, double now_s);

  // A screenshot the script wants of this frame (the app writes it after presenting, then calls
  // screenshot_done with an error message or empty).
  std::optional<std::filesystem::path> take_screenshot_request();
  void screenshot_done(const std::string& error);

  bool finished() const { return finished_; }
  int exit_code() const { return exit_code_; }

 private:
  // One frame-level step of a line: most take one frame; waits and searches take several.
  struct Action {
    enum Kind {
      Find,
      MoveTo,
      Hover,
      Press,
      Release,
      Key,
      Chars,
      Wait,
      WaitIdle,
      ExpectHistory,
      ExpectText,
      Screenshot,
      Quit
    } kind;
    std::string label, parent;  // Find: widget (and combo) label; Chars/ExpectText: the text
    int key = -1;               // Key: io.KeysDown index (-1: modifiers only)
    bool ctrl = false, shift = false, alt = false, super = false;
    double seconds = 0;  // Wait, WaitIdle (timeout)
    int count = 0;       // ExpectHistory
    float x = 0, y = 0;  // MoveTo: window coordinates
  };
  void start_line(const ScriptLine& line);
  void fail(const std::string& reason);
  // Runs the current action for this frame; true when it is done.
  bool run_action(ImGuiIO& io, const ui::WidgetRegistry& registry, double now_s);
  void add_click(const std::string& label, const std::string& parent = {});
  void add_chord(const std::string& chord);

  std::filesystem::path file_;
  ScriptHost host_;
  std::vector<ScriptLine> lines_;
  std::size_t next_line_ = 0;
  int line_number_ = 0;
  std::vector<Action> actions_;
  std::size_t action_index_ = 0;
  double action_start_s_ = -1;  // when the current action began (-1: not yet)
  int action_frames_ = 0;
  float mouse_x_ = -1, mouse_y_ = -1;
  bool pressed_ = false;
  bool trace_ = false;
  bool have_last_find_ = false;  // Find: the rectangle seen last frame
  float last_find_[4] = {0, 0, 0, 0};  // FACEG2E_SCRIPT_TRACE=1: print where each click lands
  bool finished_ = false;
  int exit_code_ = 0;
  std::optional<std::filesystem::path> screenshot_request_;
  bool screenshot_pending_ = false;
};

}  // namespace faceg2e::gui
