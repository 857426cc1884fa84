#include "app/gui/script_player.h"

#include <imgui.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "core/util/error.h"
#include "ui/widget_registry.h"

namespace faceg2e::gui {

namespace {

// How long a line may wait for its widget to appear (a popup opening, a panel after a job).
constexpr double k_find_timeout_s = 5.0;
// Scrolling a panel to bring a widget into view: at most this many wheel frames.
constexpr int k_max_scroll_frames = 200;
constexpr double k_default_idle_timeout_s = 600.0;

struct CommandSpec {
  std::size_t min_args, max_args;  // words after the command
};
const std::map<std::string, CommandSpec>& commands() {
  static const std::map<std::string, CommandSpec> table = {{"click", {1, 1}},
                                                           {"click-at", {2, 2}},
                                                           {"type", {2, 1000}},
                                                           {"select", {2, 2}},
                                                           {"key", {1, 1}},
                                                           {"wait", {1, 1}},
                                                           {"wait-idle", {0, 1}},
                                                           {"expect-history", {1, 1}},
                                                           {"expect-text", {1, 1000}},
                                                           {"screenshot", {1, 1}},
                                                           {"quit", {0, 0}}};
  return table;
}

std::string join(const std::vector<std::string>& words, std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) out += (i > from ? " " : "") + words[i];
  return out;
}

double parse_seconds(const std::string& word, const std::string& where) {
  try {
    std::size_t used = 0;
    const double v = std::stod(word, &used);
    if (used == word.size() && v >= 0) return v;
  } catch (const std::exception&) {
  }
  throw Error(where + ": '" + word + "' is not a number of seconds");
}

}  // namespace

std::vector<ScriptLine> parse_script(const std::string& text, const std::string& file_name) {
  std::vector<ScriptLine> lines;
  std::istringstream in(text);
  std::string raw;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    const std::string where = file_name + ":" + std::to_string(number);
    ScriptLine line;
    line.number = number;
    std::string word;
    bool in_word = false, quoted = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const char c = raw[i];
      if (quoted) {
        if (c == '\\' && i + 1 < raw.size() && (raw[i + 1] == '"' || raw[i + 1] == '\\')) {
          word += raw[++i];
        } else if (c == '"') {
          quoted = false;
        } else {
          word += c;
        }
      } else if (c == '"') {
        quoted = in_word = true;
      } else if (c == '#' && !in_word) {
        break;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        if (in_word) line.words.push_back(word);
        word.clear();
        in_word = false;
      } else {
        word += c;
        in_word = true;
      }
    }
    if (quoted) throw Error(where + ": unterminated quote");
    if (in_word) line.words.push_back(word);
    if (line.words.empty()) continue;
    const auto it = commands().find(line.words[0]);
    if (it == commands().end())
      throw Error(where + ": unknown command '" + line.words[0] +
                  "' (click, click-at, type, select, key, wait, wait-idle, expect-history, "
                  "expect-text, screenshot, quit)");
    const std::size_t args = line.words.size() - 1;
    if (args < it->second.min_args || args > it->second.max_args)
      throw Error(where + ": '" + line.words[0] + "' takes " + std::to_string(it->second.min_args) +
                  (it->second.max_args != it->second.min_args
                       ? (it->second.max_args > 100 ? " or more"
                                                    : "-" + std::to_string(it->second.max_args))
                       : "") +
                  " argument(s), got " + std::to_string(args) + " (quote labels with spaces)");
    if (line.words[0] == "wait") parse_seconds(line.words[1], where);
    if (line.words[0] == "click-at") {
      parse_seconds(line.words[1], where);
      parse_seconds(line.words[2], where);
    }
    if (line.words[0] == "wait-idle" && args == 1) parse_seconds(line.words[1], where);
    if (line.words[0] == "expect-history") {
      const std::string& n = line.words[1];
      if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos)
        throw Error(where + ": expect-history needs a count, got '" + n + "'");
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

