// Starts the real faceg2e executable under Xvfb (xvfb-run -a) and checks what it produces.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "core/util/image_io.h"
#include "tests/gui/gui_run.h"

namespace fs = std::filesystem;

namespace {

using faceg2e::testing::run;
using faceg2e::testing::run_gui;
using faceg2e::testing::RunResult;

const fs::path k_binary = fs::path(FACEG2E_BINARY_DIR) / "app" / "faceg2e";
const fs::path k_model = fs::path(FACEG2E_SHARED_DIR) / "data/ict-facekit/ict_facekit_full.f3dm";

class GuiSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(k_binary)) << "build the faceg2e target first: " << k_binary;
    if (run("command -v xvfb-run").exit_code != 0) GTEST_SKIP() << "xvfb-run is not installed";
    dir_ = fs::temp_directory_path() / ("faceg2e_gui_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

}  // namespace

TEST_F(GuiSmoke, ScreenshotShowsPanelAndFace) {
  if (!fs::exists(k_model)) GTEST_SKIP() << "no face model at " << k_model;
  const fs::path shot = dir_ / "shot.png";
  // The layout: a 380-wide panel on the left, a 320-wide one on the right, the viewport between.
  const int width = 1100, height = 640;
  const RunResult r =
      run_gui("'" + k_binary.string() + "' --face-model '" + k_model.string() + "' --screenshot '" +
              shot.string() + "' --width " + std::to_string(width) + " --height " +
              std::to_string(height) + " --msaa 4");  // the MSAA resolve + ImGui path
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(fs::exists(shot)) << r.output;

  const faceg2e::Image8 img = faceg2e::read_image(shot, 4);
  ASSERT_EQ(img.width, width);
  ASSERT_EQ(img.height, height);
  auto px = [&](int x, int y) { return &img.pixels[(std::size_t(y) * img.width + x) * 4]; };

  // Not a single colour: count distinct colours (coarsely).
  std::map<int, int> colours;
  for (int y = 0; y < height; y += 3)
    for (int x = 0; x < width; x += 3) {
      const auto* p = px(x, y);
      colours[(p[0] >> 3) << 10 | (p[1] >> 3) << 5 | (p[2] >> 3)]++;
    }
  EXPECT_GT(colours.size(), 20u);

  // Panel: the left strip holds the ImGui window: dark background plus light text pixels.
  int panel_dark = 0, panel_light = 0, panel_total = 0;
  for (int y = 40; y < height - 10; y += 2)
    for (int x = 5; x < 340; x += 2) {
      const auto* p = px(x, y);
      const int lum = (p[0] + p[1] + p[2]) / 3;
      ++panel_total;
      panel_dark += lum < 60;
      panel_light += lum > 170;
    }
  EXPECT_GT(panel_dark, panel_total / 4) << "no panel background on the left";
  EXPECT_GT(panel_light, 50) << "no panel text on the left";

  // Face: the middle of the viewport (right of the panel) is lit skin, not the backdrop.
  const int vx0 = 380, vx1 = width - 320, vcx = (vx0 + vx1) / 2, vcy = height / 2;
  int face = 0, probes = 0;
  double r_sum = 0, b_sum = 0;
  for (int y = vcy - 60; y <= vcy + 60; y += 6)
    for (int x = vcx - 40; x <= vcx + 40; x += 6) {
      const auto* p = px(x, y);
      ++probes;
      const int lum = (p[0] + p[1] + p[2]) / 3;
      if (lum > 80) {
        ++face;
        r_sum += p[0];
        b_sum += p[2];
      }
    }
  EXPECT_GT(face, probes * 3 / 4) << "the viewport centre does not show the face";
  EXPECT_GT(r_sum, b_sum) << "the face should be skin-toned (red over blue)";
  // Backdrop at the viewport corner.
  const auto* corner = px(vx1 - 5, 5);
  EXPECT_LT((corner[0] + corner[1] + corner[2]) / 3, 70);
}

TEST_F(GuiSmoke, ResizeRecreatesTheSwapchain) {
  if (!fs::exists(k_model)) GTEST_SKIP() << "no face model at " << k_model;
  const fs::path shot = dir_ / "resized.png";
  // Starts at 640x480, is resized to 720x520 after two frames; the screenshot (frame 6) must
  // come from the re-created swapchain.
  // With validation layers on where installed: the swapchain re-creation and the capture must be
  // clean.
  const RunResult r =
      run_gui("'" + k_binary.string() + "' --face-model '" + k_model.string() + "' --screenshot '" +
                  shot.string() +
                  "' --width 640 --height 480 --resize-to 720 520 --screenshot-frames 6 --msaa 1",
              "FACEG2E_VK_VALIDATION=1");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  if (r.output.find("validation on") != std::string::npos) {
    EXPECT_NE(r.output.find("faceg2e: 0 Vulkan validation errors"), std::string::npos) << r.output;
  }
  const faceg2e::Image8 img = faceg2e::read_image(shot, 4);
  EXPECT_EQ(img.width, 720);
  EXPECT_EQ(img.height, 520);
}

