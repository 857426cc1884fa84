#pragma once
// The editor's engine room: one worker thread owns the document and its history, the model
// settings, the running stage and the RNG. The UI sends commands (each returns a job id at once)
// and reads the latest immutable Snapshot, published with a lock-free atomic shared_ptr swap; the
// UI never waits for the worker. Torch-free (pimpl), so ui/ and app/gui compile without torch.
//
// Job states: queued -> running -> done | failed(message) | cancelled. A failed or cancelled job
// leaves the history as it was: entries are appended only when a run finished. An exception in a
// job becomes a failed job; the worker keeps running. The document is a session::History (drop
// the redo tail on append); a project folder is written through session::ProjectStore, whose
// writer lock the runtime holds while the project is open.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/face/face_assets.h"
#include "core/pipeline/models_config.h"
#include "core/pipeline/run_control.h"
#include "core/pipeline/stage.h"
#include "core/session/face_state.h"

namespace faceg2e::runtime {

enum class GuidanceChoice { DiffusionModels, AnalyticTarget };

struct GenerateRequest {
  std::string prompt;
  std::uint64_t seed = 0;
  GuidanceChoice guidance = GuidanceChoice::DiffusionModels;
  std::string target_project;  // AnalyticTarget: a project folder (faceg2e-cli new)
  int geometry_steps = 200;    // 0 skips the stage
  int texture_steps = 400;     // 0 skips the stage
  // Quick-run sizes (0 = the stage defaults): render, VAE input and atlas size.
  int render_size = 0, vae_size = 0, atlas_size = 0;
};

struct EditRequest {
  std::string instruction;
  std::string scope = "texture";     // texture | geometry | expression
  std::vector<std::string> words;    // the edited words (W is built from their attention)
  std::vector<std::string> regions;  // user region lock: only these regions may change
  GuidanceChoice guidance = GuidanceChoice::DiffusionModels;
  std::string target_project;
  int steps = 200;
  std::uint64_t seed = 0;
  double lambda = 0;                                  // 0 = the stage default
  double text_scale = 0, image_scale = 0;             // 0 = the stage defaults (FaceG2E: 15, 2)
  int render_size = 0, vae_size = 0, atlas_size = 0;  // 0 = the stage defaults
};

struct ExportRequest {
  std::filesystem::path out_dir;
  std::string basename = "face";  // <basename>.obj, .mtl, _albedo.png, .json
  int texture_size = 1024;        // 1024 | 2048 | 4096
  bool include_weights = true;    // W map PNG of the cursor entry (when it has one)
  bool include_history = true;    // history sidecar (history.json)
};

struct RuntimeParams {
  std::shared_ptr<const face::FaceAssets> assets;  // required
  pipeline::ModelSelection models;
  std::string device = "cpu";
  // Intra-op torch threads: 0 = the machine's cores minus one (at least one), so the UI thread
  // keeps a core.
  int torch_threads = 0;
  // Snapshots of a running stage: at most one per step, and none closer than this (seconds);
  // progress without geometry is published after every step regardless.
  double snapshot_min_interval_s = 0.0;
  int preview_albedo_size = 256;  // albedo preview size in running snapshots
  int thumbnail_size = 96;        // history thumbnails (front view)
};

struct JobInfo {
  std::uint64_t id = 0;
  std::string kind;  // "generate", "edit", "undo", ...
  pipeline::JobState state = pipeline::JobState::Queued;
  std::string message;  // failed: the reason; done: a one-line summary
};

struct HistoryRow {
  std::string kind;                         // "new" | "generate" | "edit" | "open"
  std::string text;                         // prompt or instruction
  std::string time;                         // ISO 8601 UTC
  std::shared_ptr<const Image8> thumbnail;  // may be null
};

struct Snapshot {
  std::uint64_t serial = 0;
  // The document.
  std::vector<HistoryRow> history;
  int cursor = -1;
  bool dirty = false;                 // changes since the last save / open
  std::filesystem::path project_dir;  // empty until saved or opened
  // The face at the cursor (null: the default face) and a serial that changes with it.
  std::shared_ptr<const session::FaceState> face;
  std::uint64_t face_serial = 0;
  // W and attention of the cursor entry, or of the running edit (empty when none).
  std::shared_ptr<const session::FloatImage> weights, attention;
  // The running stage's latest state (null when nothing runs or the stage gives none).
  std::shared_ptr<const pipeline::FaceSnapshot> live;
  std::uint64_t live_serial = 0;
  // Jobs.
  bool busy = false;  // a job is queued or running
  std::optional<JobInfo> running;
  std::vector<JobInfo> finished;         // the most recent last (at most 16)
  pipeline::Progress progress;           // of the running stage
  int stage_index = 0, stage_count = 0;  // e.g. stage 1 of 2 (geometry, texture)
  std::vector<float> loss_curve;         // ring buffer contents of the running job, oldest first
  // Models: one line per role, and what is missing for each kind of run.
  std::vector<std::string> model_lines;
  std::string generate_missing;  // empty when Generate with diffusion models can run
  std::string edit_missing;      // empty when Edit with InstructPix2Pix can run
};

class Runtime {
 public:
  explicit Runtime(RuntimeParams params);
  ~Runtime();  // cancels what runs, drops the queue, joins the worker
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Commands: queued for the worker, answered with a job id at once.
  std::uint64_t generate(GenerateRequest request);
  std::uint64_t edit(EditRequest request);
  std::uint64_t undo();
  std::uint64_t redo();
  std::uint64_t go_to(int index);
  std::uint64_t load_models(pipeline::ModelSelection models);
  std::uint64_t export_face(ExportRequest request);
  std::uint64_t new_document();
  std::uint64_t open(std::filesystem::path project_dir);
  std::uint64_t save(std::optional<std::filesystem::path> project_dir = std::nullopt);
  // Cancels the running job (within one step) and every queued one. Not queued itself.
  void cancel();

  // The latest snapshot; never blocks on the worker.
  std::shared_ptr<const Snapshot> snapshot() const;
  // True from the moment a command is sent until its job ended and the snapshot shows it.
  bool busy() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceg2e::runtime
