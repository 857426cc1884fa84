#pragma once
// The two generation stages of FaceG2E: geometry (identity coefficients by SDS on untextured
// renders) and texture (albedo atlas, as a VAE latent or RGB texels, by SDS on textured renders
// with ControlNet depth and an optional UV-space prior).
#include <torch/types.h>

#include <cstdint>
#include <string>

#include "core/guidance/guidance.h"
#include "core/guidance/latent_codec.h"
#include "core/pipeline/face_scene.h"
#include "core/pipeline/run_control.h"
#include "core/pipeline/stage_params.h"

namespace faceg2e::pipeline {

// A known face for the analytic target: its identity coefficients and albedo atlas.
struct TargetFace {
  torch::Tensor identity;  // [K] float32
  torch::Tensor albedo;    // [3, H, W] float32 in [0, 1], atlas layout of core/face/uv_atlas.h
};

struct StageResult {
  torch::Tensor identity;  // geometry: [K] float32 CPU
  torch::Tensor albedo;    // texture: [3, H, W] float32 CPU in [0, 1]
  double final_loss = 0;   // guidance report averaged over the last 10% of the steps
  double seconds = 0;
  int steps = 0;
};

StageResult run_geometry_stage(const GeometryParams& params, const FaceScene& scene,
                               guidance::Guidance& guidance, const torch::Tensor& init_identity,
                               const TargetFace* target, std::uint64_t seed,
                               const RunControl& control);

// identity: the frozen geometry. init_albedo: [3, H, W] in [0, 1]; the result has its size.
// codec: the VAE when the guidance works in latent space (the texture is then a latent), null
// for RGB texels. uv_prior: optional UV-space SDS term on the texture itself.
StageResult run_texture_stage(const TextureParams& params, const FaceScene& scene,
                              guidance::Guidance& guidance, guidance::LatentCodec* codec,
                              guidance::Guidance* uv_prior, const torch::Tensor& identity,
                              const torch::Tensor& init_albedo, const TargetFace* target,
                              std::uint64_t seed, const RunControl& control);

// [1, C, H, W] or [C, H, W] float in [0, 1] (C = 1 or 3) -> 8-bit image.
Image8 to_image8(const torch::Tensor& image);
// 8-bit image -> [C, H, W] float32 in [0, 1].
torch::Tensor from_image8(const Image8& image);

guidance::ViewPrompt view_prompt(double azimuth_deg);

// [B, 3, H, W] RGB in [0, 1] -> full-range BT.601 YUV with U, V offset by 0.5 (all in [0, 1]),
// for UV priors trained on YUV maps (TextureParams::uv_prior_yuv). Differentiable.
torch::Tensor rgb_to_yuv(const torch::Tensor& rgb);

}  // namespace faceg2e::pipeline
