#include "core/diffusion/scheduler.h"

#include <torch/torch.h>

#include <cmath>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e::diffusion {

SchedulerConfig SchedulerConfig::from_json(const nlohmann::json& j, const std::string& what) {
  if (!j.is_object()) throw Error(what + ": scheduler config is not a JSON object");
  SchedulerConfig c;
  try {
    auto num = [&](const char* k, auto& dst) {
      if (j.contains(k) && !j[k].is_null()) dst = j[k].get<std::decay_t<decltype(dst)>>();
    };
    num("num_train_timesteps", c.num_train_timesteps);
    num("beta_start", c.beta_start);
    num("beta_end", c.beta_end);
    num("beta_schedule", c.beta_schedule);
    num("prediction_type", c.prediction_type);
    num("timestep_spacing", c.timestep_spacing);
    num("steps_offset", c.steps_offset);
    num("set_alpha_to_one", c.set_alpha_to_one);
    num("clip_sample", c.clip_sample);
    num("clip_sample_range", c.clip_sample_range);
    if (j.contains("trained_betas") && !j["trained_betas"].is_null())
      throw Error(what + ": trained_betas is not supported");
    if (j.value("thresholding", false)) throw Error(what + ": thresholding is not supported");
    if (j.value("rescale_betas_zero_snr", false))
      throw Error(what + ": rescale_betas_zero_snr is not supported");
  } catch (const nlohmann::json::exception& e) {
    throw Error(what + ": bad scheduler config: " + e.what());
  }
  if (c.num_train_timesteps <= 0) throw Error(what + ": num_train_timesteps must be > 0");
  if (c.beta_schedule != "linear" && c.beta_schedule != "scaled_linear" &&
      c.beta_schedule != "squaredcos_cap_v2")
    throw Error(what + ": unsupported beta_schedule '" + c.beta_schedule + "'");
  if (c.prediction_type != "epsilon" && c.prediction_type != "v_prediction" &&
      c.prediction_type != "sample")
    throw Error(what + ": unsupported prediction_type '" + c.prediction_type + "'");
  if (c.timestep_spacing != "leading" && c.timestep_spacing != "trailing" &&
      c.timestep_spacing != "linspace")
    throw Error(what + ": unsupported timestep_spacing '" + c.timestep_spacing + "'");
  return c;
}

SchedulerConfig SchedulerConfig::from_file(const std::filesystem::path& path) {
  const auto text = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path.string(), std::string("invalid JSON: ") + e.what());
  }
  return from_json(j, path.string());
}

NoiseSchedule::NoiseSchedule(const SchedulerConfig& c) : config_(c) {
  const auto f32 = torch::kFloat;
  const auto n = c.num_train_timesteps;
  if (c.beta_schedule == "linear") {
    betas_ = torch::linspace(c.beta_start, c.beta_end, n, f32);
  } else if (c.beta_schedule == "scaled_linear") {
    // diffusers: torch.linspace(beta_start**0.5, beta_end**0.5, N, dtype=float32) ** 2
    betas_ = torch::linspace(std::sqrt(c.beta_start), std::sqrt(c.beta_end), n, f32).pow(2);
  } else {  // squaredcos_cap_v2: betas_for_alpha_bar with the cosine alpha_bar, max_beta 0.999
    std::vector<double> b(n);
    auto alpha_bar = [](double t) {
      return std::pow(std::cos((t + 0.008) / 1.008 * M_PI / 2), 2);
    };
    for (std::int64_t i = 0; i < n; ++i) {
      const double t1 = double(i) / n, t2 = double(i + 1) / n;
      b[i] = std::min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999);
    }
    betas_ = torch::tensor(b, torch::kDouble).to(f32);
  }
  alphas_ = 1.0 - betas_;
  alphas_cumprod_ = torch::cumprod(alphas_, 0);
  final_alpha_cumprod_ = c.set_alpha_to_one ? torch::tensor(1.0f) : alphas_cumprod_[0].clone();
  set_timesteps(n > 50 ? 50 : n);
}

double NoiseSchedule::alpha_cumprod(std::int64_t t) const {
  FACEG2E_CHECK(t >= 0 && t < config_.num_train_timesteps, "timestep out of range");
  return alphas_cumprod_[t].item<double>();
}

