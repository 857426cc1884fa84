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
#include "core/pipeline/state_tensors.h"
#include "core/util/error.h"
#include "tests/pipeline/pipeline_fixture.h"

using namespace faceg2e::pipeline;
using faceg2e::pipeline::testing::model;
using faceg2e::pipeline::testing::random_identity;
using faceg2e::pipeline::testing::scene;
using faceg2e::pipeline::testing::scene_ptr;
namespace fs = std::filesystem;

namespace {

GeometryParams tiny_geometry(int steps) {
  GeometryParams p = target_geometry_defaults();
  p.steps = steps;
  p.render_size = 64;
  p.views_per_step = 1;
  return p;
}

}  // namespace

TEST(ViewPrompts, FollowAzimuthThresholds) {
  EXPECT_EQ(view_prompt(0), faceg2e::guidance::ViewPrompt::kFront);
  EXPECT_EQ(view_prompt(-30), faceg2e::guidance::ViewPrompt::kFront);
  EXPECT_EQ(view_prompt(90), faceg2e::guidance::ViewPrompt::kSide);
  EXPECT_EQ(view_prompt(-90), faceg2e::guidance::ViewPrompt::kSide);
  EXPECT_EQ(view_prompt(180), faceg2e::guidance::ViewPrompt::kBack);
}

std::shared_ptr<faceg2e::guidance::AnalyticTargetGuidance> target_guidance() {
  return std::make_shared<faceg2e::guidance::AnalyticTargetGuidance>(
      faceg2e::guidance::AnalyticTargetParams{}, nullptr);
}

torch::Tensor run_geometry(int steps, std::uint64_t seed, const RunControl& control = {}) {
  const int K = scene().num_identity();
  TargetFace target{random_identity(K, 9), torch::Tensor()};
  GeometryStage stage(tiny_geometry(steps), scene_ptr(), target_guidance(),
                      faceg2e::session::FaceState{}, target, seed);
  run_stage(stage, control);
  return coefficients_tensor(stage.finish().coeffs.identity, K, "identity");
}

TEST(GeometryStage, SameSeedSameResult) {
  const torch::Tensor a = run_geometry(4, 5), b = run_geometry(4, 5), c = run_geometry(4, 6);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_GT(a.abs().sum().item<double>(), 0.0);  // it moved
}

// The stage is a sequence of steps: stepping it by hand gives what the driver gives, the loss is
// read back only when asked, and a finished stage refuses another step.
TEST(GeometryStage, SteppedByHandEqualsDriver) {
  const int K = scene().num_identity();
  TargetFace target{random_identity(K, 9), torch::Tensor()};
  GeometryStage stage(tiny_geometry(3), scene_ptr(), target_guidance(),
                      faceg2e::session::FaceState{}, target, 5);
  EXPECT_EQ(stage.total_steps(), 3);
  EXPECT_EQ(stage.steps_done(), 0);
  const StepReport r1 = stage.step(false);
  EXPECT_EQ(r1.step, 1);
  EXPECT_FALSE(r1.loss.has_value());
  const StepReport r2 = stage.step(true);
  ASSERT_TRUE(r2.loss.has_value());
  EXPECT_GT(*r2.loss, 0.0);
  EXPECT_GE(r2.t, 20);
  EXPECT_LE(r2.t, 980);
  stage.step(false);
  EXPECT_TRUE(stage.done());
  EXPECT_THROW(stage.step(false), faceg2e::Error);
  const torch::Tensor by_hand = coefficients_tensor(stage.finish().coeffs.identity, K, "identity");
  EXPECT_TRUE(torch::equal(by_hand, run_geometry(3, 5)));
  EXPECT_GT(stage.final_loss(), 0.0);
}

TEST(GeometryStage, SnapshotIsTheCurrentShape) {
  const int K = scene().num_identity();
  TargetFace target{random_identity(K, 9), torch::Tensor()};
  GeometryStage stage(tiny_geometry(2), scene_ptr(), target_guidance(),
                      faceg2e::session::FaceState{}, target, 5);
  const FaceSnapshot before = stage.snapshot();
  const int V = model().num_vertices;
  ASSERT_EQ(before.positions.size(), std::size_t(V) * 3);
  ASSERT_EQ(before.normals.size(), std::size_t(V) * 3);
  EXPECT_TRUE(before.albedo.empty());  // the geometry stage does not change the albedo
  stage.step(true);
  const FaceSnapshot after = stage.snapshot();
  EXPECT_EQ(after.stage, "geometry");
  EXPECT_EQ(after.step, 1);
  EXPECT_EQ(after.total, 2);
  EXPECT_NE(before.positions, after.positions);
  // The snapshot's positions are the model's vertices for the state the stage is at.
  torch::NoGradGuard ng;
  const torch::Tensor expect =
      scene().vertices(coefficients_tensor(stage.finish().coeffs.identity, K, "identity"));
  const torch::Tensor got = torch::from_blob(const_cast<float*>(after.positions.data()), {V, 3});
  EXPECT_LT((expect - got).abs().max().item<double>(), 1e-4);
}

