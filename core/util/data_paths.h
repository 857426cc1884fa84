#pragma once
// Where FaceG2E finds the data it does not ship (the face model). The project never commits
// that data; it reads it from a path.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace faceg2e {

// The application version ("0.1.0").
std::string app_version();

struct FaceModelSearch {
  std::filesystem::path found;                  // empty when nothing was found
  std::vector<std::string> tried;               // every place looked at, in order, described
  // Set when an explicit setting (the flag, or FACEG2E_FACE_MODEL) names no file: the search
  // stops there ("--face-model PATH" / "$FACEG2E_FACE_MODEL=PATH").
  std::string explicit_setting;
};

// Looks for the F3DM face model, in order:
//   1. `explicit_path` (the --face-model flag), when given: it must exist;
//   2. the FACEG2E_FACE_MODEL environment variable, when set: it must exist too;
//   3. $XDG_DATA_HOME/faceg2e/face/ict_facekit_full.f3dm (XDG_DATA_HOME defaults to ~/.local/share);
//   4. ../shared/data/ict-facekit/ict_facekit_full.f3dm next to the checkout (the source tree
//      this binary was built from, and the folders above the executable).
FaceModelSearch find_face_model(const std::optional<std::filesystem::path>& explicit_path);

// The same, but throws NotFoundError with a message that names every place and
// scripts/fetch-face-model.sh when nothing is found, or the setting when an explicit one is wrong.
std::filesystem::path require_face_model(const std::optional<std::filesystem::path>& explicit_path);

// The XDG install location used by scripts/fetch-face-model.sh.
std::filesystem::path xdg_face_model_path();

// The shared folder (data/, fixtures/) beside the checkout: $FACEG2E_SHARED_DIR when set,
// else <source>/../shared. Used by tests and diagnostics.
std::filesystem::path shared_dir();

// The running executable's folder (from /proc/self/exe); empty when unknown.
std::filesystem::path executable_dir();

}  // namespace faceg2e