torch::Tensor NoiseSchedule::add_noise(const torch::Tensor& original, const torch::Tensor& noise,
                                       const torch::Tensor& timesteps) const {
  auto t = timesteps.to(torch::kCPU, torch::kLong).reshape({-1});
  FACEG2E_CHECK(t.numel() > 0, "add_noise: no timesteps");
  FACEG2E_CHECK((t >= 0).all().item<bool>() && (t < config_.num_train_timesteps).all().item<bool>(),
                "add_noise: timestep out of range");
  const auto acp = alphas_cumprod_.to(original.device(), original.scalar_type());
  auto idx = t.to(original.device());
  auto sqrt_a = acp.index_select(0, idx).pow(0.5).flatten();
  auto sqrt_1a = (1.0 - acp.index_select(0, idx)).pow(0.5).flatten();
  const auto dims = std::max(original.dim(), noise.dim());
  while (sqrt_a.dim() < dims) {
    sqrt_a = sqrt_a.unsqueeze(-1);
    sqrt_1a = sqrt_1a.unsqueeze(-1);
  }
  return sqrt_a * original + sqrt_1a * noise;
}

void NoiseSchedule::set_timesteps(std::int64_t steps) {
  const auto n = config_.num_train_timesteps;
  if (steps <= 0 || steps > n)
    throw Error("set_timesteps: " + std::to_string(steps) + " steps must be in [1, " +
                std::to_string(n) + "]");
  std::vector<std::int64_t> ts(steps);
  if (config_.timestep_spacing == "leading") {
    const std::int64_t ratio = n / steps;
    for (std::int64_t i = 0; i < steps; ++i) ts[steps - 1 - i] = i * ratio + config_.steps_offset;
  } else if (config_.timestep_spacing == "trailing") {
    // np.round(np.arange(N, 0, -N/steps)).astype(int64) - 1 (round half to even, as numpy)
    const double ratio = double(n) / double(steps);
    for (std::int64_t i = 0; i < steps; ++i)
      ts[i] = static_cast<std::int64_t>(std::nearbyint(double(n) - i * ratio)) - 1;
  } else {  // linspace: np.linspace(0, N - 1, steps).round()[::-1]
    for (std::int64_t i = 0; i < steps; ++i) {
      const double v = steps == 1 ? 0.0 : double(n - 1) * double(i) / double(steps - 1);
      ts[steps - 1 - i] = static_cast<std::int64_t>(std::nearbyint(v));
    }
  }
  timesteps_ = torch::tensor(ts, torch::kLong);
  num_inference_steps_ = steps;
}

DdimStepOutput NoiseSchedule::ddim_step(const torch::Tensor& model_output, std::int64_t t,
                                        const torch::Tensor& sample, double eta,
                                        const torch::Tensor& variance_noise) const {
  FACEG2E_CHECK(num_inference_steps_ > 0, "ddim_step: call set_timesteps first");
  FACEG2E_CHECK(t >= 0 && t < config_.num_train_timesteps, "ddim_step: timestep out of range");
  const auto prev_t = t - config_.num_train_timesteps / num_inference_steps_;
  // 0-d float32 tensors, so that the arithmetic rounds exactly like diffusers'.
  const auto a_t = alphas_cumprod_[t];
  const auto a_prev = prev_t >= 0 ? alphas_cumprod_[prev_t] : final_alpha_cumprod_;
  const auto b_t = 1 - a_t;
  const auto b_prev = 1 - a_prev;
  const auto opts = sample.options();
  auto dev = [&](const torch::Tensor& s) { return s.to(opts); };

  torch::Tensor pred_x0, pred_eps;
  if (config_.prediction_type == "epsilon") {
    pred_x0 = (sample - dev(b_t.pow(0.5)) * model_output) / dev(a_t.pow(0.5));
    pred_eps = model_output;
  } else if (config_.prediction_type == "sample") {
    pred_x0 = model_output;
    pred_eps = (sample - dev(a_t.pow(0.5)) * pred_x0) / dev(b_t.pow(0.5));
  } else {
    pred_x0 = dev(a_t.pow(0.5)) * sample - dev(b_t.pow(0.5)) * model_output;
    pred_eps = dev(a_t.pow(0.5)) * model_output + dev(b_t.pow(0.5)) * sample;
  }
  if (config_.clip_sample)
    pred_x0 = pred_x0.clamp(-config_.clip_sample_range, config_.clip_sample_range);

  const auto variance = (b_prev / b_t) * (1 - a_t / a_prev);
  const auto std_dev = eta * variance.pow(0.5);
  const auto direction = dev((1 - a_prev - std_dev.pow(2)).pow(0.5)) * pred_eps;
  auto prev = dev(a_prev.pow(0.5)) * pred_x0 + direction;
  if (eta > 0) {
    const auto noise = variance_noise.defined() ? variance_noise.to(opts)
                                                : torch::randn(sample.sizes(), opts);
    prev = prev + dev(std_dev) * noise;
  }
  return {prev, pred_x0};
}

}  // namespace faceg2e::diffusion
