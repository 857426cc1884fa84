#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/guidance/analytic_target.h"
#include "core/util/error.h"

using namespace faceg2e::guidance;

// The SDS gradient of the analytic target w.r.t. a pixel-space render must equal the closed form
// d/dx = 2 (1 - ab) sqrt(ab / (1 - ab)) (z - z_target) / B, z = 2x - 1, whatever the noise.
TEST(AnalyticTarget, PixelGradientMatchesClosedForm) {
  torch::manual_seed(3);
  torch::Tensor x = torch::rand({2, 3, 8, 8}, torch::kFloat64).requires_grad_(true);
  torch::Tensor target = torch::rand({2, 3, 8, 8}, torch::kFloat64);
  AnalyticTargetGuidance g({}, nullptr);
  torch::Generator gen = at::detail::createCPUGenerator(11);
  faceg2e::diffusion::NoiseSchedule sched;
  for (int t : {20, 500, 980}) {
    GuidanceStep step;
    step.t = t;
    step.render_target = [&] { return target; };
    step.generator = &gen;
    auto r = g.compute(x, false, step);
    x.mutable_grad() = torch::Tensor();
    r.loss.backward();
    const double ab = sched.alpha_cumprod(t);
    // Closed form in float64 by hand, independent of the implementation's noise path.
    torch::Tensor expect =
        2.0 * (1 - ab) * std::sqrt(ab / (1 - ab)) * ((2 * x.detach() - 1) - (2 * target - 1)) / 2.0;
    EXPECT_LT((x.grad() - expect).abs().max().item<double>(), 1e-5) << "t=" << t;
    EXPECT_NEAR(r.report, ((x.detach() - target) * 2).pow(2).mean().item<double>(), 1e-9);
  }
}

TEST(AnalyticTarget, GradientDescentRecoversTheTarget) {
  torch::Tensor x = torch::full({1, 3, 4, 4}, 0.5).requires_grad_(true);
  torch::Tensor target = torch::rand({1, 3, 4, 4});
  AnalyticTargetGuidance g({}, nullptr);
  torch::Generator gen = at::detail::createCPUGenerator(5);
  for (int i = 0; i < 200; ++i) {
    GuidanceStep step;
    step.t = 300;
    step.render_target = [&] { return target; };
    step.generator = &gen;
    auto r = g.compute(x, false, step);
    x.mutable_grad() = torch::Tensor();
    r.loss.backward();
    torch::NoGradGuard ng;
    x.sub_(x.grad() * 1.0);
  }
  EXPECT_LT((x.detach() - target).abs().max().item<double>(), 1e-3);
}

TEST(AnalyticTarget, RejectsMissingTarget) {
  AnalyticTargetGuidance g({}, nullptr);
  GuidanceStep step;
  EXPECT_THROW(g.compute(torch::rand({1, 3, 4, 4}), false, step), faceg2e::Error);
}
