#pragma once
// The one-state project API of format 1, kept as a thin layer over the format-2 store
// (project_store.h) for callers that still think of a project as one face: the pipeline's
// generate (which the engine reshaping moves to project_store.h) and the analytic target.
// New code uses project_store.h.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/session/coefficients.h"
#include "core/session/face_state.h"

namespace faceg2e::session {

struct ProjectState {
  FaceState face;
  std::string face_model_name;  // e.g. "ict_facekit_full" (file stem of the model)
  // The run's record: becomes the entry's params; "command" ("generate" or "new") its kind,
  // "prompt" its text, "seed" and "timings" its seed and timings.
  nlohmann::json generation = nlohmann::json::object();
  std::string created;      // as read
  std::string modified;     // as read
  std::string app_version;  // as read
};

// Writes a format-2 project whose history is this one state. An existing project in `dir` is
// replaced (its history with it: this is "generate --out DIR" overwriting DIR); other files in
// the folder (generate's previews/) are left alone.
void save_project(const std::filesystem::path& dir, ProjectState state);

// The entry at the cursor of the project in `dir` (format 1 or 2), as read_project checks it.
ProjectState load_project(const std::filesystem::path& dir);

}  // namespace faceg2e::session
