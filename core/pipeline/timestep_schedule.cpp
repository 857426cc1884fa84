#include "core/pipeline/timestep_schedule.h"

#include <algorithm>

#include "core/util/error.h"

namespace faceg2e::pipeline {

std::string to_string(TimestepScheduleKind kind) {
  return kind == TimestepScheduleKind::Uniform ? "uniform" : "linear";
}

TimestepScheduleKind parse_timestep_schedule(const std::string& name) {
  if (name == "uniform") return TimestepScheduleKind::Uniform;
  if (name == "linear") return TimestepScheduleKind::Linear;
  throw Error("unknown timestep schedule '" + name + "' (expected uniform or linear)");
}

TimestepSchedule::TimestepSchedule(TimestepScheduleParams params, int total_steps)
    : params_(params), total_steps_(total_steps) {
  if (params_.min_t < 0 || params_.max_t > 999 || params_.min_t > params_.max_t)
    throw Error("timestep range [" + std::to_string(params_.min_t) + ", " +
                std::to_string(params_.max_t) + "] must lie within [0, 999] and be ordered");
  if (total_steps_ <= 0) throw Error("a stage needs at least one step");
}

int TimestepSchedule::at(int step, std::mt19937_64& rng) const {
  if (params_.kind == TimestepScheduleKind::Uniform) {
    std::uniform_int_distribution<int> dist(params_.min_t, params_.max_t);
    return dist(rng);
  }
  const double interval = double(params_.max_t - params_.min_t) / total_steps_;
  const int t = static_cast<int>(params_.max_t - interval * step);
  return std::clamp(t, params_.min_t, params_.max_t);
}

}  // namespace faceg2e::pipeline
