#pragma once
// Per-process scratch folders for tests: /tmp/faceg2e_<tag>_<pid>/, created on first use and
// removed when the test program exits, so parallel ctest runs never share files and nothing is
// left behind.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

namespace faceg2e::testing {

inline std::filesystem::path scratch_dir(const std::string& tag) {
  struct Scratch {
    std::filesystem::path path;
    explicit Scratch(std::filesystem::path p) : path(std::move(p)) {
      std::filesystem::create_directories(path);
    }
    ~Scratch() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<Scratch>> dirs;
  std::lock_guard<std::mutex> lock(mutex);
  auto& s = dirs[tag];
  if (!s)
    s = std::make_unique<Scratch>(std::filesystem::temp_directory_path() /
                                  ("faceg2e_" + tag + "_" + std::to_string(::getpid())));
  return s->path;
}

}  // namespace faceg2e::testing
