// The live editor driven as a person would: scripts (faceg2e --script) click, type and press
// keys through ImGui's input at the widgets' on-screen rectangles, under Xvfb (lavapipe). Runs
// are kept small (few steps, 64 px renders) so the whole file stays within a few minutes.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "core/util/image_io.h"
#include "tests/common/scratch_dir.h"
#include "tests/common/shared_dir.h"
#include "tests/gui/gui_run.h"

namespace fs = std::filesystem;
using faceg2e::testing::quote;
using faceg2e::testing::run;
using faceg2e::testing::run_gui;
using faceg2e::testing::RunResult;

namespace {

const fs::path k_binary = fs::path(FACEG2E_BINARY_DIR) / "app" / "faceg2e";
const fs::path k_cli = fs::path(FACEG2E_BINARY_DIR) / "app" / "faceg2e-cli";
fs::path model_path() {
  return faceg2e::testing::shared_dir() / "data/ict-facekit/ict_facekit_full.f3dm";
}

// The window the scripts play against: left panel 380, right panel 320, viewport between.
constexpr int k_width = 1280, k_height = 900;
constexpr int k_viewport_x0 = 380, k_viewport_x1 = k_width - 320;

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  return nlohmann::json::parse(in);
}

// Mean absolute difference of two screenshots over the viewport (0..255).
double viewport_difference(const fs::path& a_path, const fs::path& b_path) {
  const faceg2e::Image8 a = faceg2e::read_image(a_path, 3), b = faceg2e::read_image(b_path, 3);
  if (a.width != b.width || a.height != b.height) return -1;
  double sum = 0;
  std::size_t n = 0;
  for (int y = 0; y < a.height; ++y)
    for (int x = k_viewport_x0 + 2; x < std::min(a.width, k_viewport_x1 - 2); ++x)
      for (int c = 0; c < 3; ++c) {
        const std::size_t i = (static_cast<std::size_t>(y) * a.width + x) * 3 + c;
        sum += std::abs(static_cast<int>(a.pixels[i]) - static_cast<int>(b.pixels[i]));
        ++n;
      }
  return n ? sum / static_cast<double>(n) : -1;
}

class GuiScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(k_binary)) << "build the faceg2e target first: " << k_binary;
    if (!fs::exists(model_path())) GTEST_SKIP() << "no face model at " << model_path();
    if (run("command -v xvfb-run").exit_code != 0) GTEST_SKIP() << "xvfb-run is not installed";
    dir_ = faceg2e::testing::scratch_dir("gui_scenario") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "config");
    fs::create_directories(dir_ / "no_models");
  }

  // A target face for the analytic target: a few identity modes away from the mean face.
  fs::path make_target() {
    const fs::path id = dir_ / "target_identity.json";
    std::ofstream(id) << "[2.0, -1.5, 1.0, 0.8]";
    const fs::path target = dir_ / "target";
    const RunResult r = run(quote(k_cli) + " new --face-model " + quote(model_path()) + " --out " +
                            quote(target) + " --identity " + quote(id));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return target;
  }

  RunResult play(const std::string& script, const std::string& extra_args = "") {
    const fs::path file = dir_ / "script.txt";
    std::ofstream(file) << script;
    return run_gui(quote(k_binary) + " --face-model " + quote(model_path()) + " --width " +
                       std::to_string(k_width) + " --height " + std::to_string(k_height) +
                       " --msaa 1 --script " + quote(file) + " " + extra_args,
                   "XDG_CONFIG_HOME=" + quote(dir_ / "config"));
  }

  fs::path dir_;
};

}  // namespace

