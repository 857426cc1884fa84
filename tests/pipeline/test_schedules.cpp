#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "core/diffusion/safetensors.h"
#include "core/diffusion/scheduler.h"
#include "core/guidance/text_sds.h"
#include "core/pipeline/timestep_schedule.h"
#include "core/util/error.h"

using namespace faceg2e::pipeline;

TEST(TimestepSchedule, UniformStaysInRangeAndIsSeeded) {
  TimestepSchedule s({TimestepScheduleKind::Uniform, 20, 980}, 200);
  std::mt19937_64 a(7), b(7);
  int lo = 1000, hi = -1;
  double sum = 0;
  for (int i = 0; i < 2000; ++i) {
    const int t = s.at(i % 200, a);
    EXPECT_EQ(t, s.at(i % 200, b));
    lo = std::min(lo, t);
    hi = std::max(hi, t);
    sum += t;
  }
  EXPECT_GE(lo, 20);
  EXPECT_LE(hi, 980);
  EXPECT_LT(lo, 40);   // covers the range
  EXPECT_GT(hi, 960);
  EXPECT_NEAR(sum / 2000, 500, 25);
}

TEST(TimestepSchedule, LinearAnnealsAsTheReference) {
  // FaceG2E T_scheduler 'linear': t = int(max - (max - min) / N * i).
  TimestepSchedule s({TimestepScheduleKind::Linear, 20, 980}, 200);
  std::mt19937_64 rng(1), untouched(1);
  EXPECT_EQ(s.at(0, rng), 980);
  EXPECT_EQ(s.at(100, rng), 500);
  EXPECT_EQ(s.at(199, rng), 24);  // 980 - 4.8 * 199 = 24.8
  int prev = 1000;
  for (int i = 0; i < 200; ++i) {
    const int t = s.at(i, rng);
    EXPECT_LE(t, prev);
    prev = t;
  }
  EXPECT_EQ(rng(), untouched());  // linear does not consume randomness
  EXPECT_THROW(TimestepSchedule({TimestepScheduleKind::Linear, 500, 100}, 10), faceg2e::Error);
  EXPECT_THROW(parse_timestep_schedule("cosine"), faceg2e::Error);
}

// The guidance objectives use the diffusion library's schedule (diffusers' float32 arithmetic);
// it must agree with the float64 numpy reference to float32 precision at the SDS range ends.
TEST(NoiseSchedule, GuidanceScheduleMatchesFloat64Reference) {
  const auto path = std::filesystem::path(FACEG2E_SHARED_DIR) /
                    "fixtures/sd-reference/fixtures/scheduler_ddim.safetensors";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no fixture " << path;
  auto file = faceg2e::diffusion::SafetensorsFile::open(path);
  torch::Tensor ref = file->load("alphas_cumprod_float64_numpy_reference", torch::kFloat64);
  faceg2e::diffusion::NoiseSchedule s(faceg2e::guidance::TextSdsParams{}.schedule);
  ASSERT_EQ(ref.numel(), s.config().num_train_timesteps);
  for (int t : {0, 1, 20, 500, 980, 999})
    EXPECT_NEAR(s.alpha_cumprod(t), ref[t].item<double>(), 5e-6) << t;
  EXPECT_THROW(s.alpha_cumprod(1000), faceg2e::Error);
}

// Whatever the model predicts (noise, v or x0), SDS gets the same noise back.
TEST(ModelOutputToEps, VAndSampleParameterisationsGiveTheNoise) {
  torch::manual_seed(7);
  torch::Tensor x0 = torch::randn({2, 4, 8, 8}, torch::kFloat64);
  torch::Tensor eps = torch::randn({2, 4, 8, 8}, torch::kFloat64);
  for (double ab : {0.9991, 0.5, 0.0047}) {
    const double a = std::sqrt(ab), s = std::sqrt(1 - ab);
    torch::Tensor z_t = a * x0 + s * eps;
    torch::Tensor v = a * eps - s * x0;  // diffusers get_velocity
    using faceg2e::guidance::model_output_to_eps;
    EXPECT_TRUE(torch::allclose(model_output_to_eps(eps, z_t, ab, "epsilon"), eps));
    EXPECT_TRUE(torch::allclose(model_output_to_eps(v, z_t, ab, "v_prediction"), eps, 1e-9, 1e-9))
        << ab;
    EXPECT_TRUE(torch::allclose(model_output_to_eps(x0, z_t, ab, "sample"), eps, 1e-9, 1e-9)) << ab;
  }
  EXPECT_THROW(faceg2e::guidance::model_output_to_eps(eps, eps, 0.5, "flow"), faceg2e::Error);
}
