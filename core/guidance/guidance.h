#pragma once
// One interface for every SDS objective: given the current render (or latent render) of a step,
// return a scalar loss whose gradient with respect to the render is the SDS gradient averaged
// over the batch,
//   d loss / d z = w(t) (eps_hat - eps) / batch,
// where z is the VAE latent of the render (or the render itself in pixel space). The objectives:
// text SDS with CFG (text_sds.h), ControlNet-depth SDS (same class, with a ControlNet),
// the UV texture prior (TextSdsGuidance on the UV map, text_sds.h) and the analytic target
// (analytic_target.h).
#include <torch/types.h>

#include <functional>
#include <optional>
#include <string>

#include "core/diffusion/scheduler.h"

namespace faceg2e::guidance {

// Which prompt a view uses: FaceG2E appends ", front view" / ", side view" / ", back view" by
// azimuth (util/prompt_util.py); kDefault is the bare prompt.
enum class ViewPrompt { kDefault = 0, kFront = 1, kSide = 2, kBack = 3 };

// The analytic target's render of a step: the image and, optionally, its coverage.
struct TargetRender {
  TargetRender() = default;
  TargetRender(torch::Tensor image_, torch::Tensor mask_ = {})  // NOLINT: implicit on purpose
      : image(std::move(image_)), mask(std::move(mask_)) {}
  torch::Tensor image;
  torch::Tensor mask;  // [B, 1, H, W] in [0, 1], or undefined
};

// What the stage knows about the step besides the render.
struct GuidanceStep {
  int t = 500;                               // diffusion timestep
  ViewPrompt view = ViewPrompt::kDefault;
  // ControlNet condition: [B, 3, H, W] in [0, 1] (normalised depth repeated to RGB). Optional.
  torch::Tensor control;
  // The analytic target's render with the same camera, light and render mode as the input, in the
  // same format (RGB [B,3,H,W] in [0,1], or a latent [B,4,h,w]). Only called by objectives whose
  // needs_target() is true.
  std::function<TargetRender()> render_target;
  // Coverage of the input render ([B, 1, H, W], pixel-space inputs only). Optional; with the
  // target's coverage it lets the analytic target ignore pixels that are background in either
  // render (their gradient says nothing useful about the shape: the rasterizer gives silhouettes
  // no gradient, so such pixels only push the shading of the covered side).
  torch::Tensor input_mask;
  // Weights in [0, 1] of pixels counted even outside the common coverage ([B, 1, H, W],
  // optional): the outline band of an antialiased render, whose pixels carry the silhouette's
  // gradient. A pixel's weight is the larger of this and its common coverage (0 or 1).
  torch::Tensor outline_mask;
  // Noise source (CPU generator: the same seed gives the same noise on every device).
  torch::Generator* generator = nullptr;
  // The noise itself, shaped like the latent, instead of drawing it (tests compare the
  // objective against reference fixtures this way). Optional.
  torch::Tensor noise;
};

struct GuidanceResult {
  torch::Tensor loss;    // scalar, differentiable w.r.t. the input
  // A number to show the user (mean squared SDS residual), as a detached 0-d tensor on the
  // input's device: reading it back waits for the device, so stages read it every few steps.
  torch::Tensor report;
};

class Guidance {
 public:
  virtual ~Guidance() = default;
  virtual std::string name() const = 0;
  // input: RGB [B, 3, H, W] in [0, 1] when input_is_latent is false; else a latent
  // [B, 4, h, w] already in the UNet's scaled latent space.
  virtual GuidanceResult compute(const torch::Tensor& input, bool input_is_latent,
                                 const GuidanceStep& step) = 0;
  virtual bool needs_target() const { return false; }
  // True when the objective uses GuidanceStep::control (ControlNet depth).
  virtual bool wants_control() const { return false; }
  // True when RGB inputs are encoded by a VAE (so a latent phase is possible).
  virtual bool works_in_latent_space() const = 0;
  // Frees device memory (models) once the stage is over.
  virtual void release() {}
};

// The SDS step every objective shares, through the fixture-checked functions of
// core/diffusion (sds.h, scheduler.h): z_t = add_noise(z, noise, t), then the objective's noise
// prediction eps_hat(z_t), then grad = sds_weight(ab_t) (eps_hat - noise), and the surrogate
// loss of diffusion::sds_surrogate_loss on grad / batch (the batch mean). `weight_override`
// replaces w(t) when set (the analytic target's unweighted mode).
struct SdsTerms {
  torch::Tensor z_t;    // noisy latent (detached)
  torch::Tensor noise;  // the noise added
};
SdsTerms sds_add_noise(const diffusion::NoiseSchedule& schedule, const torch::Tensor& z,
                       const GuidanceStep& step);
GuidanceResult sds_result(const diffusion::NoiseSchedule& schedule, const torch::Tensor& z,
                          const SdsTerms& terms, const torch::Tensor& eps_hat, int t,
                          const torch::Tensor& pixel_weight = {},
                          std::optional<double> weight_override = std::nullopt);

// Standard normal noise shaped like `like`, drawn on the CPU from `generator` (or the default
// generator when null) and moved to like's device: seeded runs are reproducible across devices.
torch::Tensor seeded_noise_like(const torch::Tensor& like, torch::Generator* generator);

}  // namespace faceg2e::guidance
