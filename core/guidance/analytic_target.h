#pragma once
// The analytic target: the exact noise prediction of a denoiser whose data is one image, the
// target face rendered with the same camera, light and render mode as the current step:
//   eps*(z_t, t) = (z_t - sqrt(ab_t) z_target) / sqrt(1 - ab_t)
// so the SDS gradient w(t) (eps* - eps) = w(t) sqrt(ab_t / (1 - ab_t)) (z - z_target) pulls the
// current render toward the target's. It works in the VAE latent space when a codec is given,
// and in pixel space (z = 2 x - 1) otherwise. Used by tests and `generate --guidance target` to
// check that the stages recover a known face.
#include <memory>

#include "core/guidance/guidance.h"
#include "core/guidance/latent_codec.h"
#include "core/diffusion/scheduler.h"

namespace faceg2e::guidance {

struct AnalyticTargetParams {
  diffusion::SchedulerConfig schedule;  // SD 1.5 / 2.1-base training schedule by default
  bool weight_by_schedule = true;  // w(t) = 1 - ab_t as in SDS; false: w = 1
  // Restrict the pixel-space gradient to pixels covered in both renders when the stage provides
  // both coverages (GuidanceStep::input_mask, TargetRender::mask).
  bool mask_to_common_coverage = true;
};

class AnalyticTargetGuidance final : public Guidance {
 public:
  // codec may be null: pixel space.
  AnalyticTargetGuidance(AnalyticTargetParams params, std::shared_ptr<LatentCodec> codec);
  std::string name() const override { return codec_ ? "target (latent)" : "target (pixel)"; }
  GuidanceResult compute(const torch::Tensor& input, bool input_is_latent,
                         const GuidanceStep& step) override;
  bool needs_target() const override { return true; }
  bool works_in_latent_space() const override { return codec_ != nullptr; }
  void release() override;

 private:
  torch::Tensor to_z(const torch::Tensor& input, bool input_is_latent);
  AnalyticTargetParams params_;
  diffusion::NoiseSchedule schedule_;
  std::shared_ptr<LatentCodec> codec_;
};

}  // namespace faceg2e::guidance
