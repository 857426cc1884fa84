#pragma once
// The DDPM training noise schedule SD 1.x / 2.x were trained with ("scaled_linear", beta from
// 0.00085 to 0.012 over 1000 steps: diffusers DDPMScheduler / DDIMScheduler config of both), as
// the guidance objectives need it: alpha_bar(t) and the SDS weight w(t) = 1 - alpha_bar(t)
// (DreamFusion / stable-dreamfusion, which FaceG2E's models/sd.py follows).
#include <vector>

namespace faceg2e::guidance {

struct NoiseScheduleParams {
  int num_train_timesteps = 1000;  // SD 1.5 / 2.1-base scheduler config
  double beta_start = 0.00085;
  double beta_end = 0.012;
};

class NoiseSchedule {
 public:
  explicit NoiseSchedule(NoiseScheduleParams params = {});
  // alpha_bar(t) = prod_{s <= t} (1 - beta_s), t in [0, num_train_timesteps). Throws on bad t.
  double alpha_bar(int t) const;
  double sds_weight(int t) const { return 1.0 - alpha_bar(t); }
  int num_train_timesteps() const { return static_cast<int>(alpha_bar_.size()); }

 private:
  std::vector<double> alpha_bar_;
};

}  // namespace faceg2e::guidance
