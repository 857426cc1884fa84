// Noise schedule: float64 re-computations of the diffusers formulas and the reference fixture.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "core/diffusion/safetensors.h"
#include "core/diffusion/scheduler.h"
#include "core/util/error.h"

using namespace faceg2e::diffusion;

namespace {
const std::filesystem::path kSet = std::filesystem::path(FACEG2E_SHARED_DIR) / "fixtures/sd-reference";

double rel_err(const torch::Tensor& a, const torch::Tensor& b) {
  const auto x = a.to(torch::kDouble), y = b.to(torch::kDouble);
  return ((x - y).abs().max() / y.abs().max()).item<double>();
}
}  // namespace

TEST(Scheduler, ScaledLinearBetasAndCumprodMatchFloat64) {
  NoiseSchedule s;  // SD defaults: scaled_linear 0.00085..0.012, 1000 steps
  const int n = 1000;
  std::vector<double> betas(n), acp(n);
  const double a = std::sqrt(0.00085), b = std::sqrt(0.012);
  double prod = 1.0;
  for (int i = 0; i < n; ++i) {
    const double r = a + (b - a) * i / (n - 1);
    betas[i] = r * r;
    prod *= 1.0 - betas[i];
    acp[i] = prod;
  }
  EXPECT_LT(rel_err(s.betas(), torch::tensor(betas, torch::kDouble)), 1e-6);
  EXPECT_LT(rel_err(s.alphas_cumprod(), torch::tensor(acp, torch::kDouble)), 1e-5);
  EXPECT_EQ(s.betas().scalar_type(), torch::kFloat);
  EXPECT_FLOAT_EQ(s.final_alpha_cumprod().item<float>(), s.alphas_cumprod()[0].item<float>());
}

TEST(Scheduler, LinearScheduleAndAlphaToOne) {
  SchedulerConfig c;
  c.beta_schedule = "linear";
  c.beta_start = 0.0001;
  c.beta_end = 0.02;
  c.set_alpha_to_one = true;
  NoiseSchedule s(c);
  EXPECT_NEAR(s.betas()[0].item<double>(), 0.0001, 1e-9);
  EXPECT_NEAR(s.betas()[999].item<double>(), 0.02, 1e-8);
  EXPECT_NEAR(s.betas()[500].item<double>(), 0.0001 + (0.02 - 0.0001) * 500 / 999, 1e-8);
  EXPECT_EQ(s.final_alpha_cumprod().item<float>(), 1.0f);
}

TEST(Scheduler, TimestepSpacings) {
  SchedulerConfig c;
  NoiseSchedule s(c);
  s.set_timesteps(50);
  ASSERT_EQ(s.timesteps().numel(), 50);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(s.timesteps()[i].item<std::int64_t>(), (49 - i) * 20 + 1);
  c.timestep_spacing = "trailing";
  c.steps_offset = 0;
  NoiseSchedule tr(c);
  tr.set_timesteps(10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(tr.timesteps()[i].item<std::int64_t>(), 999 - 100 * i);
  c.timestep_spacing = "linspace";
  NoiseSchedule ls(c);
  ls.set_timesteps(4);
  const std::vector<std::int64_t> want{999, 666, 333, 0};
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ls.timesteps()[i].item<std::int64_t>(), want[i]);
  EXPECT_THROW(s.set_timesteps(0), faceg2e::Error);
  EXPECT_THROW(s.set_timesteps(1001), faceg2e::Error);
}

TEST(Scheduler, AddNoiseMatchesFormula) {
  NoiseSchedule s;
  torch::manual_seed(1);
  const auto x0 = torch::randn({3, 4, 5, 5}), noise = torch::randn({3, 4, 5, 5});
  const auto t = torch::tensor({0, 500, 999}, torch::kLong);
  const auto got = s.add_noise(x0, noise, t);
  for (int i = 0; i < 3; ++i) {
    const double a = s.alphas_cumprod()[t[i].item<int64_t>()].item<double>();
    const auto want = std::sqrt(a) * x0[i].to(torch::kDouble) + std::sqrt(1 - a) * noise[i].to(torch::kDouble);
    EXPECT_LT(rel_err(got[i], want), 1e-6);
  }
  EXPECT_THROW(s.add_noise(x0, noise, torch::tensor({1000, 0, 0}, torch::kLong)), faceg2e::Error);
}

