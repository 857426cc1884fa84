#pragma once
// `generate`: text (or a known target face) -> face shape -> face texture, headless. Loads the
// face model and the models each stage needs (one stage's models on the device at a time), runs
// the stages and writes the project folder at the very end: a cancelled or failed run leaves the
// output project untouched.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/pipeline/models_config.h"
#include "core/pipeline/run_control.h"
#include "core/pipeline/stage_params.h"

namespace faceg2e::pipeline {

enum class GuidanceMode {
  kStableDiffusion,  // text SDS: SD 2.x for geometry, SD 1.x + ControlNet depth for texture
  kTarget,           // analytic target: recover the face of a target project
};

struct GenerateParams {
  std::filesystem::path out;               // project folder to write
  std::string prompt;                      // required for kStableDiffusion
  std::string negative_prompt;             // reference: '' (empty)
  bool run_geometry = true;
  bool run_texture = true;
  GeometryParams geometry;
  TextureParams texture;
  std::uint64_t seed = 0;
  std::string device = "cpu";              // "cpu" | "cuda" | "cuda:N"
  GuidanceMode guidance = GuidanceMode::kStableDiffusion;
  std::filesystem::path target_project;    // kTarget: a project made by `faceg2e-cli new`
  std::optional<std::filesystem::path> face_model;
  ModelSelection models;                   // kStableDiffusion: where the models are
  int albedo_size = 1024;                  // saved atlas size when no input albedo says otherwise
  double cfg_scale_geometry = 100;         // FaceG2E: guidance scale 100
  double cfg_scale_texture = 100;          // FaceG2E main.py texture stage: guidance_scale=100
  // Renders are resized to this before the VAE encodes them (FaceG2E: 512, the size SD was
  // trained at). Smaller values are for quick previews and tests: the latent is size / 8.
  int vae_image_size = 512;
  double cfg_scale_uv_prior = 100;         // UV texture prior: as the texture stage
};

struct GenerateReport {
  nlohmann::json generation;  // what went into project.json's "generation"
  double seconds = 0;
};

// Throws faceg2e::Cancelled when control.cancel is set (before anything is written) and
// faceg2e::Error on failure.
GenerateReport run_generate(const GenerateParams& params, const RunControl& control);

}  // namespace faceg2e::pipeline
