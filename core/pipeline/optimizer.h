#pragma once
// The optimizers a stage can use, behind one small interface: Adan (geometry, FaceG2E), Adam,
// AdamW (texture, FaceG2E), plus the step-wise learning-rate decay the reference applies
// (torch StepLR).
#include <torch/types.h>

#include <memory>
#include <string>
#include <vector>

#include "core/pipeline/adan.h"

namespace faceg2e::pipeline {

enum class OptimizerKind { Adan, Adam, AdamW };

std::string to_string(OptimizerKind kind);
// "adan", "adam", "adamw" (case-insensitive); throws faceg2e::Error otherwise.
OptimizerKind parse_optimizer_kind(const std::string& name);

struct OptimizerParams {
  OptimizerKind kind = OptimizerKind::Adan;
  double lr = 0.05;
  AdanParams adan;               // used by Adan (lr is taken from `lr`)
  double adam_beta1 = 0.9;       // FaceG2E main.py AdamW: betas (0.9, 0.99), eps 1e-15
  double adam_beta2 = 0.99;
  double adam_eps = 1e-15;
  double weight_decay = 0.0;     // Adam/AdamW; torch AdamW default is 0.01
  // StepLR: lr *= decay_gamma every decay_every steps (FaceG2E: texture 100 / 0.9, geometry 1.0).
  int decay_every = 100;
  double decay_gamma = 1.0;
};

class StepOptimizer {
 public:
  virtual ~StepOptimizer() = default;
  virtual void zero_grad() = 0;
  // Updates the parameters, then advances the learning-rate schedule by one step.
  virtual void step() = 0;
  virtual double lr() const = 0;
};

std::unique_ptr<StepOptimizer> make_optimizer(const OptimizerParams& params,
                                              std::vector<torch::Tensor> tensors);

}  // namespace faceg2e::pipeline
