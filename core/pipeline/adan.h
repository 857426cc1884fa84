#pragma once
// Adan (Xie et al. 2022, "Adan: Adaptive Nesterov Momentum Algorithm for Faster Optimizing Deep
// Models", Algorithm 1), in the bias-corrected form FaceG2E uses for its geometry stage (the
// optimizer of stable-dreamfusion's lib/optimizer.py, which FaceG2E imports). Per parameter, with
// g_k the (globally clipped) gradient and g_0 := g_1 so that the first difference is zero:
//   m_k = b1 m_{k-1} + (1-b1) g_k
//   v_k = b2 v_{k-1} + (1-b2) (g_k - g_{k-1})
//   n_k = b3 n_{k-1} + (1-b3) (g_k + b2 (g_k - g_{k-1}))^2
//   u_k = m_k / (1-b1^k) + b2 v_k / (1-b2^k)
//   d_k = sqrt(n_k / (1-b3^k)) + eps
//   theta <- (theta - lr u_k / d_k) / (1 + lr wd)        (proximal weight decay, default)
//   theta <- theta (1 - lr wd) - lr u_k / d_k            (no_prox)
// Betas are in the "1 - paper beta" convention: paper (0.02, 0.08, 0.01) = (0.98, 0.92, 0.99).
#include <torch/types.h>

#include <vector>

namespace faceg2e::pipeline {

struct AdanParams {
  double lr = 0.05;             // FaceG2E main.py: geometry lr 0.05
  double beta1 = 0.98;          // stable-dreamfusion Adan default
  double beta2 = 0.92;
  double beta3 = 0.99;
  double eps = 1e-8;            // FaceG2E main.py
  double weight_decay = 2e-5;   // FaceG2E main.py
  double max_grad_norm = 5.0;   // FaceG2E main.py; <= 0 disables global clipping
  bool no_prox = false;         // stable-dreamfusion default
};

class Adan {
 public:
  Adan(std::vector<torch::Tensor> params, AdanParams options);

  void zero_grad();
  // One update from the parameters' current .grad(); parameters without a gradient are skipped.
  void step();

  double lr() const { return options_.lr; }
  void set_lr(double lr) { options_.lr = lr; }
  long step_count() const { return step_; }

 private:
  struct State {
    torch::Tensor exp_avg, exp_avg_sq, exp_avg_diff, prev_grad;
  };
  std::vector<torch::Tensor> params_;
  std::vector<State> state_;
  AdanParams options_;
  long step_ = 0;
};

}  // namespace faceg2e::pipeline