ScriptPlayer::ScriptPlayer(std::filesystem::path file, ScriptHost host)
    : file_(std::move(file)), host_(std::move(host)) {
  const char* trace = std::getenv("FACEG2E_SCRIPT_TRACE");
  trace_ = trace && *trace && std::string(trace) != "0";
  std::ifstream in(file_);
  if (!in) throw NotFoundError("cannot read the script " + file_.string());
  std::stringstream text;
  text << in.rdbuf();
  lines_ = parse_script(text.str(), file_.string());
}

void ScriptPlayer::fail(const std::string& reason) {
  std::fprintf(stderr, "faceg2e: script %s:%d: %s\n", file_.string().c_str(), line_number_,
               reason.c_str());
  finished_ = true;
  exit_code_ = 1;
}

void ScriptPlayer::add_click(const std::string& label, const std::string& parent) {
  Action find{Action::Find};
  find.label = label;
  find.parent = parent;
  actions_.push_back(find);
  actions_.push_back(Action{Action::Hover});
  actions_.push_back(Action{Action::Press});
  actions_.push_back(Action{Action::Release});
  actions_.push_back(Action{Action::Hover});  // one frame for the click to take effect
}

void ScriptPlayer::add_chord(const std::string& chord) {
  Action down{Action::Key};
  std::stringstream ss(chord);
  std::string part, key;
  while (std::getline(ss, part, '+')) {
    for (auto& c : part) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (part == "ctrl" || part == "control")
      down.ctrl = true;
    else if (part == "shift")
      down.shift = true;
    else if (part == "alt")
      down.alt = true;
    else if (part == "super" || part == "cmd")
      down.super = true;
    else if (!key.empty())
      throw Error("'" + chord + "' names two keys");
    else
      key = part;
  }
  if (key.empty()) throw Error("'" + chord + "' names no key");
  down.key = host_.key_code ? host_.key_code(key) : -1;
  if (down.key < 0) throw Error("unknown key '" + key + "' in '" + chord + "'");
  actions_.push_back(down);
  Action up{Action::Key};  // all keys up
  actions_.push_back(up);
}

void ScriptPlayer::start_line(const ScriptLine& line) {
  line_number_ = line.number;
  actions_.clear();
  action_index_ = 0;
  action_start_s_ = -1;
  action_frames_ = 0;
  have_last_find_ = false;
  const std::string& cmd = line.words[0];
  const auto& w = line.words;
  if (cmd == "click") {
    add_click(w[1]);
  } else if (cmd == "click-at") {
    Action move{Action::MoveTo};
    move.x = static_cast<float>(parse_seconds(w[1], "click-at"));
    move.y = static_cast<float>(parse_seconds(w[2], "click-at"));
    actions_.push_back(move);
    actions_.push_back(Action{Action::Hover});
    actions_.push_back(Action{Action::Press});
    actions_.push_back(Action{Action::Release});
    actions_.push_back(Action{Action::Hover});
  } else if (cmd == "type") {
    add_click(w[1]);
    add_chord("ctrl+a");
    Action chars{Action::Chars};
    chars.label = join(w, 2);
    if (chars.label.empty())
      add_chord("delete");  // type LABEL "": clear the field
    else
      actions_.push_back(chars);
    add_chord("enter");
  } else if (cmd == "select") {
    add_click(w[1]);
    // Let the popup settle where it opens before looking for the item in it.
    Action settle{Action::Wait};
    settle.seconds = 0.3;
    actions_.push_back(settle);
    add_click(w[2], w[1]);
  } else if (cmd == "key") {
    add_chord(w[1]);
    actions_.push_back(Action{Action::Hover});
  } else if (cmd == "wait") {
    Action a{Action::Wait};
    a.seconds = std::stod(w[1]);
    actions_.push_back(a);
  } else if (cmd == "wait-idle") {
    Action a{Action::WaitIdle};
    a.seconds = w.size() > 1 ? std::stod(w[1]) : k_default_idle_timeout_s;
    actions_.push_back(Action{Action::Hover});  // a command sent last frame is queued by now
    actions_.push_back(a);
  } else if (cmd == "expect-history") {
    Action a{Action::ExpectHistory};
    a.count = std::stoi(w[1]);
    actions_.push_back(a);
  } else if (cmd == "expect-text") {
    Action a{Action::ExpectText};
    a.label = join(w, 1);
    actions_.push_back(a);
  } else if (cmd == "screenshot") {
    Action a{Action::Screenshot};
    a.label = w[1];
    actions_.push_back(a);
  } else if (cmd == "quit") {
    actions_.push_back(Action{Action::Quit});
  }
}

