#pragma once
// DDIM / DDPM noise schedule as diffusers 0.27 computes it (float32 betas and cumprod), DDIM
// step, add_noise and set_timesteps with diffusers' timestep spacings.
#include <torch/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace faceg2e::diffusion {

struct SchedulerConfig {
  std::int64_t num_train_timesteps = 1000;
  double beta_start = 0.00085;  // SD 1.5 / 2.1-base scheduler_config.json
  double beta_end = 0.012;
  std::string beta_schedule = "scaled_linear";  // "linear", "scaled_linear", "squaredcos_cap_v2"
  std::string prediction_type = "epsilon";      // "epsilon", "v_prediction", "sample"
  std::string timestep_spacing = "leading";     // "leading", "trailing", "linspace"
  std::int64_t steps_offset = 1;
  bool set_alpha_to_one = false;
  bool clip_sample = false;
  double clip_sample_range = 1.0;

  static SchedulerConfig from_json(const nlohmann::json& j, const std::string& what);
  static SchedulerConfig from_file(const std::filesystem::path& scheduler_config_json);
};

struct DdimStepOutput {
  torch::Tensor prev_sample;
  torch::Tensor pred_original_sample;
};

class NoiseSchedule {
 public:
  explicit NoiseSchedule(const SchedulerConfig& config = {});

  const SchedulerConfig& config() const { return config_; }
  const torch::Tensor& betas() const { return betas_; }                    // [T] float32
  const torch::Tensor& alphas() const { return alphas_; }                  // [T] float32
  const torch::Tensor& alphas_cumprod() const { return alphas_cumprod_; }  // [T] float32
  const torch::Tensor& final_alpha_cumprod() const { return final_alpha_cumprod_; }  // 0-d
  double alpha_cumprod(std::int64_t t) const;

  // sqrt(acp[t]) x0 + sqrt(1 - acp[t]) noise; timesteps int [B] (or scalar), broadcast over the
  // remaining dims. Differentiable in original and noise.
  torch::Tensor add_noise(const torch::Tensor& original, const torch::Tensor& noise,
                          const torch::Tensor& timesteps) const;

  // diffusers set_timesteps(N): int64 [N], descending.
  void set_timesteps(std::int64_t num_inference_steps);
  const torch::Tensor& timesteps() const { return timesteps_; }
  std::int64_t num_inference_steps() const { return num_inference_steps_; }

  // One DDIM step from timestep t (after set_timesteps). variance_noise is used when eta > 0
  // (drawn from the default generator when undefined).
  DdimStepOutput ddim_step(const torch::Tensor& model_output, std::int64_t timestep,
                           const torch::Tensor& sample, double eta = 0.0,
                           const torch::Tensor& variance_noise = {}) const;

 private:
  SchedulerConfig config_;
  torch::Tensor betas_, alphas_, alphas_cumprod_, final_alpha_cumprod_, timesteps_;
  std::int64_t num_inference_steps_ = 0;
};

}  // namespace faceg2e::diffusion
