#pragma once
// The reference model, loaded once per test executable.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/face/face_model.h"
#include "tests/common/shared_dir.h"

namespace faceg2e::face::testing {

inline std::filesystem::path shared_path() { return faceg2e::testing::shared_dir(); }

inline std::filesystem::path ict_dir() { return shared_path() / "data" / "ict-facekit"; }

inline std::filesystem::path reference_f3dm() { return ict_dir() / "ict_facekit_full.f3dm"; }

inline const FaceModel& reference_model() {
  static const FaceModel model = load_f3dm(reference_f3dm());
  return model;
}

// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("faceg2e_face_test_" + tag + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::filesystem::path path_;
};

}  // namespace faceg2e::face::testing
