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

// A JSON file, or an object with "missing" naming the file (a failure says which file).
nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().empty()) {
    ADD_FAILURE() << p << " is missing or empty";
    return {{"missing", p.string()}};
  }
  return nlohmann::json::parse(text.str());
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

// Viewport pixels in the cold (blue) end of the heat map: W near 0, the edit's free texels.
int cold_pixels(const fs::path& path) {
  const faceg2e::Image8 img = faceg2e::read_image(path, 3);
  int n = 0;
  for (int y = 0; y < img.height; ++y)
    for (int x = k_viewport_x0 + 2; x < std::min(img.width, k_viewport_x1 - 2); ++x) {
      const std::uint8_t* p = &img.pixels[(static_cast<std::size_t>(y) * img.width + x) * 3];
      n += p[2] > p[0] + 25 && p[2] > p[1];
    }
  return n;
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

  // A target face for the analytic target: a few identity modes away from the mean face, and
  // (red_albedo) a red texture.
  fs::path make_target(bool red_albedo = false) {
    const fs::path id = dir_ / "target_identity.json";
    std::ofstream(id) << "[2.0, -1.5, 1.0, 0.8]";
    std::string albedo_arg;
    if (red_albedo) {
      faceg2e::Image8 red;
      red.width = red.height = 64;
      red.channels = 3;
      red.pixels.resize(64 * 64 * 3);
      for (std::size_t i = 0; i < red.pixels.size(); i += 3) {
        red.pixels[i] = 200;
        red.pixels[i + 1] = 30;
        red.pixels[i + 2] = 40;
      }
      faceg2e::write_png(dir_ / "red.png", red);
      albedo_arg = " --albedo " + quote(dir_ / "red.png");
    }
    const fs::path target = dir_ / "target";
    const RunResult r = run(quote(k_cli) + " new --face-model " + quote(model_path()) + " --out " +
                            quote(target) + " --identity " + quote(id) + albedo_arg);
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

TEST_F(GuiScenario, AnalyticTargetGenerateTwoEditsUndoRedoSaveExport) {
  const fs::path target = make_target(/*red_albedo=*/true);
  const fs::path shots = dir_ / "shots", project = dir_ / "project", exported = dir_ / "export";
  fs::create_directories(shots);
  auto shot = [&](const char* name) { return (shots / name).string(); };
  const std::string script = R"S(# the issue's scenario with the analytic target
select Guidance "Analytic target"
type "Target project" )S" + target.string() +
                             R"S(
type "Geometry steps" 8
type "Texture steps" 4
type "Render size" 64
type "Atlas size" 64
screenshot )S" + shot("0_start.png") +
                             R"S(
click Generate
wait-idle 300
expect-history 1
screenshot )S" + shot("1_generated.png") +
                             R"S(
select Overlay "Consistency weight"
screenshot )S" + shot("1w_generated.png") +
                             R"S(
select Overlay None
type Instruction "make the lips red"
select Scope texture
type Regions lips
type "Edit steps" 8
click Apply
wait-idle 300
expect-history 2
screenshot )S" + shot("2_edited.png") +
                             R"S(
select Overlay "Consistency weight"
screenshot )S" + shot("2w_edited.png") +
                             R"S(
select Overlay None
type Instruction "make the face like the target"
select Scope geometry
type Regions ""
type "Edit steps" 4
click Apply
wait-idle 300
expect-history 3
click Undo
wait-idle 30
expect-history 3
screenshot )S" + shot("3_undone.png") +
                             R"S(
key ctrl+shift+z
wait-idle 30
key ctrl+z
wait-idle 30
key ctrl+y
wait-idle 30
type "Project folder" )S" + project.string() +
                             R"S(
click "Save As"
wait-idle 60
type "Export folder" )S" + exported.string() +
                             R"S(
click Export
wait-idle 120
expect-text "Done (export)"
screenshot )S" + shot("4_exported.png") +
                             R"S(
