#include "core/guidance/noise_schedule.h"

#include <cmath>
#include <string>

#include "core/util/error.h"

namespace faceg2e::guidance {

NoiseSchedule::NoiseSchedule(NoiseScheduleParams params) {
  const int n = params.num_train_timesteps;
  FACEG2E_CHECK(n > 1, "noise schedule needs at least two timesteps");
  alpha_bar_.resize(n);
  // scaled_linear: betas = linspace(sqrt(beta_start), sqrt(beta_end), n)^2, computed in float64.
  const double a = std::sqrt(params.beta_start), b = std::sqrt(params.beta_end);
  double prod = 1.0;
  for (int i = 0; i < n; ++i) {
    const double s = a + (b - a) * i / (n - 1);
    prod *= 1.0 - s * s;
    alpha_bar_[i] = prod;
  }
}

double NoiseSchedule::alpha_bar(int t) const {
  if (t < 0 || t >= num_train_timesteps())
    throw Error("diffusion timestep " + std::to_string(t) + " outside [0, " +
                std::to_string(num_train_timesteps()) + ")");
  return alpha_bar_[t];
}

}  // namespace faceg2e::guidance