TEST(GeometryStage, ProgressAndPreviews) {
  RunControl control;
  control.loss_every = 2;
  int progress_calls = 0, previews = 0, last_step = 0, on_step_calls = 0;
  std::vector<double> losses;
  control.on_progress = [&](const Progress& p) {
    ++progress_calls;
    last_step = p.step;
    losses.push_back(p.loss);
    EXPECT_EQ(p.total, 4);
    EXPECT_GE(p.t, 20);
    EXPECT_LE(p.t, 980);
    EXPECT_GE(p.eta_s, 0.0);
  };
  control.on_step = [&](Stage& s) {
    ++on_step_calls;
    EXPECT_EQ(s.name(), "geometry");
  };
  control.preview_every = 2;
  control.on_preview = [&](const Preview& p) {
    ++previews;
    EXPECT_EQ(p.image.width, 256);
  };
  run_geometry(4, 1, control);
  EXPECT_EQ(progress_calls, 4);
  EXPECT_EQ(on_step_calls, 4);
  EXPECT_EQ(last_step, 4);
  EXPECT_EQ(previews, 2);
  // Read back at steps 1, 2 and 4 only: step 3 repeats step 2's value.
  ASSERT_EQ(losses.size(), 4u);
  EXPECT_EQ(losses[2], losses[1]);
  EXPECT_NE(losses[3], losses[2]);
}

TEST(Generate, CancelStopsWithinOneStep) {
  GenerateParams p;
  p.guidance = GuidanceMode::kTarget;
  p.target = faceg2e::session::FaceState{};
  p.target->coeffs.identity = {1.0f, -1.0f};
  p.geometry = tiny_geometry(50);
  p.run_texture = false;
  std::atomic<bool> cancel{false};
  RunControl control;
  control.cancel = &cancel;
  int steps = 0;
  control.on_progress = [&](const Progress&) {
    if (++steps == 2) cancel.store(true);
  };
  EXPECT_THROW(run_generate(p, faceg2e::pipeline::testing::assets(), control), faceg2e::Cancelled);
  EXPECT_EQ(steps, 2);
  // Bad parameters fail before any step.
  cancel.store(false);
  steps = 0;
  GenerateParams q = p;
  q.target.reset();
  EXPECT_THROW(run_generate(q, faceg2e::pipeline::testing::assets(), control), faceg2e::Error);
  q = p;
  q.geometry.steps = 0;
  EXPECT_THROW(run_generate(q, faceg2e::pipeline::testing::assets(), control), faceg2e::Error);
  q = p;
  q.guidance = GuidanceMode::kStableDiffusion;
  q.prompt = "a face";
  EXPECT_THROW(run_generate(q, faceg2e::pipeline::testing::assets(), control),
               MissingModelError);
  EXPECT_EQ(steps, 0);
}

TEST(Generate, StagesChainThroughTheFaceState) {
  GenerateParams p;
  p.guidance = GuidanceMode::kTarget;
  p.target = faceg2e::session::FaceState{};
  p.target->coeffs.identity = {1.0f, -1.0f};
  p.geometry = tiny_geometry(2);
  p.texture = target_texture_defaults();
  p.texture.steps = 2;
  p.texture.render_size = 64;
  p.texture.atlas_size = 64;
  p.texture.default_albedo_size = 64;
  GenerateRun run(p, faceg2e::pipeline::testing::assets());
  std::vector<std::string> names;
  while (auto stage = run.next_stage()) {
    names.push_back(stage->name());
    EXPECT_THROW(run.finish_stage(*stage), faceg2e::Error);  // not run yet
    run_stage(*stage, RunControl{});
    run.finish_stage(*stage);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"geometry", "texture"}));
  const auto& s = run.state();
  EXPECT_EQ(s.coeffs.identity.size(), std::size_t(scene().num_identity()));
  EXPECT_EQ(s.albedo.width, 64);
  EXPECT_EQ(s.albedo.channels, 3);
  EXPECT_TRUE(s.latent.empty());  // no VAE: RGB texels
  const auto rec = run.record();
  EXPECT_EQ(rec["stages"].size(), 2u);
  EXPECT_TRUE(rec["final_losses"].contains("texture"));
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
  faceg2e::session::FaceState state = faceg2e::pipeline::testing::state_with_identity(identity);
  state.albedo = to_float_image(init);
  TextureStage stage(p, scene_ptr(), target_guidance(), nullptr, nullptr, state, target, 4);
  run_stage(stage, RunControl{});
  const torch::Tensor result = image_tensor(stage.finish().albedo);
  ASSERT_EQ(result.size(1), size);
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
  const double before = psnr(init), after = psnr(result);
  std::printf("texture recovery: %d steps at %d px, atlas %d: face PSNR %.2f dB -> %.2f dB, %.1f s\n",
              p.steps, p.render_size, p.atlas_size, before, after, stage.seconds());
  EXPECT_GT(after, 25.0);
  EXPECT_GT(after, before + 6.0);
}
