#pragma once
// Where the tests find ../shared (ICT-FaceKit data, reference fixtures): $FACEG2E_SHARED_DIR when
// set, else the folder the build was configured with (the FACEG2E_SHARED_DIR definition).
#include <cstdlib>
#include <filesystem>

namespace faceg2e::testing {

inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("FACEG2E_SHARED_DIR")) return env;
  return FACEG2E_SHARED_DIR;
}

}  // namespace faceg2e::testing
