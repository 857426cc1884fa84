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
    EXPECT_NEAR(r.report.item<double>(), ((x.detach() - target) * 2).pow(2).mean().item<double>(), 1e-9);
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

// Pixels outside both coverages get no gradient, unless they are in the outline band, where the
// gradient is scaled by the band's weight; the others keep the closed-form gradient.
TEST(AnalyticTarget, GradientIsRestrictedToCommonCoverageAndWeightedOutline) {
  torch::manual_seed(4);
  torch::Tensor x = torch::rand({1, 3, 8, 8}, torch::kFloat64).requires_grad_(true);
  const torch::Tensor target = torch::rand({1, 3, 8, 8}, torch::kFloat64);
  torch::Tensor input_mask = torch::zeros({1, 1, 8, 8}, torch::kFloat64);
  input_mask.narrow(3, 0, 5).fill_(1);  // columns 0-4
  torch::Tensor target_mask = torch::zeros({1, 1, 8, 8}, torch::kFloat64);
  target_mask.narrow(2, 0, 4).fill_(1);  // rows 0-3
  torch::Tensor band = torch::zeros({1, 1, 8, 8}, torch::kFloat64);
  band.narrow(3, 4, 2).fill_(1);  // columns 4-5
  const faceg2e::diffusion::NoiseSchedule sched;
  for (double weight : {-1.0, 1.0, 0.25}) {  // -1: no outline mask
    AnalyticTargetGuidance g({}, nullptr);
    torch::Generator gen = at::detail::createCPUGenerator(2);
    GuidanceStep step;
    step.t = 400;
    step.render_target = [&] { return TargetRender{target, target_mask}; };
    step.input_mask = input_mask;
    if (weight >= 0) step.outline_mask = band * weight;
    step.generator = &gen;
    x.mutable_grad() = torch::Tensor();
    g.compute(x, false, step).loss.backward();
    const double ab = sched.alpha_cumprod(400);
    // As above with B = 1: d/dx = 2 (1 - ab) sqrt(ab / (1 - ab)) * 2 (x - target).
    const torch::Tensor full = 4.0 * (1 - ab) * std::sqrt(ab / (1 - ab)) * (x.detach() - target);
    torch::Tensor keep = input_mask * target_mask;
    if (weight >= 0) keep = torch::maximum(keep, band * weight);
    const torch::Tensor expect = full * keep;
    EXPECT_LT((x.grad() - expect).abs().max().item<double>(), 1e-5) << "outline weight " << weight;
  }
}
