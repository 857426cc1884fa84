// Stage-level behaviour: view prompts, determinism under a seed, cancellation, texture recovery
// with the analytic target.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <unistd.h>

#include "core/face/uv_atlas.h"
#include "core/guidance/analytic_target.h"
#include "core/pipeline/generate.h"
#include "core/pipeline/stages.h"
#include "core/session/project.h"
#include "core/util/error.h"
#include "tests/pipeline/pipeline_fixture.h"

using namespace faceg2e::pipeline;
using faceg2e::pipeline::testing::model;
using faceg2e::pipeline::testing::random_identity;
using faceg2e::pipeline::testing::scene;
namespace fs = std::filesystem;

namespace {

GeometryParams tiny_geometry(int steps) {
  GeometryParams p = target_geometry_defaults();
  p.steps = steps;
  p.render_size = 64;
  p.views_per_step = 1;
  return p;
}

fs::path temp_dir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() /
               ("faceg2e_pipeline_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace

TEST(ViewPrompts, FollowAzimuthThresholds) {
  EXPECT_EQ(view_prompt(0), faceg2e::guidance::ViewPrompt::kFront);
  EXPECT_EQ(view_prompt(-30), faceg2e::guidance::ViewPrompt::kFront);
  EXPECT_EQ(view_prompt(90), faceg2e::guidance::ViewPrompt::kSide);
  EXPECT_EQ(view_prompt(-90), faceg2e::guidance::ViewPrompt::kSide);
  EXPECT_EQ(view_prompt(180), faceg2e::guidance::ViewPrompt::kBack);
}

TEST(GeometryStage, SameSeedSameResult) {
  const int K = scene().num_identity();
  TargetFace target{random_identity(K, 9), torch::Tensor()};
  faceg2e::guidance::AnalyticTargetGuidance g({}, nullptr);
  RunControl control;
  auto a = run_geometry_stage(tiny_geometry(4), scene(), g, torch::Tensor(), &target, 5, control);
  auto b = run_geometry_stage(tiny_geometry(4), scene(), g, torch::Tensor(), &target, 5, control);
  auto c = run_geometry_stage(tiny_geometry(4), scene(), g, torch::Tensor(), &target, 6, control);
  EXPECT_TRUE(torch::equal(a.identity, b.identity));
  EXPECT_FALSE(torch::equal(a.identity, c.identity));
  EXPECT_GT(a.identity.abs().sum().item<double>(), 0.0);  // it moved
}

TEST(GeometryStage, ProgressAndPreviews) {
  const int K = scene().num_identity();
  TargetFace target{random_identity(K, 9), torch::Tensor()};
  faceg2e::guidance::AnalyticTargetGuidance g({}, nullptr);
  RunControl control;
  int progress_calls = 0, previews = 0, last_step = 0;
  control.on_progress = [&](const Progress& p) {
    ++progress_calls;
    last_step = p.step;
    EXPECT_EQ(p.total, 4);
    EXPECT_GE(p.t, 20);
    EXPECT_LE(p.t, 980);
    EXPECT_GE(p.eta_s, 0.0);
  };
  control.preview_every = 2;
  control.on_preview = [&](const Preview& p) {
    ++previews;
    EXPECT_EQ(p.image.width, 256);
  };
  run_geometry_stage(tiny_geometry(4), scene(), g, torch::Tensor(), &target, 1, control);
  EXPECT_EQ(progress_calls, 4);
  EXPECT_EQ(last_step, 4);
  EXPECT_EQ(previews, 2);
}

TEST(Generate, CancelledRunLeavesOutputUntouched) {
  const fs::path dir = temp_dir("cancel");
  faceg2e::session::ProjectState tp;
  tp.face.coeffs.identity = {1.0f, -1.0f};
  faceg2e::session::save_project(dir / "target", tp);
  GenerateParams p;
  p.out = dir / "out";
  p.guidance = GuidanceMode::kTarget;
  p.target_project = dir / "target";
  p.face_model = faceg2e::pipeline::testing::face_model_path();
  p.geometry = tiny_geometry(50);
  p.run_texture = false;
  std::atomic<bool> cancel{false};
  RunControl control;
  control.cancel = &cancel;
  int steps = 0;
  control.on_progress = [&](const Progress&) {
    if (++steps == 2) cancel.store(true);
  };
  EXPECT_THROW(run_generate(p, control), faceg2e::Cancelled);
  EXPECT_EQ(steps, 2);
  EXPECT_FALSE(fs::exists(p.out));
  // A failing run (no target project) does not write either.
  p.target_project = dir / "missing";
  cancel.store(false);
  EXPECT_THROW(run_generate(p, control), faceg2e::Error);
  EXPECT_FALSE(fs::exists(p.out));
  fs::remove_all(dir);
}

// Texture recovery: same geometry for target and run (isolates the texture), RGB texels,
// reduced sizes. PSNR over the face-cell texels that the atlas covers.
TEST(TextureRecovery, AnalyticTargetRecoversAlbedo) {
  const int size = 256;
  TextureParams p = target_texture_defaults();
  p.steps = 120;
  p.render_size = 192;
  p.atlas_size = 128;
  p.optimizer.decay_every = 60;
  const int K = scene().num_identity();
  torch::Tensor identity = random_identity(K, 3) * 0.5;
  // Smooth random albedo: low-frequency noise upsampled.
  torch::Generator gen = at::detail::createCPUGenerator(17);
  torch::Tensor low = torch::rand({1, 3, 6, 6}, gen) * 0.6 + 0.2;
  namespace F = torch::nn::functional;
  torch::Tensor target_albedo =
      F::interpolate(low, F::InterpolateFuncOptions().size(std::vector<int64_t>{size, size})
                              .mode(torch::kBicubic).align_corners(false))[0].clamp(0, 1);
  torch::Tensor init = torch::full({3, size, size}, 0.5);
  TargetFace target{identity, target_albedo};
  faceg2e::guidance::AnalyticTargetGuidance g({}, nullptr);
  RunControl control;
  StageResult r = run_texture_stage(p, scene(), g, nullptr, nullptr, identity, init, &target, 4, control);
  ASSERT_EQ(r.albedo.size(1), size);
  const auto atlas = faceg2e::face::build_uv_atlas(model());
  const auto cover = faceg2e::face::atlas_coverage(model(), atlas, size);
  const auto cells = faceg2e::face::atlas_cell_map(atlas, size);
  torch::Tensor mask = torch::zeros({size, size});
  for (int i = 0; i < size * size; ++i)
    if (cover[i] && cells[i] == faceg2e::face::kCellFace) mask.view({-1})[i] = 1;
  auto psnr = [&](const torch::Tensor& x) {
    const double mse = ((x - target_albedo).pow(2).mean(0) * mask).sum().item<double>() /
                       mask.sum().item<double>();
    return 10 * std::log10(1.0 / mse);
  };
  const double before = psnr(init), after = psnr(r.albedo);
  std::printf("texture recovery: %d steps at %d px, atlas %d: face PSNR %.2f dB -> %.2f dB, %.1f s\n",
              p.steps, p.render_size, p.atlas_size, before, after, r.seconds);
  EXPECT_GT(after, 25.0);
  EXPECT_GT(after, before + 6.0);
}
