#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/util/data_paths.h"
#include "core/util/error.h"
#include "tests/common/scratch_dir.h"

namespace fs = std::filesystem;

namespace {
// Restores an environment variable when the test ends.
struct EnvGuard {
  std::string name;
  std::optional<std::string> old;
  explicit EnvGuard(std::string n) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
  }
  ~EnvGuard() {
    if (old) ::setenv(name.c_str(), old->c_str(), 1); else ::unsetenv(name.c_str());
  }
};
}  // namespace

TEST(DataPaths, ExplicitPathWinsAndMustExist) {
  const fs::path tmp = faceg2e::testing::scratch_dir("paths_explicit") / "model.f3dm";
  { std::ofstream(tmp) << "x"; }
  EXPECT_EQ(faceg2e::find_face_model(tmp).found, tmp);
  const auto missing = faceg2e::find_face_model(fs::path("/nonexistent/model.f3dm"));
  EXPECT_TRUE(missing.found.empty());
  try {
    faceg2e::require_face_model(fs::path("/nonexistent/model.f3dm"));
    FAIL() << "expected NotFoundError";
  } catch (const faceg2e::NotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("fetch-face-model.sh"), std::string::npos);
  }
}

TEST(DataPaths, EnvironmentThenXdgThenShared) {
  EnvGuard g1("FACEG2E_FACE_MODEL"), g2("XDG_DATA_HOME");
  const fs::path root = faceg2e::testing::scratch_dir("paths");
  fs::create_directories(root / "xdg" / "faceg2e" / "face");
  const fs::path env_model = root / "env.f3dm";
  { std::ofstream(env_model) << "x"; }
  ::setenv("FACEG2E_FACE_MODEL", env_model.c_str(), 1);
  ::setenv("XDG_DATA_HOME", (root / "xdg").c_str(), 1);
  EXPECT_EQ(faceg2e::find_face_model(std::nullopt).found, env_model);

  ::unsetenv("FACEG2E_FACE_MODEL");
  const fs::path xdg_model = root / "xdg" / "faceg2e" / "face" / "ict_facekit_full.f3dm";
  { std::ofstream(xdg_model) << "x"; }
  EXPECT_EQ(faceg2e::find_face_model(std::nullopt).found, xdg_model);

  fs::remove(xdg_model);
  const auto s = faceg2e::find_face_model(std::nullopt);
  // Falls through to ../shared beside the checkout, which CI and tests always have.
  ASSERT_FALSE(s.found.empty());
  EXPECT_EQ(s.found.filename(), "ict_facekit_full.f3dm");
  EXPECT_NE(s.found.string().find("shared"), std::string::npos);
  EXPECT_GE(s.tried.size(), 3u);
}

TEST(DataPaths, AnEnvironmentVariableThatPointsNowhereIsAnError) {
  EnvGuard g1("FACEG2E_FACE_MODEL");
  const fs::path missing = faceg2e::testing::scratch_dir("paths") / "no_such_model.f3dm";
  ::setenv("FACEG2E_FACE_MODEL", missing.c_str(), 1);
  // Not a silent fall-through to another model (../shared would be found otherwise).
  EXPECT_TRUE(faceg2e::find_face_model(std::nullopt).found.empty());
  try {
    faceg2e::require_face_model(std::nullopt);
    FAIL() << "expected NotFoundError";
  } catch (const faceg2e::NotFoundError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("FACEG2E_FACE_MODEL"), std::string::npos) << m;
    EXPECT_NE(m.find(missing.string()), std::string::npos) << m;
    EXPECT_NE(m.find("does not exist"), std::string::npos) << m;
  }
  // The flag wins over the variable.
  const fs::path real = faceg2e::testing::scratch_dir("paths") / "real.f3dm";
  { std::ofstream(real) << "x"; }
  EXPECT_EQ(faceg2e::require_face_model(real), real);
}