quit
)S";
  const RunResult r = play(script, "--frame-log " + quote(dir_ / "frames.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.output;

  // The history sidecar: generate, two edits, the cursor on the last (undo, redo, undo, redo).
  const nlohmann::json side = read_json(exported / "face.json");
  const nlohmann::json h = side["history"];
  ASSERT_EQ(h["entries"].size(), 3u) << h.dump(2);
  EXPECT_EQ(h["cursor"].get<int>(), 2);
  EXPECT_EQ(h["entries"][0]["kind"], "generate");
  EXPECT_EQ(h["entries"][1]["kind"], "edit");
  EXPECT_EQ(h["entries"][1]["text"], "make the lips red");
  EXPECT_EQ(h["entries"][1]["regions"][0], "lips");
  EXPECT_EQ(h["entries"][1]["scope"], "texture");
  EXPECT_EQ(h["entries"][2]["scope"], "geometry");
  // The exported face is the cursor entry: exporting the saved project (whose cursor the editor
  // saved) with the CLI gives the same coefficients and the same texture.
  const RunResult cli =
      run(quote(k_cli) + " export --face-model " + quote(model_path()) + " --project " +
          quote(project) + " --out " + quote(dir_ / "cli_export"));
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  const nlohmann::json side_cli = read_json(dir_ / "cli_export" / "face.json");
  EXPECT_EQ(side["coefficients"]["identity"], side_cli["coefficients"]["identity"]);
  EXPECT_EQ(side["coefficients"]["expression"], side_cli["coefficients"]["expression"]);
  const faceg2e::Image8 a = faceg2e::read_image(exported / "face_albedo.png", 3);
  const faceg2e::Image8 b = faceg2e::read_image(dir_ / "cli_export" / "face_albedo.png", 3);
  EXPECT_EQ(a.pixels, b.pixels);
  double moved = 0;
  for (const auto& v : side["coefficients"]["identity"]) moved += std::abs(v.get<double>());
  EXPECT_GT(moved, 0.1) << "the generated face did not move from the mean face";
  EXPECT_TRUE(fs::exists(exported / "face.obj"));
  EXPECT_TRUE(fs::exists(exported / "face_weights.png")) << "the W map of the cursor edit";

  // What a person sees: the generate and the edit changed the face, and the W overlay shows the
  // edit's free region (low W: the cold end of the heat map) where before the edit all was frozen.
  EXPECT_GT(viewport_difference(shots / "0_start.png", shots / "1_generated.png"), 1.0);
  EXPECT_GT(viewport_difference(shots / "1_generated.png", shots / "2_edited.png"), 0.05);
  EXPECT_GT(viewport_difference(shots / "1w_generated.png", shots / "2w_edited.png"), 0.05);
  EXPECT_GT(cold_pixels(shots / "2w_edited.png"), 20) << "no free (blue) texels in the W overlay";
  EXPECT_LT(cold_pixels(shots / "1w_generated.png"), 5);

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
type "Target project" )S" + target.string() +
                             R"S(
type "Geometry steps" 5000
type "Render size" 64
click Generate
wait 5
click Cancel
wait-idle 60
expect-history 0
expect-text "Cancelled (generate)"
screenshot )S" + (dir_ / "cancelled.png").string() +
                             R"S(
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

TEST_F(GuiScenario, PickOnFaceAddsTheRegionUnderTheMouse) {
  // The default face's mouth in the middle of the 1280x900 window's viewport.
  const std::string script = R"S(click Pick
click-at 670 466
expect-text "Only these change: lips"
click Pick
quit
)S";
  const RunResult r = play(script);
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(GuiScenario, FixtureModelsGenerateAndEditThroughTheGui) {
  const fs::path checkpoints = faceg2e::testing::shared_dir() / "fixtures/sd-reference/checkpoints";
  if (!fs::exists(checkpoints)) GTEST_SKIP() << "no fixture checkpoints at " << checkpoints;
  const std::string script = R"S(type Prompt "a portrait of an old man"
type "Geometry steps" 2
type "Texture steps" 2
type "Render size" 64
type "VAE size" 64
type "Atlas size" 64
click Generate
wait-idle 800
expect-history 1
expect-text "Done (generate)"
type Instruction "make the lips red"
click lips
type "Edit steps" 2
click Apply
wait-idle 800
expect-history 2
expect-text "Done (edit)"
screenshot )S" + (dir_ / "fixture.png").string() +
                             R"S(
quit
)S";
  const RunResult r = play(script, "--models " + quote(checkpoints));
  ASSERT_EQ(r.exit_code, 0) << r.output;
}
