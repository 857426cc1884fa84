#include "core/pipeline/run_control.h"

#include <algorithm>

#include "core/pipeline/stage.h"
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

void run_stage(Stage& stage, const RunControl& control) {
  const int total = stage.total_steps();
  const int loss_every = std::max(1, control.loss_every);
  double last_loss = 0;
  while (!stage.done()) {
    control.throw_if_cancelled();
    const int next = stage.steps_done() + 1;
    const bool read_loss = next % loss_every == 0 || next == total || next == 1;
    const StepReport r = stage.step(read_loss);
    if (r.loss) last_loss = *r.loss;
    if (control.on_progress) {
      Progress p;
      p.stage = stage.name();
      p.step = r.step;
      p.total = r.total;
      p.t = r.t;
      p.loss = last_loss;
      const double s = stage.seconds();
      p.it_per_s = s > 0 ? r.step / s : 0;
      p.eta_s = p.it_per_s > 0 ? (r.total - r.step) / p.it_per_s : 0;
      control.on_progress(p);
    }
    if (control.on_step) control.on_step(stage);
    if (control.on_preview && control.preview_every > 0 &&
        (r.step % control.preview_every == 0 || r.step == r.total))
      control.on_preview({stage.name(), r.step, stage.preview(control.preview_size)});
  }
}

}  // namespace faceg2e::pipeline
