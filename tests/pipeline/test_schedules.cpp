#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "core/diffusion/safetensors.h"
#include "core/guidance/noise_schedule.h"
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

TEST(NoiseSchedule, MatchesDiffusersFloat64Reference) {
  const auto path = std::filesystem::path(FACEG2E_SHARED_DIR) /
                    "fixtures/sd-reference/fixtures/scheduler_ddim.safetensors";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no fixture " << path;
  auto file = faceg2e::diffusion::SafetensorsFile::open(path);
  torch::Tensor ref = file->load("alphas_cumprod_float64_numpy_reference", torch::kFloat64);
  faceg2e::guidance::NoiseSchedule s;
  ASSERT_EQ(ref.numel(), s.num_train_timesteps());
  for (int t : {0, 1, 20, 500, 980, 999})
    EXPECT_NEAR(s.alpha_bar(t), ref[t].item<double>(), 1e-12) << "t=" << t;
  EXPECT_THROW(s.alpha_bar(1000), faceg2e::Error);
}