bool ScriptPlayer::run_action(ImGuiIO& io, const ui::WidgetRegistry& registry, double now_s) {
  Action& a = actions_[action_index_];
  if (action_start_s_ < 0) action_start_s_ = now_s;
  ++action_frames_;
  const double elapsed = now_s - action_start_s_;
  switch (a.kind) {
    case Action::Find: {
      const ui::WidgetRect* r = registry.find(a.label, a.parent);
      if (!r || r->disabled) {
        have_last_find_ = false;
        if (elapsed < k_find_timeout_s) return false;
        if (trace_)
          for (const auto& w : registry.last_frame())
            std::fprintf(stderr, "  on screen: \"%s\" in \"%s\" (%.0f,%.0f)-(%.0f,%.0f)\n",
                         w.label.c_str(), w.parent.c_str(), w.x0, w.y0, w.x1, w.y1);
        fail(!r ? "no widget labelled \"" + a.label + "\"" +
                      (a.parent.empty() ? "" : " in \"" + a.parent + "\"") + " is on screen"
                : "\"" + a.label + "\" is disabled");
        return false;
      }
      if (!r->visible()) {
        have_last_find_ = false;
        if (action_frames_ > k_max_scroll_frames) {
          fail("cannot scroll \"" + a.label + "\" into view");
          return false;
        }
        // Scroll its window with the wheel, as a person would.
        mouse_x_ = 0.5f * (r->win_x0 + r->win_x1);
        mouse_y_ = 0.5f * (r->clip_y0 + r->clip_y1);
        io.MouseWheel = r->y0 < r->clip_y0 ? 1.0f : -1.0f;
        return false;
      }
      // Only a rectangle that stayed put for a frame: a popup's first frame is laid out at a
      // provisional place, and a click there would land outside it and close it.
      if (trace_)
        std::fprintf(stderr, "faceg2e: script line %d: find \"%s\" (%.1f,%.1f)-(%.1f,%.1f)\n",
                     line_number_, r->label.c_str(), r->x0, r->y0, r->x1, r->y1);
      const bool stable = have_last_find_ && r->x0 == last_find_[0] && r->y0 == last_find_[1] &&
                          r->x1 == last_find_[2] && r->y1 == last_find_[3];
      have_last_find_ = true;
      last_find_[0] = r->x0;
      last_find_[1] = r->y0;
      last_find_[2] = r->x1;
      last_find_[3] = r->y1;
      if (!stable) return false;
      have_last_find_ = false;
      mouse_x_ = 0.5f * (r->x0 + r->x1);
      mouse_y_ = 0.5f * (r->y0 + r->y1);
      if (trace_)
        std::fprintf(stderr, "faceg2e: script line %d: \"%s\" at (%.0f, %.0f)\n", line_number_,
                     r->label.c_str(), mouse_x_, mouse_y_);
      return true;
    }
    case Action::MoveTo:
      mouse_x_ = a.x;
      mouse_y_ = a.y;
      return true;
    case Action::Hover:
      return true;
    case Action::Press:
      io.MouseDown[0] = true;
      return true;
    case Action::Release:
      io.MouseDown[0] = false;
      return true;
    case Action::Key: {
      for (bool& down : io.KeysDown) down = false;
      io.KeyCtrl = a.ctrl;
      io.KeyShift = a.shift;
      io.KeyAlt = a.alt;
      io.KeySuper = a.super;
      if (a.key >= 0 && a.key < static_cast<int>(IM_ARRAYSIZE(io.KeysDown)))
        io.KeysDown[a.key] = true;
      auto mod = [&](const char* name, bool on) {
        const int code = host_.key_code ? host_.key_code(name) : -1;
        if (code >= 0 && code < static_cast<int>(IM_ARRAYSIZE(io.KeysDown))) io.KeysDown[code] = on;
      };
      mod("ctrl", a.ctrl);
      mod("shift", a.shift);
      mod("alt", a.alt);
      mod("super", a.super);
      return true;
    }
    case Action::Chars:
      io.AddInputCharactersUTF8(a.label.c_str());
      return true;
    case Action::Wait:
      return elapsed >= a.seconds;
    case Action::WaitIdle:
      if (!host_.busy || !host_.busy()) return true;
      if (elapsed > a.seconds) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "still busy after %.0f s (wait-idle timed out)", a.seconds);
        fail(buf);
      }
      return false;
    case Action::ExpectHistory: {
      const int n = host_.history_size ? host_.history_size() : -1;
      if (n != a.count)
        fail("expected " + std::to_string(a.count) + " history entries, found " +
             std::to_string(n));
      return n == a.count;
    }
    case Action::ExpectText: {
      for (const auto& r : registry.last_frame())
        if (r.label.find(a.label) != std::string::npos) return true;
      if (elapsed < k_find_timeout_s) return false;
      fail("no text containing \"" + a.label + "\" is on screen");
      return false;
    }
    case Action::Screenshot:
      if (!screenshot_pending_) {
        screenshot_request_ = std::filesystem::path(a.label);
        screenshot_pending_ = true;
        return false;
      }
      return false;  // screenshot_done advances
    case Action::Quit:
      finished_ = true;
      return true;
  }
  return true;
}

