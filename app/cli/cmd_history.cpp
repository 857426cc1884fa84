// `history --project DIR list|undo|redo|goto N|show N`: the project's history and its cursor.
// Entries are numbered from 0 (the `new` or `generate` that made the face).
#include <cstdio>
#include <memory>
#include <string>

#include "app/cli/cli_commands.h"
#include "core/session/project_store.h"
#include "core/util/error.h"

namespace faceg2e::cli {
namespace {

using session::HistoryEntry;

std::string one_line(std::string s, std::size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

std::string entry_text(const HistoryEntry& e) {
  if (!e.text.empty()) return "\"" + one_line(e.text, 60) + "\"";
  return e.kind == session::EntryKind::New ? "(new face)" : "(no text)";
}

// "* 2  edit      texture     2026-12-01T14:00:00Z  "make her lips red"" (the * marks the cursor)
void print_line(const session::History& h, int i) {
  const HistoryEntry& e = h.at(i);
  std::printf("%c %3d  %-8s  %-10s  %-20s  %s\n", i == h.cursor() ? '*' : ' ', i,
              session::to_string(e.kind), e.scope.empty() ? "-" : e.scope.c_str(),
              e.created.c_str(), entry_text(e).c_str());
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "-" : s;
}

std::string image_size(const session::FloatImage& img) {
  if (img.empty()) return "none";
  return std::to_string(img.width) + "x" + std::to_string(img.height) + "x" +
         std::to_string(img.channels) + " (float)";
}

void run_list(const std::string& dir) {
  const session::Project p = session::read_project(dir);
  for (int i = 0; i < p.history.size(); ++i) print_line(p.history, i);
}

void run_show(const std::string& dir, int index) {
  const session::Project p = session::read_project(dir);
  const HistoryEntry& e = p.history.at(index);
  std::printf("entry:        %d of %d%s\n", index, p.history.size(),
              index == p.history.cursor() ? " (the cursor)" : "");
  std::printf("id:           %s (folder entries/%s)\n", e.id.c_str(), e.id.c_str());
  std::printf("kind:         %s\n", session::to_string(e.kind));
  std::printf("created:      %s\n", e.created.c_str());
  std::printf("text:         %s\n", e.text.empty() ? "-" : e.text.c_str());
  std::printf("scope:        %s\n", e.scope.empty() ? "-" : e.scope.c_str());
  std::printf("words:        %s\n", join(e.words).c_str());
  std::printf("regions:      %s\n", join(e.regions).c_str());
  std::printf("seed:         %s\n", e.seed ? std::to_string(*e.seed).c_str() : "-");
  if (e.final_loss)
    std::printf("final loss:   %.6g\n", *e.final_loss);
  else
    std::printf("final loss:   -\n");
  std::printf("timings:      %s\n", e.timings.dump().c_str());
  std::printf("models:       %s\n", e.models.empty() ? "-" : "");
  for (const auto& m : e.models)
    std::printf("  %-12s %s\n  %-12s sha256 %s\n", m.role.c_str(), m.path.c_str(), "",
                m.sha256.empty() ? "(not hashed)" : m.sha256.c_str());
  std::printf("state:        %zu identity, %zu expression coefficients\n",
              e.state.coeffs.identity.size(), e.state.coeffs.expression.size());
  std::printf("albedo:       %s\n",
              e.state.albedo.empty() ? "default" : image_size(e.state.albedo).c_str());
  if (e.state.latent.empty())
    std::printf("latent:       none\n");
  else
    std::printf("latent:       %dx%dx%d\n", e.state.latent.channels, e.state.latent.height,
                e.state.latent.width);
  std::printf("W map:        %s\n", image_size(e.weights).c_str());
  std::printf("attention:    %s\n", image_size(e.attention).c_str());
  std::printf(
      "thumbnail:    %s\n",
      e.thumbnail.empty()
          ? "none"
          : (std::to_string(e.thumbnail.width) + "x" + std::to_string(e.thumbnail.height)).c_str());
  std::printf("params:       %s\n", e.params.dump(2).c_str());
}

// Moves the cursor with `move`, commits, and prints where it is now.
template <typename Move>
void run_move(const std::string& dir, Move move) {
  auto store = session::ProjectStore::open(dir);
  move(store->history());
  store->save();
  const session::History& h = store->history();
  std::printf("cursor at %d of %d:\n", h.cursor(), h.size());
  print_line(h, h.cursor());
}

}  // namespace

void register_history_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "history", "List a project's history, show an entry, or move its cursor (undo/redo/goto)");
  cmd->require_subcommand(1);
  auto dir = std::make_shared<std::string>();
  cmd->add_option("--project", *dir, "project folder")->required();

  auto* list = cmd->add_subcommand("list",
                                   "One line per entry: index, kind, scope, time, text; "
                                   "* marks the cursor");
  list->callback([dir] { run_list(*dir); });

  auto* undo = cmd->add_subcommand("undo", "Move the cursor one entry back and save");
  undo->callback([dir] { run_move(*dir, [](session::History& h) { h.undo(); }); });

  auto* redo = cmd->add_subcommand("redo", "Move the cursor one entry forward and save");
  redo->callback([dir] { run_move(*dir, [](session::History& h) { h.redo(); }); });

  auto go_index = std::make_shared<int>(0);
  auto* go = cmd->add_subcommand("goto", "Move the cursor to entry N and save");
  go->add_option("N", *go_index, "entry index (from 0, as `list` prints)")->required();
  go->callback(
      [dir, go_index] { run_move(*dir, [&](session::History& h) { h.go_to(*go_index); }); });

  auto show_index = std::make_shared<int>(0);
  auto* show = cmd->add_subcommand("show", "Print entry N's record");
  show->add_option("N", *show_index, "entry index (from 0, as `list` prints)")->required();
  show->callback([dir, show_index] { run_show(*dir, *show_index); });

  for (auto* sub : {list, undo, redo, go, show}) sub->fallthrough();  // --project after the verb
}

}  // namespace faceg2e::cli