TEST_F(GuiSmoke, ExportWritesObjOrGlbAndABadPathIsReportedNotFatal) {
  if (!fs::exists(k_model)) GTEST_SKIP() << "no face model at " << k_model;
  // --export goes through the same function as the Export... button.
  const fs::path obj = dir_ / "out" / "head.obj";
  const RunResult ok =
      run_gui("'" + k_binary.string() + "' --face-model '" + k_model.string() +
              "' --frames 2 --width 320 --height 240 --msaa 1 --export '" + obj.string() + "'");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  ASSERT_TRUE(fs::exists(obj)) << ok.output;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "head_albedo.png"));
  std::ifstream in(obj);
  std::string line;
  int vertices = 0;
  while (std::getline(in, line)) vertices += line.rfind("v ", 0) == 0;
  EXPECT_EQ(vertices, 26719);                           // every ICT-FaceKit vertex
  EXPECT_FALSE(fs::exists(dir_ / "out" / "head.glb"));  // a .obj name picks the OBJ alone

  // A .glb name: the GLB (export_gltf.h) through the same export code, no OBJ.
  const fs::path glb = dir_ / "glb" / "head.glb";
  const RunResult ok_glb =
      run_gui("'" + k_binary.string() + "' --face-model '" + k_model.string() +
              "' --frames 2 --width 320 --height 240 --msaa 1 --export '" + glb.string() + "'");
  ASSERT_EQ(ok_glb.exit_code, 0) << ok_glb.output;
  ASSERT_TRUE(fs::exists(glb)) << ok_glb.output;
  EXPECT_GT(fs::file_size(glb), 1000000u);
  EXPECT_TRUE(fs::exists(dir_ / "glb" / "head.json"));
  EXPECT_FALSE(fs::exists(dir_ / "glb" / "head.obj"));

  // A folder that cannot be created: the failure is shown, the app keeps running and exits 0.
  const fs::path blocker = dir_ / "file";
  std::ofstream(blocker) << "x";
  const RunResult bad = run_gui("'" + k_binary.string() + "' --face-model '" + k_model.string() +
                                "' --frames 2 --width 320 --height 240 --msaa 1 --export '" +
                                (blocker / "sub" / "x.obj").string() + "'");
  EXPECT_EQ(bad.exit_code, 0) << bad.output;
  EXPECT_NE(bad.output.find("export failed"), std::string::npos) << bad.output;
  EXPECT_FALSE(fs::exists(blocker / "sub" / "x.obj"));
}

TEST_F(GuiSmoke, WeightMapOverlayShowsAsHeat) {
  if (!fs::exists(k_model)) GTEST_SKIP() << "no face model at " << k_model;
  // An all-ones weight map at full opacity paints the head in the hot end of the colormap.
  faceg2e::Image8 ones;
  ones.width = ones.height = 16;
  ones.channels = 1;
  ones.pixels.assign(16 * 16, 255);
  const fs::path weights = dir_ / "weights.png";
  faceg2e::write_png(weights, ones);
  const fs::path shot = dir_ / "heat.png";
  const RunResult r = run_gui(
      "'" + k_binary.string() + "' --face-model '" + k_model.string() + "' --screenshot '" +
      shot.string() + "' --width 1100 --height 600 --msaa 1 --overlay weights --weight-map '" +
      weights.string() + "'");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const faceg2e::Image8 img = faceg2e::read_image(shot, 4);
  // Sample the face in the middle of the viewport (x from 380 to 780).
  double red = 0, green = 0, blue = 0;
  for (int y = 250; y < 350; y += 4)
    for (int x = 550; x < 610; x += 4) {
      const auto* p = &img.pixels[(std::size_t(y) * img.width + x) * 4];
      red += p[0];
      green += p[1];
      blue += p[2];
    }
  EXPECT_GT(red, 2.0 * blue);
  EXPECT_GT(red, 1.5 * green);
}

TEST_F(GuiSmoke, MissingModelFailsWithClearError) {
  const RunResult r =
      run("'" + k_binary.string() + "' --face-model '" + (dir_ / "nope.f3dm").string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("nope.f3dm"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("fetch-face-model.sh"), std::string::npos) << r.output;
}

TEST_F(GuiSmoke, CorruptModelFailsWithClearError) {
  const fs::path bad = dir_ / "corrupt.f3dm";
  std::ofstream(bad, std::ios::binary) << "F3DM but not really a model";
  const RunResult r = run("'" + k_binary.string() + "' --face-model '" + bad.string() + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("corrupt.f3dm"), std::string::npos) << r.output;
}
