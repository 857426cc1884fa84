#include "core/guidance/analytic_target.h"

#include <torch/torch.h>

#include <cmath>

#include "core/util/error.h"

namespace faceg2e::guidance {

AnalyticTargetGuidance::AnalyticTargetGuidance(AnalyticTargetParams params,
                                               std::shared_ptr<LatentCodec> codec)
    : params_(params), schedule_(params.schedule), codec_(std::move(codec)) {}

void AnalyticTargetGuidance::release() {
  if (codec_) codec_->release();
}

torch::Tensor AnalyticTargetGuidance::to_z(const torch::Tensor& input, bool input_is_latent) {
  if (input_is_latent) return input;
  FACEG2E_CHECK(input.dim() == 4 && input.size(1) == 3, "target guidance expects RGB [B,3,H,W]");
  if (!codec_) return input * 2.0 - 1.0;
  return codec_->encode(resize_for_codec(input, codec_->image_size()));
}

GuidanceResult AnalyticTargetGuidance::compute(const torch::Tensor& input, bool input_is_latent,
                                               const GuidanceStep& step) {
  FACEG2E_CHECK(step.render_target, "analytic target guidance needs the target's render");
  if (input_is_latent && !codec_)
    throw Error("analytic target: a latent input needs a VAE (pixel-space target got a latent)");
  torch::Tensor z = to_z(input, input_is_latent);
  torch::Tensor z_target, common;
  {
    torch::NoGradGuard no_grad;
    TargetRender tr = step.render_target();
    z_target = to_z(tr.image, input_is_latent).detach();
    if (params_.mask_to_common_coverage && !input_is_latent && !codec_ && tr.mask.defined() &&
        step.input_mask.defined())
    {
      torch::Tensor keep = (tr.mask.to(z.dtype()) > 0.5).logical_and(step.input_mask.to(z.dtype()) > 0.5);
      common = keep.to(z.dtype());
      if (step.outline_mask.defined())
        common = torch::maximum(common, step.outline_mask.to(z.dtype()).clamp(0.0, 1.0));
    }
  }
  FACEG2E_CHECK(z_target.sizes() == z.sizes(), "target render and current render differ in shape");
  const double ab = schedule_.alpha_cumprod(step.t);
  const SdsTerms terms = sds_add_noise(schedule_, z, step);
  torch::Tensor eps_star;
  {
    torch::NoGradGuard no_grad;
    // The exact noise prediction of the one-image denoiser.
    eps_star = (terms.z_t - std::sqrt(ab) * z_target) / std::sqrt(1 - ab);
  }
  GuidanceResult r = sds_result(schedule_, z, terms, eps_star, step.t, common,
                                params_.weight_by_schedule ? std::nullopt : std::optional<double>(1.0));
  {
    torch::NoGradGuard no_grad;
    r.report = (z.detach() - z_target).pow(2).mean();
  }
  return r;
}

}  // namespace faceg2e::guidance