TEST(Scheduler, DdimStepMatchesFloat64Formula) {
  torch::manual_seed(2);
  const auto x = torch::randn({1, 4, 6, 6}), eps = torch::randn({1, 4, 6, 6}), z = torch::randn({1, 4, 6, 6});
  for (const char* pred : {"epsilon", "v_prediction"}) {
    SchedulerConfig c;
    c.prediction_type = pred;
    NoiseSchedule s(c);
    s.set_timesteps(50);
    for (std::int64_t t : {981, 501, 1}) {
      for (double eta : {0.0, 1.0}) {
        const double at = s.alphas_cumprod()[t].item<double>();
        const double ap = t - 20 >= 0 ? s.alphas_cumprod()[t - 20].item<double>()
                                      : s.final_alpha_cumprod().item<double>();
        const auto xd = x.to(torch::kDouble), ed = eps.to(torch::kDouble);
        torch::Tensor x0, e;
        if (std::string(pred) == "epsilon") {
          x0 = (xd - std::sqrt(1 - at) * ed) / std::sqrt(at);
          e = ed;
        } else {
          x0 = std::sqrt(at) * xd - std::sqrt(1 - at) * ed;
          e = std::sqrt(at) * ed + std::sqrt(1 - at) * xd;
        }
        const double var = (1 - ap) / (1 - at) * (1 - at / ap);
        const double sd = eta * std::sqrt(var);
        auto want = std::sqrt(ap) * x0 + std::sqrt(1 - ap - sd * sd) * e + sd * z.to(torch::kDouble);
        const auto out = s.ddim_step(eps, t, x, eta, z);
        EXPECT_LT(rel_err(out.prev_sample, want), 2e-5) << pred << " t=" << t << " eta=" << eta;
        EXPECT_LT(rel_err(out.pred_original_sample, x0), 2e-5) << pred << " t=" << t;
      }
    }
  }
}

TEST(Scheduler, ReferenceFixtureScheduleAndTimesteps) {
  const auto f = SafetensorsFile::open(kSet / "fixtures/scheduler_ddim.safetensors");
  NoiseSchedule s(SchedulerConfig::from_file(kSet / "models/scheduler_ddim/scheduler_config.json"));
  EXPECT_TRUE(torch::equal(s.betas(), f->load("betas")));
  EXPECT_LT(rel_err(s.alphas_cumprod(), f->load("alphas_cumprod")), 1e-7);
  // Independent float64 numpy values: our float32 cumprod stays within float32 drift.
  EXPECT_LT(rel_err(s.alphas_cumprod(), f->load("alphas_cumprod_float64_numpy_reference")), 1e-5);
  for (const auto& n : f->names()) {
    if (n.rfind("timesteps_", 0) != 0) continue;
    s.set_timesteps(std::stoll(n.substr(10)));
    EXPECT_TRUE(torch::equal(s.timesteps(), f->load(n))) << n;
  }
}

TEST(Scheduler, ConfigErrorsNameTheField) {
  nlohmann::json j = {{"beta_schedule", "cosine_bogus"}};
  try {
    SchedulerConfig::from_json(j, "sched.json");
    FAIL() << "expected an error";
  } catch (const faceg2e::Error& e) {
    EXPECT_NE(std::string(e.what()).find("beta_schedule"), std::string::npos);
  }
  EXPECT_THROW(SchedulerConfig::from_json(nlohmann::json{{"num_train_timesteps", "x"}}, "s"), faceg2e::Error);
}
