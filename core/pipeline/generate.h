#pragma once
// Generation: text (or a known target face) -> face shape -> face texture, as a sequence of
// steppable stages. GenerateRun loads each stage's models when that stage starts (one stage's
// models on the device at a time) and hands the stage to whoever drives it: run_generate() for
// the CLI and tests, the runtime's worker for the GUI. Nothing here reads flags or writes files:
// the caller saves the resulting face state (core/session).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/face/face_assets.h"
#include "core/pipeline/models_config.h"
#include "core/pipeline/run_control.h"
#include "core/pipeline/stage.h"
#include "core/pipeline/stage_params.h"
#include "core/session/face_state.h"

namespace faceg2e::pipeline {

enum class GuidanceMode {
  kStableDiffusion,  // text SDS: SD 2.x for geometry, SD 1.x + ControlNet depth for texture
  kTarget,           // analytic target: recover a known face
};

struct GenerateParams {
  std::string prompt;                      // required for kStableDiffusion
  std::string negative_prompt;             // reference: '' (empty)
  bool run_geometry = true;
  bool run_texture = true;
  GeometryParams geometry;
  TextureParams texture;
  std::uint64_t seed = 0;
  std::string device = "cpu";              // "cpu" | "cuda" | "cuda:N"
  GuidanceMode guidance = GuidanceMode::kStableDiffusion;
  std::optional<session::FaceState> target;  // kTarget: the face to recover
  ModelSelection models;                   // kStableDiffusion: where the models are
  double cfg_scale_geometry = 100;         // FaceG2E: guidance scale 100
  double cfg_scale_texture = 100;          // FaceG2E main.py texture stage: guidance_scale=100
  double cfg_scale_uv_prior = 100;         // UV texture prior: as the texture stage
  // Renders are resized to this before the VAE encodes them (FaceG2E: 512, the size SD was
  // trained at). Smaller values are for quick previews and tests: the latent is size / 8.
  int vae_image_size = 512;
};

// Parses "cpu", "cuda", "cuda:N"; throws faceg2e::Error for others or when CUDA is unavailable.
// (Declared torch-free: returns the canonical name.)
std::string check_device(const std::string& name);

class GenerateRun {
 public:
  // Checks the parameters and resolves the model roles (nothing is loaded yet). Throws
  // faceg2e::Error (MissingModelError for a role nobody filled) before any work starts.
  GenerateRun(GenerateParams params, std::shared_ptr<const face::FaceAssets> assets);
  ~GenerateRun();
  GenerateRun(const GenerateRun&) = delete;
  GenerateRun& operator=(const GenerateRun&) = delete;

  // The next stage, built from the current state with its models loaded (the previous stage's
  // models are released first), or nullptr when every selected stage has run. Call
  // finish_stage() on each stage before asking for the next.
  std::unique_ptr<Stage> next_stage();
  // Takes a finished stage's result as the current state and records its loss and time.
  void finish_stage(Stage& stage);

  const session::FaceState& state() const;
  // The generation record: prompt, seed, guidance, stages with their settings, models, timings
  // and final losses.
  nlohmann::json record() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct GenerateResult {
  session::FaceState state;
  nlohmann::json record;
  double seconds = 0;
};

// Runs every stage through run_stage. Throws faceg2e::Cancelled when control.cancel is set and
// faceg2e::Error on failure; nothing is written either way.
GenerateResult run_generate(GenerateParams params, std::shared_ptr<const face::FaceAssets> assets,
                            const RunControl& control);

}  // namespace faceg2e::pipeline
