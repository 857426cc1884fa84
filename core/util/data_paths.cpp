#include "core/util/data_paths.h"

#include <unistd.h>

#include <cstdlib>

#include "core/util/error.h"

namespace faceg2e {
namespace fs = std::filesystem;

namespace {
constexpr const char* kModelFile = "ict_facekit_full.f3dm";
constexpr const char* kSharedModelRel = "data/ict-facekit/ict_facekit_full.f3dm";

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}
}  // namespace

std::string app_version() { return FACEG2E_VERSION_STRING; }

fs::path executable_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path();
}

fs::path xdg_face_model_path() {
  fs::path base;
  if (auto x = env("XDG_DATA_HOME")) {
    base = *x;
  } else if (auto home = env("HOME")) {
    base = fs::path(*home) / ".local" / "share";
  } else {
    base = fs::path(".local") / "share";
  }
  return base / "faceg2e" / "face" / kModelFile;
}

fs::path shared_dir() {
  if (auto s = env("FACEG2E_SHARED_DIR")) return fs::path(*s);
  return fs::path(FACEG2E_SOURCE_DIR).parent_path() / "shared";
}

FaceModelSearch find_face_model(const std::optional<fs::path>& explicit_path) {
  FaceModelSearch s;
  if (explicit_path) {
    s.tried.push_back("--face-model " + explicit_path->string());
    if (is_file(*explicit_path))
      s.found = *explicit_path;
    else
      s.explicit_setting = "--face-model " + explicit_path->string();
    return s;  // An explicit path that is wrong is an error, not a reason to look elsewhere.
  }
  if (auto e = env("FACEG2E_FACE_MODEL")) {
    // Like the flag: a variable that is set but wrong is an error, not a reason to look
    // elsewhere (another model would be used without a word).
    s.tried.push_back("$FACEG2E_FACE_MODEL=" + *e);
    if (is_file(*e))
      s.found = *e;
    else
      s.explicit_setting = "$FACEG2E_FACE_MODEL=" + *e;
    return s;
  } else {
    s.tried.push_back("$FACEG2E_FACE_MODEL (not set)");
  }
  const fs::path xdg = xdg_face_model_path();
  s.tried.push_back(xdg.string());
  if (is_file(xdg)) {
    s.found = xdg;
    return s;
  }
  // Next to the checkout: the source tree's sibling, then siblings of the executable's parents
  // (build/app/faceg2e -> <checkout>/../shared).
  std::vector<fs::path> candidates;
  candidates.push_back(fs::path(FACEG2E_SOURCE_DIR).parent_path() / "shared" / kSharedModelRel);
  fs::path dir = executable_dir();
  for (int up = 0; up < 4 && !dir.empty(); ++up) {
    candidates.push_back(dir.parent_path() / "shared" / kSharedModelRel);
    dir = dir.parent_path();
  }
  for (const auto& c : candidates) {
    const fs::path norm = c.lexically_normal();
    s.tried.push_back(norm.string());
    if (is_file(norm)) {
      s.found = norm;
      return s;
    }
  }
  return s;
}

fs::path require_face_model(const std::optional<fs::path>& explicit_path) {
  FaceModelSearch s = find_face_model(explicit_path);
  if (!s.found.empty()) return s.found;
  if (!s.explicit_setting.empty()) {
    std::error_code ec;
    const std::string path = s.explicit_setting.substr(s.explicit_setting.find_first_of(" =") + 1);
    const std::string why =
        fs::is_directory(path, ec) ? "is a folder, not an .f3dm file" : "does not exist";
    const std::string unset = s.explicit_setting[0] == '$'
                                  ? " or unset FACEG2E_FACE_MODEL to use the default search"
                                  : "";
    throw NotFoundError("the face model given by " + s.explicit_setting + " " + why +
                        ". Fix the path" + unset + " (scripts/fetch-face-model.sh installs the model into " +
                        xdg_face_model_path().string() + ")");
  }
  std::string msg = "the ICT-FaceKit face model (" + std::string(kModelFile) +
                    ") was not found. Looked in:\n";
  for (const auto& t : s.tried) msg += "  - " + t + "\n";
  msg +=
      "Pass --face-model PATH, set FACEG2E_FACE_MODEL, or run scripts/fetch-face-model.sh, which "
      "downloads ICT-FaceKit and installs it into " +
      xdg_face_model_path().string();
  throw NotFoundError(msg);
}

}  // namespace faceg2e
