#pragma once
// How a caller watches and stops a run (the stable-diffusion.cpp style narrow API): a progress
// callback (step, t, loss, it/s, ETA), a preview callback every N steps, an atomic cancel flag,
// and job states. Torch-free, so the runtime and UI can include it.
#include <atomic>
#include <functional>
#include <string>

#include "core/util/image_io.h"

namespace faceg2e::pipeline {

enum class JobState { Queued, Running, Done, Failed, Cancelled };
std::string to_string(JobState state);

struct Progress {
  std::string stage;        // "geometry" | "texture" | "edit"
  int step = 0;             // 1-based, steps finished in this stage
  int total = 0;            // steps in this stage
  int t = 0;                // diffusion timestep of the last step
  double loss = 0;          // the stage's reported loss, as last read back (loss_every)
  double it_per_s = 0;      // steps per second, averaged over the stage so far
  double eta_s = 0;         // seconds left in this stage at that rate
};

struct Preview {
  std::string stage;
  int step = 0;
  Image8 image;             // a fixed front view of the current state
};

class Stage;

struct RunControl {
  std::function<void(const Progress&)> on_progress;  // called after every step when set
  std::function<void(Stage&)> on_step;               // called after every step when set
  std::function<void(const Preview&)> on_preview;    // called every preview_every steps
  int preview_every = 0;                             // 0: no previews
  int preview_size = 256;                            // preview render size (pixels)
  // The loss is read back to the host every this many steps (and at the last): each read-back
  // waits for the device. Progress carries the last value read.
  int loss_every = 10;
  const std::atomic<bool>* cancel = nullptr;         // checked before every step

  bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
  // Throws faceg2e::Cancelled when the flag is set.
  void throw_if_cancelled() const;
};

}  // namespace faceg2e::pipeline
