// Adan against its published update rule (Xie et al. 2022, Algorithm 1, in the bias-corrected
// form of stable-dreamfusion's lib/optimizer.py), recomputed here in scalar float64.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "core/pipeline/adan.h"
#include "core/pipeline/optimizer.h"
#include "core/util/error.h"

using faceg2e::pipeline::Adan;
using faceg2e::pipeline::AdanParams;

namespace {

// Scalar float64 reference for one coordinate over a gradient sequence (already clipped).
std::vector<double> reference_adan(double theta, const std::vector<double>& grads,
                                   const AdanParams& p) {
  std::vector<double> out;
  double m = 0, v = 0, n = 0, prev = grads.front();
  for (size_t i = 0; i < grads.size(); ++i) {
    const double k = double(i + 1), g = grads[i], d = g - prev;
    m = p.beta1 * m + (1 - p.beta1) * g;
    v = p.beta2 * v + (1 - p.beta2) * d;
    const double u = g + p.beta2 * d;
    n = p.beta3 * n + (1 - p.beta3) * u * u;
    const double upd = m / (1 - std::pow(p.beta1, k)) + p.beta2 * v / (1 - std::pow(p.beta2, k));
    const double den = std::sqrt(n / (1 - std::pow(p.beta3, k))) + p.eps;
    theta = (theta - p.lr * upd / den) / (1 + p.lr * p.weight_decay);
    out.push_back(theta);
    prev = g;
  }
  return out;
}

}  // namespace

TEST(Adan, TwoStepsMatchHandComputation) {
  // Hand check of step 1 for the first coordinate (lr 0.1, no decay): m = 0.02 g, v = 0,
  // n = 0.01 g^2; bias corrections 0.02 and 0.01 give update g / |g| = 1, so theta moves by
  // exactly -lr * sign(g) (up to eps).
  AdanParams p;
  p.lr = 0.1;
  p.weight_decay = 0.0;
  p.max_grad_norm = 0.0;
  torch::Tensor x = torch::tensor({1.0, -0.5}, torch::kFloat64).requires_grad_(true);
  Adan opt({x}, p);
  x.mutable_grad() = torch::tensor({2.0, -3.0}, torch::kFloat64);
  opt.step();
  EXPECT_NEAR(x[0].item<double>(), 1.0 - 0.1, 1e-9);
  EXPECT_NEAR(x[1].item<double>(), -0.5 + 0.1, 1e-9);
  // Step 2 with new gradients: compare with the scalar recomputation.
  x.mutable_grad() = torch::tensor({0.5, 1.0}, torch::kFloat64);
  opt.step();
  auto r0 = reference_adan(1.0, {2.0, 0.5}, p);
  auto r1 = reference_adan(-0.5, {-3.0, 1.0}, p);
  EXPECT_NEAR(x[0].item<double>(), r0[1], 1e-12);
  EXPECT_NEAR(x[1].item<double>(), r1[1], 1e-12);
  // And a value worked by hand for coordinate 0, step 2: g1 = 2, g2 = 0.5, d = -1.5.
  // m = 0.98*0.04 + 0.01 = 0.0492 -> /(1-0.98^2 = 0.0396) = 1.242424...
  // v = 0.08 * -1.5 = -0.12 -> 0.92 * -0.12 / (1-0.92^2 = 0.1536) = -0.71875
  // u = 0.5 + 0.92 * -1.5 = -0.88; n = 0.99*0.04 + 0.01*0.7744 = 0.047344 -> /(0.0199) sqrt
  //   = 1.542424...; theta = 0.9 - 0.1 * (1.242424 - 0.71875) / 1.542424 = 0.866048...
  EXPECT_NEAR(x[0].item<double>(), 0.9 - 0.1 * (0.0492 / 0.0396 - 0.92 * 0.12 / 0.1536) /
                                             std::sqrt(0.047344 / 0.0199),
              1e-9);
}

TEST(Adan, WeightDecayAndClipping) {
  AdanParams p;
  p.lr = 0.05;
  p.weight_decay = 0.1;
  p.max_grad_norm = 1.0;
  torch::Tensor a = torch::tensor({0.3, 0.7}, torch::kFloat64).requires_grad_(true);
  torch::Tensor b = torch::tensor({-1.2}, torch::kFloat64).requires_grad_(true);
  Adan opt({a, b}, p);
  const std::vector<std::vector<double>> ga = {{3.0, -4.0}, {0.2, 0.1}, {-1.0, 2.0}};
  const std::vector<double> gb = {12.0, 0.1, 0.4};
  std::vector<std::vector<double>> clipped(3, std::vector<double>(3));
  for (int s = 0; s < 3; ++s) {
    const double norm =
        std::sqrt(ga[s][0] * ga[s][0] + ga[s][1] * ga[s][1] + gb[s] * gb[s]);
    const double c = std::min(1.0, p.max_grad_norm / (norm + p.eps));
    clipped[s] = {ga[s][0] * c, ga[s][1] * c, gb[s] * c};
    a.mutable_grad() = torch::tensor(ga[s], torch::kFloat64);
    b.mutable_grad() = torch::tensor({gb[s]}, torch::kFloat64);
    opt.step();
  }
  auto r0 = reference_adan(0.3, {clipped[0][0], clipped[1][0], clipped[2][0]}, p);
  auto r1 = reference_adan(0.7, {clipped[0][1], clipped[1][1], clipped[2][1]}, p);
  auto r2 = reference_adan(-1.2, {clipped[0][2], clipped[1][2], clipped[2][2]}, p);
  EXPECT_NEAR(a[0].item<double>(), r0[2], 1e-12);
  EXPECT_NEAR(a[1].item<double>(), r1[2], 1e-12);
  EXPECT_NEAR(b[0].item<double>(), r2[2], 1e-12);
}

TEST(Adan, MinimisesAQuadratic) {
  torch::Tensor x = torch::full({8}, 3.0).requires_grad_(true);
  auto opt = faceg2e::pipeline::make_optimizer({}, {x});  // Adan, lr 0.05
  for (int i = 0; i < 300; ++i) {
    opt->zero_grad();
    torch::Tensor loss = (x - 1.0).pow(2).sum();
    loss.backward();
    opt->step();
  }
  EXPECT_LT((x - 1.0).abs().max().item<double>(), 0.05);
}

TEST(Optimizer, StepLrDecay) {
  faceg2e::pipeline::OptimizerParams p;
  p.kind = faceg2e::pipeline::OptimizerKind::AdamW;
  p.lr = 0.1;
  p.decay_every = 2;
  p.decay_gamma = 0.5;
  torch::Tensor x = torch::zeros({1}).requires_grad_(true);
  auto opt = faceg2e::pipeline::make_optimizer(p, {x});
  for (int i = 0; i < 4; ++i) {
    x.mutable_grad() = torch::ones({1});
    opt->step();
  }
  EXPECT_NEAR(opt->lr(), 0.025, 1e-12);
  EXPECT_THROW(faceg2e::pipeline::parse_optimizer_kind("sgd"), faceg2e::Error);
}