TEST_F(GuiScenario, AnalyticTargetGenerateUndoRedoSaveExport) {
  const fs::path target = make_target();
  const fs::path shots = dir_ / "shots", project = dir_ / "project", exported = dir_ / "export";
  fs::create_directories(shots);
  const std::string script = R"S(# generate twice with the analytic target, undo, redo, save, export
select Guidance "Analytic target"
type "Target project" )S" + target.string() + R"S(
type "Geometry steps" 8
type "Texture steps" 4
type "Render size" 64
type "Atlas size" 64
screenshot )S" + (shots / "0_start.png").string() + R"S(
click Generate
wait-idle 300
expect-history 1
screenshot )S" + (shots / "1_generated.png").string() + R"S(
type Seed 7
click Generate
wait-idle 300
expect-history 2
click Undo
wait-idle 30
expect-history 2
key ctrl+shift+z
wait-idle 30
key ctrl+z
wait-idle 30
key ctrl+y
wait-idle 30
type "Project folder" )S" + project.string() + R"S(
click "Save As"
wait-idle 60
type "Export folder" )S" + exported.string() + R"S(
click Export
wait-idle 120
expect-text "Done (export)"
screenshot )S" + (shots / "2_exported.png").string() + R"S(
quit
)S";
  const RunResult r = play(script, "--frame-log " + quote(dir_ / "frames.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // The history sidecar: two generate entries, the cursor on the second (undo, redo, undo, redo).
  const nlohmann::json h = read_json(exported / "history.json");
  ASSERT_EQ(h["entries"].size(), 2u) << h.dump(2);
  EXPECT_EQ(h["cursor"].get<int>(), 1);
  EXPECT_EQ(h["entries"][0]["kind"], "generate");
  // The exported face is the cursor entry: the saved project holds the same coefficients.
  const nlohmann::json side = read_json(exported / "face.json");
  const nlohmann::json saved = read_json(project / "identity.json");
  const auto exported_id = side["coefficients"]["identity"].get<std::vector<float>>();
  const auto saved_id = saved["coefficients"].get<std::vector<float>>();
  ASSERT_EQ(exported_id.size(), saved_id.size());
  double moved = 0;
  for (std::size_t i = 0; i < saved_id.size(); ++i) {
    EXPECT_NEAR(exported_id[i], saved_id[i], 1e-5) << "mode " << i;
    moved += std::abs(saved_id[i]);
  }
  EXPECT_GT(moved, 0.1) << "the generated face did not move from the mean face";
  EXPECT_TRUE(fs::exists(exported / "face.obj"));
  EXPECT_TRUE(fs::exists(exported / "face_albedo.png"));
  // What a person sees changed with the generate.
  EXPECT_GT(viewport_difference(shots / "0_start.png", shots / "1_generated.png"), 1.0);

  // The frame log: header, rows while the job ran and while idle.
  std::ifstream log(dir_ / "frames.csv");
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "time_s,frame_ms,job_running");
  int busy = 0, idle = 0;
  while (std::getline(log, line)) (line.back() == '1' ? busy : idle)++;
  EXPECT_GT(busy, 5);
  EXPECT_GT(idle, 5);
}

TEST_F(GuiScenario, CancelMidRunKeepsTheHistory) {
  const fs::path target = make_target();
  const std::string script = R"S(select Guidance "Analytic target"
type "Target project" )S" + target.string() + R"S(
type "Geometry steps" 5000
type "Render size" 64
click Generate
wait 5
click Cancel
wait-idle 60
expect-history 0
expect-text "Cancelled (generate)"
screenshot )S" + (dir_ / "cancelled.png").string() + R"S(
quit
)S";
  const RunResult r = play(script);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "cancelled.png"));
}

TEST_F(GuiScenario, MissingModelsAreNamedAndTheAppStaysUp) {
  const std::string script = R"S(type Prompt "a portrait of an old man"
click Generate
wait-idle 60
expect-history 0
expect-text "Generate with Diffusion models needs geometry model"
type Instruction "make her lips red"
click Apply
wait-idle 60
expect-text "Edit with Diffusion models needs"
screenshot )S" + (dir_ / "missing.png").string() +
                             R"S(
quit
)S";
  const RunResult r = play(script, "--models " + quote(dir_ / "no_models"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(GuiScenario, AFailingLineNamesItsNumberAndExitsNonZero) {
  const RunResult missing = play("wait 0.1\nclick \"No such button\"\nquit\n");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("script.txt:2:"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("No such button"), std::string::npos) << missing.output;

  const RunResult history = play("expect-history 3\n");
  EXPECT_NE(history.exit_code, 0);
  EXPECT_NE(history.output.find("script.txt:1: expected 3 history entries, found 0"),
            std::string::npos)
      << history.output;

  const RunResult parse = play("# comment\nfrobnicate now\n");
  EXPECT_NE(parse.exit_code, 0);
  EXPECT_NE(parse.output.find("script.txt:2: unknown command 'frobnicate'"), std::string::npos)
      << parse.output;
}

TEST_F(GuiScenario, FixtureModelsGenerateThroughTheGui) {
  const fs::path checkpoints = faceg2e::testing::shared_dir() / "fixtures/sd-reference/checkpoints";
  if (!fs::exists(checkpoints)) GTEST_SKIP() << "no fixture checkpoints at " << checkpoints;
  const std::string script = R"S(type Prompt "a portrait of an old man"
type "Geometry steps" 2
type "Texture steps" 2
type "Render size" 64
type "VAE size" 64
type "Atlas size" 64
click Generate
wait-idle 600
expect-history 1
expect-text "Done (generate)"
screenshot )S" + (dir_ / "fixture.png").string() + R"S(
quit
)S";
  const RunResult r = play(script, "--models " + quote(checkpoints));
  ASSERT_EQ(r.exit_code, 0) << r.output;
}