void ScriptPlayer::feed_input(ImGuiIO& io, const ui::WidgetRegistry& registry, double now_s) {
  // The player owns the pointer: whatever the platform reported is replaced.
  io.MouseDown[0] = false;
  for (int i = 1; i < static_cast<int>(IM_ARRAYSIZE(io.MouseDown)); ++i) io.MouseDown[i] = false;
  if (finished_) return;
  try {
    while (!finished_) {
      if (action_index_ >= actions_.size()) {
        if (next_line_ >= lines_.size()) {
          finished_ = true;  // the end of the script is a quit
          break;
        }
        start_line(lines_[next_line_++]);
        continue;
      }
      const Action::Kind kind = actions_[action_index_].kind;
      const bool done = run_action(io, registry, now_s);
      // Mouse buttons stay as the press/release actions left them until the next such action.
      if (kind == Action::Press) pressed_ = true;
      if (kind == Action::Release) pressed_ = false;
      if (!done) break;
      ++action_index_;
      action_start_s_ = -1;
      action_frames_ = 0;
      // Instantaneous checks may run on in the same frame; input needs a frame each.
      if (kind != Action::ExpectHistory && kind != Action::ExpectText && kind != Action::Wait &&
          kind != Action::WaitIdle)
        break;
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  io.MouseDown[0] = pressed_;
  io.MousePos = ImVec2(mouse_x_, mouse_y_);
  if (mouse_x_ < 0) io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
}

std::optional<std::filesystem::path> ScriptPlayer::take_screenshot_request() {
  auto r = std::move(screenshot_request_);
  screenshot_request_.reset();
  return r;
}

void ScriptPlayer::screenshot_done(const std::string& error) {
  screenshot_pending_ = false;
  if (!error.empty()) {
    fail("screenshot: " + error);
    return;
  }
  if (action_index_ < actions_.size() && actions_[action_index_].kind == Action::Screenshot) {
    ++action_index_;
    action_start_s_ = -1;
    action_frames_ = 0;
  }
}

}  // namespace faceg2e::gui
