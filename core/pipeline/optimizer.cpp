#include "core/pipeline/optimizer.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/util/error.h"

namespace faceg2e::pipeline {

std::string to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::Adan: return "adan";
    case OptimizerKind::Adam: return "adam";
    case OptimizerKind::AdamW: return "adamw";
  }
  return "?";
}

OptimizerKind parse_optimizer_kind(const std::string& name) {
  std::string s = name;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  if (s == "adan") return OptimizerKind::Adan;
  if (s == "adam") return OptimizerKind::Adam;
  if (s == "adamw") return OptimizerKind::AdamW;
  throw Error("unknown optimizer '" + name + "' (expected adan, adam or adamw)");
}

namespace {

double scheduled_lr(const OptimizerParams& p, long steps_done) {
  if (p.decay_every <= 0 || p.decay_gamma == 1.0) return p.lr;
  return p.lr * std::pow(p.decay_gamma, static_cast<double>(steps_done / p.decay_every));
}

class AdanOptimizer final : public StepOptimizer {
 public:
  AdanOptimizer(const OptimizerParams& p, std::vector<torch::Tensor> t)
      : params_(p), adan_(std::move(t), with_lr(p)) {}
  void zero_grad() override { adan_.zero_grad(); }
  void step() override {
    adan_.step();
    adan_.set_lr(scheduled_lr(params_, adan_.step_count()));
  }
  double lr() const override { return adan_.lr(); }

 private:
  static AdanParams with_lr(const OptimizerParams& p) {
    AdanParams a = p.adan;
    a.lr = p.lr;
    return a;
  }
  OptimizerParams params_;
  Adan adan_;
};

template <typename TorchOpt, typename TorchOptions>
class TorchOptimizer final : public StepOptimizer {
 public:
  TorchOptimizer(const OptimizerParams& p, std::vector<torch::Tensor> t)
      : params_(p),
        opt_(std::move(t), TorchOptions(p.lr)
                               .betas(std::make_tuple(p.adam_beta1, p.adam_beta2))
                               .eps(p.adam_eps)
                               .weight_decay(p.weight_decay)) {}
  void zero_grad() override { opt_.zero_grad(); }
  void step() override {
    opt_.step();
    ++steps_;
    const double lr = scheduled_lr(params_, steps_);
    for (auto& group : opt_.param_groups())
      static_cast<TorchOptions&>(group.options()).lr(lr);
    lr_ = lr;
  }
  double lr() const override { return lr_; }

 private:
  OptimizerParams params_;
  TorchOpt opt_;
  long steps_ = 0;
  double lr_ = params_.lr;
};

}  // namespace

std::unique_ptr<StepOptimizer> make_optimizer(const OptimizerParams& params,
                                              std::vector<torch::Tensor> tensors) {
  FACEG2E_CHECK(params.lr > 0, "optimizer learning rate must be positive");
  switch (params.kind) {
    case OptimizerKind::Adan:
      return std::make_unique<AdanOptimizer>(params, std::move(tensors));
    case OptimizerKind::Adam:
      return std::make_unique<TorchOptimizer<torch::optim::Adam, torch::optim::AdamOptions>>(
          params, std::move(tensors));
    case OptimizerKind::AdamW:
      return std::make_unique<TorchOptimizer<torch::optim::AdamW, torch::optim::AdamWOptions>>(
          params, std::move(tensors));
  }
  throw Error("unknown optimizer kind");
}

}  // namespace faceg2e::pipeline
