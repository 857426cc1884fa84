#pragma once
// The two generation stages of FaceG2E as steppable stages (core/pipeline/stage.h): geometry
// (identity coefficients by SDS on untextured renders) and texture (albedo atlas, as a VAE
// latent or RGB texels, by SDS on textured renders with ControlNet depth and an optional
// UV-space prior). Each is built from a face state, already-loaded models and its params, and
// keeps all of its optimisation state (parameters, optimizer, RNG) between steps.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/guidance/guidance.h"
#include "core/guidance/latent_codec.h"
#include "core/pipeline/face_scene.h"
#include "core/pipeline/optimizer.h"
#include "core/pipeline/stage.h"
#include "core/pipeline/stage_params.h"
#include "core/pipeline/timestep_schedule.h"
#include "core/raster/camera.h"

namespace faceg2e::pipeline {

// A known face for the analytic target: its identity coefficients and albedo atlas.
struct TargetFace {
  torch::Tensor identity;  // [K] float32
  torch::Tensor albedo;    // [3, H, W] float32 in [0, 1], atlas layout of core/face/uv_atlas.h
};

// Mean of the reported loss over the last 10% of a stage's steps, accumulated on the device
// (no read-back until value()).
class TailLoss {
 public:
  explicit TailLoss(int steps) : steps_(steps), keep_(std::max(1, steps / 10)) {}
  void add(int step_index, const torch::Tensor& report);
  double value() const;

 private:
  int steps_, keep_;
  int count_ = 0;
  torch::Tensor sum_;
};

// The parts of a stage every kind shares: step counting, timing, the loss tail and reports.
class StageBase : public Stage {
 public:
  int total_steps() const override { return total_; }
  int steps_done() const override { return done_; }
  double final_loss() override { return tail_.value(); }
  double seconds() const override { return seconds_; }

 protected:
  explicit StageBase(int total) : total_(total), tail_(total) {}
  // Records a finished step: its report tensor and timestep; reads the loss when asked.
  StepReport finish_step(const torch::Tensor& report, int t, bool read_loss, double step_seconds);
  int total_ = 0, done_ = 0;
  double seconds_ = 0;
  double last_loss_ = 0;
  int last_t_ = 0;
  TailLoss tail_;
};

class GeometryStage final : public StageBase {
 public:
  // target: required by guidance whose needs_target() is true.
  GeometryStage(const GeometryParams& params, std::shared_ptr<const FaceScene> scene,
                std::shared_ptr<guidance::Guidance> guidance, const session::FaceState& init,
                std::optional<TargetFace> target, std::uint64_t seed);
  std::string name() const override { return "geometry"; }
  StepReport step(bool read_loss) override;
  FaceSnapshot snapshot(int albedo_size = 0) override;
  Image8 preview(int size) override;
  session::FaceState finish() override;

 private:
  torch::Tensor current_identity() const;  // the iterate, or the running average when averaging
  GeometryParams params_;
  std::shared_ptr<const FaceScene> scene_;
  std::shared_ptr<guidance::Guidance> guidance_;
  session::FaceState init_;
  torch::Tensor a_, expression_, target_verts_, presets_, a_sum_;
  int a_count_ = 0, average_from_ = 0;
  std::unique_ptr<StepOptimizer> optimizer_;
  TimestepSchedule schedule_;
  StageRng rng_;
  raster::ViewSampler views_;
};

class TextureStage final : public StageBase {
 public:
  // codec: the VAE when the guidance works in latent space (the texture is then a latent), null
  // for RGB texels. uv_prior: optional UV-space SDS term on the texture itself. The initial
  // albedo is init.albedo, or the default albedo at params.albedo_size when it is empty; the
  // result keeps its size. A latent in init of the matching size is the starting point as is
  // (no re-encoding: chained stages keep full precision).
  TextureStage(const TextureParams& params, std::shared_ptr<const FaceScene> scene,
               std::shared_ptr<guidance::Guidance> guidance,
               std::shared_ptr<guidance::LatentCodec> codec,
               std::shared_ptr<guidance::Guidance> uv_prior, const session::FaceState& init,
               std::optional<TargetFace> target, std::uint64_t seed);
  std::string name() const override { return "texture"; }
  StepReport step(bool read_loss) override;
  FaceSnapshot snapshot(int albedo_size = 0) override;
  Image8 preview(int size) override;
  session::FaceState finish() override;

 private:
  torch::Tensor rgb_atlas(const torch::Tensor& p);  // [1, 3, H, W] in [0, 1]
  TextureParams params_;
  std::shared_ptr<const FaceScene> scene_;
  std::shared_ptr<guidance::Guidance> guidance_;
  std::shared_ptr<guidance::LatentCodec> codec_;
  std::shared_ptr<guidance::Guidance> uv_prior_;
  session::FaceState init_;
  std::optional<TargetFace> target_;
  torch::Tensor verts_, normals_, target_verts_, target_albedo_, target_latent_, base_, param_,
      presets_;
  int64_t out_h_ = 0, out_w_ = 0;
  int latent_steps_ = 0;
  std::unique_ptr<StepOptimizer> optimizer_;
  TimestepSchedule schedule_;
  StageRng rng_;
  raster::ViewSampler views_;
};

guidance::ViewPrompt view_prompt(double azimuth_deg);

// [B, 3, H, W] RGB in [0, 1] -> full-range BT.601 YUV with U, V offset by 0.5 (all in [0, 1]),
// for UV priors trained on YUV maps (TextureParams::uv_prior_yuv). Differentiable.
torch::Tensor rgb_to_yuv(const torch::Tensor& rgb);

}  // namespace faceg2e::pipeline
