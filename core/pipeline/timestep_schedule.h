#pragma once
// Diffusion timesteps for SDS, per optimisation step (FaceG2E util/T_scheduler.py):
//   uniform: t ~ U{min_t .. max_t} each step (geometry stage);
//   linear:  t = int(max_t - (max_t - min_t) / N * i), falling from max_t (texture stage).
// The reference's bounds are int(0.02 * 1000) = 20 and int(0.98 * 1000) = 980.
#include <cstdint>
#include <random>
#include <string>

namespace faceg2e::pipeline {

enum class TimestepScheduleKind { Uniform, Linear };

std::string to_string(TimestepScheduleKind kind);
TimestepScheduleKind parse_timestep_schedule(const std::string& name);  // "uniform" | "linear"

struct TimestepScheduleParams {
  TimestepScheduleKind kind = TimestepScheduleKind::Uniform;
  int min_t = 20;    // FaceG2E T_scheduler: int(1000 * 0.02)
  int max_t = 980;   // FaceG2E T_scheduler: int(1000 * 0.98)
};

class TimestepSchedule {
 public:
  TimestepSchedule(TimestepScheduleParams params, int total_steps);
  // The timestep of optimisation step `step` (0-based). Uniform draws from `rng`; linear does not
  // touch it, so both kinds consume the caller's RNG stream predictably.
  int at(int step, std::mt19937_64& rng) const;
  const TimestepScheduleParams& params() const { return params_; }

 private:
  TimestepScheduleParams params_;
  int total_steps_;
};

}  // namespace faceg2e::pipeline
