#include "core/pipeline/run_control.h"

#include "core/util/error.h"

namespace faceg2e::pipeline {

std::string to_string(JobState state) {
  switch (state) {
    case JobState::Queued: return "queued";
    case JobState::Running: return "running";
    case JobState::Done: return "done";
    case JobState::Failed: return "failed";
    case JobState::Cancelled: return "cancelled";
  }
  return "?";
}

void RunControl::throw_if_cancelled() const {
  if (cancelled()) throw Cancelled();
}

ProgressMeter::ProgressMeter(std::string stage, int total)
    : stage_(std::move(stage)), total_(total), start_(std::chrono::steady_clock::now()) {}

double ProgressMeter::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

Progress ProgressMeter::finish_step(int step, int t, double loss) {
  Progress p;
  p.stage = stage_;
  p.step = step;
  p.total = total_;
  p.t = t;
  p.loss = loss;
  const double elapsed = elapsed_s();
  p.it_per_s = elapsed > 0 ? step / elapsed : 0;
  p.eta_s = p.it_per_s > 0 ? (total_ - step) / p.it_per_s : 0;
  return p;
}

}  // namespace faceg2e::pipeline
