#include "core/session/project.h"

#include "core/session/project_store.h"
#include "core/util/error.h"

namespace faceg2e::session {
namespace fs = std::filesystem;

void save_project(const fs::path& dir, ProjectState state) {
  HistoryEntry e;
  const nlohmann::json& g = state.generation;
  e.kind = g.is_object() && g.value("command", std::string()) == "generate" ? EntryKind::Generate
                                                                            : EntryKind::New;
  if (g.is_object()) {
    if (auto t = g.find("prompt"); t != g.end() && t->is_string()) e.text = t->get<std::string>();
    if (auto s = g.find("seed"); s != g.end() && s->is_number_unsigned())
      e.seed = s->get<std::uint64_t>();
    if (auto t = g.find("timings"); t != g.end() && t->is_object()) e.timings = *t;
    e.params = g;
  }
  e.state = std::move(state.face);
  std::error_code ec;
  if (fs::exists(dir / "project.json", ec)) {
    auto store = ProjectStore::open(dir);
    History fresh;
    fresh.append(std::move(e));
    store->history() = std::move(fresh);
    store->set_face_model_name(state.face_model_name);
    store->save();
    return;
  }
  create_project(dir, state.face_model_name, std::move(e));
}

ProjectState load_project(const fs::path& dir) {
  const Project p = read_project(dir);
  const HistoryEntry& e = p.history.current();
  ProjectState s;
  s.face = e.state;
  s.face_model_name = p.face_model_name;
  s.generation = e.params;
  s.created = p.created;
  s.modified = p.modified;
  s.app_version = p.app_version;
  return s;
}

}  // namespace faceg2e::session
