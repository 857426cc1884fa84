#include "core/pipeline/adan.h"

#include <torch/torch.h>

#include <cmath>

#include "core/util/error.h"

namespace faceg2e::pipeline {

Adan::Adan(std::vector<torch::Tensor> params, AdanParams options)
    : params_(std::move(params)), state_(params_.size()), options_(options) {
  for (const auto& p : params_)
    FACEG2E_CHECK(p.defined() && p.is_floating_point(), "Adan: parameters must be float tensors");
  FACEG2E_CHECK(options_.beta1 >= 0 && options_.beta1 < 1 && options_.beta2 >= 0 &&
                    options_.beta2 < 1 && options_.beta3 >= 0 && options_.beta3 < 1,
                "Adan: betas must lie in [0, 1)");
}

void Adan::zero_grad() {
  for (auto& p : params_) {
    if (p.grad().defined()) {
      p.mutable_grad().detach_();
      p.mutable_grad().zero_();
    }
  }
}

void Adan::step() {
  torch::NoGradGuard no_grad;
  ++step_;
  // Global gradient clipping over all parameters, as the reference does before the update. The
  // factor stays a device tensor: reading the norm back would wait for the device every step.
  torch::Tensor clip;
  if (options_.max_grad_norm > 0) {
    torch::Tensor sq;
    for (auto& p : params_) {
      if (!p.grad().defined()) continue;
      torch::Tensor s = p.grad().to(torch::kFloat64).pow(2).sum();
      sq = sq.defined() ? sq + s : s;
    }
    if (sq.defined())
      clip = (options_.max_grad_norm / (sq.sqrt() + options_.eps)).clamp_max(1.0);
  }
  const double b1 = options_.beta1, b2 = options_.beta2, b3 = options_.beta3;
  const double k = static_cast<double>(step_);
  const double bc1 = 1 - std::pow(b1, k);
  const double bc2 = 1 - std::pow(b2, k);
  const double bc3_sqrt = std::sqrt(1 - std::pow(b3, k));
  for (size_t i = 0; i < params_.size(); ++i) {
    auto& p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor g = clip.defined() ? p.grad() * clip.to(p.grad().scalar_type()) : p.grad();
    State& s = state_[i];
    if (!s.exp_avg.defined()) {
      s.exp_avg = torch::zeros_like(p);
      s.exp_avg_sq = torch::zeros_like(p);
      s.exp_avg_diff = torch::zeros_like(p);
      s.prev_grad = g.clone();
    }
    torch::Tensor diff = g - s.prev_grad;
    s.exp_avg.mul_(b1).add_(g, 1 - b1);
    s.exp_avg_diff.mul_(b2).add_(diff, 1 - b2);
    torch::Tensor nesterov = g + b2 * diff;
    s.exp_avg_sq.mul_(b3).addcmul_(nesterov, nesterov, 1 - b3);
    torch::Tensor denom = s.exp_avg_sq.sqrt() / bc3_sqrt + options_.eps;
    torch::Tensor update = s.exp_avg / bc1 + b2 * s.exp_avg_diff / bc2;
    if (options_.no_prox) {
      p.mul_(1 - options_.lr * options_.weight_decay);
      p.addcdiv_(update, denom, -options_.lr);
    } else {
      p.addcdiv_(update, denom, -options_.lr);
      p.div_(1 + options_.lr * options_.weight_decay);
    }
    s.prev_grad.copy_(g);
  }
}

}  // namespace faceg2e::pipeline
