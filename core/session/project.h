#pragma once
// A project folder holding one face state:
//
//   DIR/project.json     format, versions, face-model name, created/modified (UTC, ISO 8601),
//                        and a free "generation" object (prompt, seed, stages, timings, ...)
//   DIR/identity.json    {"coefficients": [...]}  (num_identity values or fewer)
//   DIR/expression.json  {"coefficients": [...], "names": [...]}
//   DIR/albedo.png       atlas RGB (layout of core/face/uv_atlas.h); absent = default albedo
//
// Saves write each file atomically and project.json last, so a crash mid-save leaves the
// previous project.json pointing at complete files (it names the files it relies on).
//
// History (for the Editing issue): add "history": {"cursor": i, "entries": [{"kind", "prompt",
// "params", "seed", "timings", "state": "history/0003/"}, ...]} to project.json, each entry's
// folder holding the same three files (identity.json, expression.json, albedo.png) plus its W
// map and thumbnail. The top-level files stay the current state (= entries[cursor]), so a
// reader that ignores "history" (this version) still opens the project; format_version goes to 2.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/session/face_state.h"

namespace faceg2e::session {

constexpr int kProjectFormatVersion = 1;

struct ProjectState {
  FaceState face;
  std::string face_model_name;  // e.g. "ict_facekit_full" (file stem of the model)
  nlohmann::json generation = nlohmann::json::object();  // free, owned by whoever made it
  std::string created;      // ISO 8601 UTC; save_project fills it when empty
  std::string modified;     // set by save_project
  std::string app_version;  // set by save_project (read back by load_project)
};

// Writes the folder (created if needed). Throws faceg2e::Error naming the file on failure.
void save_project(const std::filesystem::path& dir, ProjectState state);

// Reads and validates the folder: NotFoundError for a missing folder or file, FormatError
// naming the file and field for corrupt content (bad JSON, non-numeric or non-finite
// coefficients, unsupported format version, unreadable PNG).
ProjectState load_project(const std::filesystem::path& dir);

// Checks coefficient counts against a model: more coefficients than modes is an error (fewer
// is fine: missing modes are 0). Throws faceg2e::Error naming `what`.
void check_coefficients(const face::FaceCoefficients& coeffs, const face::FaceModel& model,
                        const std::string& what);

// A coefficient list from JSON: a bare array of numbers, or an object with "coefficients".
// Throws FormatError naming `file` when malformed or non-finite.
std::vector<float> parse_coefficients(const nlohmann::json& j, const std::string& file);
std::vector<float> read_coefficients_file(const std::filesystem::path& path);

// The face-model name recorded in projects and exports: the model file's stem.
std::string face_model_name(const face::FaceModel& model);

// Current time as ISO 8601 UTC ("2026-01-31T12:00:00Z").
std::string utc_now_iso8601();

}  // namespace faceg2e::session
