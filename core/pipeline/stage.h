#pragma once
// A run is a sequence of steps that anyone can drive: the CLI, a benchmark, a test or the GUI's
// worker. A stage never loops to the end by itself; run_stage() is the one driver. Torch-free,
// so the runtime can hold a running stage behind its torch-free public header.
#include <optional>
#include <string>
#include <vector>

#include "core/pipeline/run_control.h"
#include "core/session/face_state.h"
#include "core/util/image_io.h"

namespace faceg2e::pipeline {

struct StepReport {
  int step = 0;   // steps done in this stage after this one (1-based)
  int total = 0;  // steps in this stage
  int t = 0;      // diffusion timestep of this step
  // The guidance's reported loss, read back to the host only when step(true) asked for it: a
  // read-back waits for the device, so drivers ask every few steps, not every step.
  std::optional<double> loss;
};

// A torch-free copy of a running stage's state, for viewports and progress displays.
struct FaceSnapshot {
  std::string stage;  // "geometry" | "texture" | "edit"
  int step = 0, total = 0, t = 0;
  double loss = 0;      // the last loss read back
  double it_per_s = 0, eta_s = 0;
  std::vector<float> positions;  // V*3, model units (cm), the model's vertex order
  std::vector<float> normals;    // V*3, unit length
  session::FloatImage albedo;    // RGB atlas (uv_atlas.h layout); empty when unchanged by the stage
  session::FloatImage weights;   // W (1 channel, atlas layout; 1 = frozen, 0 = free); edits only
  session::FloatImage attention; // the last attention map projected into the atlas; edits only
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string name() const = 0;
  virtual int total_steps() const = 0;
  virtual int steps_done() const = 0;
  bool done() const { return steps_done() >= total_steps(); }

  // One optimisation step. read_loss: also read the step's loss back to the host.
  virtual StepReport step(bool read_loss) = 0;
  // A host copy of the current state. albedo_size: < 0 leaves the albedo out (cheap: decoding a
  // latent texture costs a VAE decode), 0 keeps the stage's own size, > 0 resamples to that
  // size. Stages that do not change the albedo leave it empty.
  virtual FaceSnapshot snapshot(int albedo_size = 0) = 0;
  // A fixed front view of the current state, size x size RGB (CLI previews).
  virtual Image8 preview(int size) = 0;
  // The resulting face state (call once, after the last step).
  virtual session::FaceState finish() = 0;
  // Mean of the reported loss over the last 10% of the steps (reads back once).
  virtual double final_loss() = 0;
  // Seconds spent in step() so far.
  virtual double seconds() const = 0;
};

// The one driver: checks cancellation before every step (throws faceg2e::Cancelled), reads the
// loss back every control.loss_every steps and at the last step, reports progress after every
// step, calls control.on_step (the GUI worker publishes snapshots there) and writes previews
// every control.preview_every steps.
void run_stage(Stage& stage, const RunControl& control);

}  // namespace faceg2e::pipeline
