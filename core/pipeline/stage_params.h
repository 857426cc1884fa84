#pragma once
// Parameters of the generation stages, with their defaults and where each comes from.
// "Reference" = the FaceG2E code (JiejiangWu/FaceG2E: main.py, demo_*.sh, util/parse_opt.py).
#include "core/pipeline/optimizer.h"
#include "core/pipeline/timestep_schedule.h"
#include "core/raster/camera.h"

namespace faceg2e::pipeline {

struct GeometryParams {
  int steps = 200;                       // reference demo: 201 steps
  int render_size = 224;                 // reference: 224 px render, upsampled to 512 for the VAE
  OptimizerParams optimizer{};           // reference: Adan lr 0.05, eps 1e-8, wd 2e-5, clip 5
  TimestepScheduleParams timesteps{};    // reference: uniform in [20, 980]
  // Render modes, picked 50/50 per step: normal map or grey SH-shaded (reference demo:
  // --sds_input "norm grey-rendered").
  bool use_normal_maps = true;
  bool use_grey_shading = true;
  double light_strength = 0.6;           // SH preset DC strength (reference random_gamma)
  // View ranges (degrees; distance relative to the framing distance of FaceScene). Reference
  // parse_opt: rotation about y +-45, about x +-20, camera moved 0..3 of 10 units closer.
  raster::ViewSamplingParams views{-45.0, 45.0, -20.0, 20.0, 0.7, 1.0};
  // Plausibility prior: weight * mean(a^2). Off by default: targets reach |a| of 3-5.
  double prior_weight = 0.0;
  double background = 0.0;               // reference: black background (white diverges, measured)
  int views_per_step = 1;                // reference: batch 1
  // Silhouette antialiasing (raster/antialias.h) so the outline gets a gradient. Reference: off
  // (its nvdiffrast renders are not antialiased); on for the analytic target.
  bool antialias = false;
  // Fraction of the steps antialiased when `antialias` is on (the rest use plain coverage).
  double antialias_until = 1.0;
  // With `antialias` and the analytic target: weight of the outline band's pixels that lie
  // outside the common coverage. Measured (AA, 400 steps; bench/RESULTS.md): 1 -> far target
  // 0.16-0.20 cm, 0.25 -> 0.11-0.13 cm, and better on the others too.
  double outline_weight = 0.25;
  // Return the mean of the iterates over this last fraction of the steps (Polyak averaging)
  // instead of the last iterate: with random views, lights and timesteps each step's gradient
  // is noisy, and the last iterate jitters by about the learning rate. Reference: 0 (last).
  double average_last = 0.0;
  // Coarse-to-fine over the identity modes: only the first `modes_start` modes move at first,
  // and the number of free modes grows linearly to all of them by `modes_full_at` (a fraction
  // of the steps). 0 = all modes from the start (reference).
  int modes_start = 0;
  double modes_full_at = 0.5;
};

// Reference texture optimizer: AdamW lr 0.05, betas (0.9, 0.99), eps 1e-15, StepLR(100, 0.9).
inline OptimizerParams texture_optimizer_defaults() {
  OptimizerParams p;
  p.kind = OptimizerKind::AdamW;
  p.lr = 0.05;
  p.weight_decay = 0.01;  // torch AdamW default, which the reference keeps
  p.decay_every = 100;
  p.decay_gamma = 0.9;
  return p;
}

struct TextureParams {
  int steps = 400;                       // reference demo: 401 steps
  int render_size = 512;                 // RGB phase render size (reference: 512 control image)
  int latent_render_size = 64;           // latent phase: straight into the 64x64 latent view
  int atlas_size = 512;                  // optimised texture: 512^2 UV map <-> 4x64x64 latent
  // Fraction of the steps run in latent space when a VAE is present (reference demo: 200 of 400).
  double latent_fraction = 0.5;
  OptimizerParams optimizer = texture_optimizer_defaults();  // reference: AdamW lr 0.05
  TimestepScheduleParams timesteps{TimestepScheduleKind::Linear, 20, 980};  // reference: linear
  double light_strength = 0.6;
  // Wider than the geometry's so every visible texel of the face is seen from several views
  // (the reference uses fixed choices up to 120 deg; we sample continuously).
  raster::ViewSamplingParams views{-90.0, 90.0, -30.0, 30.0, 0.7, 1.0};
  int control_size = 512;                // ControlNet condition size (reference 512x512)
  double uv_prior_weight = 1.0;          // reference w_texSD default; used when a prior is loaded
  bool uv_prior_yuv = false;             // reference --employ_yuv
  double background = 0.0;
  // Size of the albedo atlas the stage starts from when the face state has none yet (the
  // default albedo); the result keeps it. 1024: the export default.
  int default_albedo_size = 1024;
};

// Defaults tuned for `--guidance target` (recovering a known face), where the objective is a
// weighted L2 pull rather than a noisy score: measured on the pixel-space prototype, Adam
// reaches 0.04-0.06 cm vertex RMSE at step 200 where Adan (lr 0.05) stalls at 0.10-0.14 cm,
// too close to the 0.2 cm acceptance line. So target mode uses Adam with a decaying lr.
GeometryParams target_geometry_defaults();
TextureParams target_texture_defaults();

}  // namespace faceg2e::pipeline
