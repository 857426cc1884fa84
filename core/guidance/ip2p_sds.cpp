#include "core/guidance/ip2p_sds.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/sds.h"
#include "core/diffusion/text_encoder.h"
#include "core/diffusion/vae.h"
#include "core/util/error.h"

namespace faceg2e::guidance {

namespace F = torch::nn::functional;

Ip2pSdsGuidance::Ip2pSdsGuidance(Ip2pSdsParams params, diffusion::UNet2DConditionModel unet,
                                 std::shared_ptr<LatentCodec> codec, double vae_scaling_factor,
                                 torch::Tensor text_embeddings)
    : params_(std::move(params)),
      schedule_(params_.schedule),
      unet_(std::move(unet)),
      codec_(std::move(codec)),
      vae_scaling_factor_(vae_scaling_factor),
      text_embeddings_(std::move(text_embeddings)) {
  FACEG2E_CHECK(codec_ != nullptr, "IP2P SDS needs a VAE");
  FACEG2E_CHECK(vae_scaling_factor_ > 0, "IP2P SDS: VAE scaling factor must be positive");
  FACEG2E_CHECK(
      text_embeddings_.defined() && text_embeddings_.dim() == 3 && text_embeddings_.size(0) == 3,
      "IP2P SDS: text embeddings must be [3, 77, C] = [instruction, uncond, uncond]");
  if ((*unet_)->config().in_channels != 8)
    throw Error("IP2P SDS: the UNet has " + std::to_string((*unet_)->config().in_channels) +
                " input channels; an InstructPix2Pix UNet has 8 (4 noisy latent + 4 image latent)");
  if (params_.attention_sds && params_.token_indices.empty())
    throw Error("IP2P SDS: attention-masked SDS needs the edited words (token indices)");
  for (int i : params_.token_indices)
    FACEG2E_CHECK(i > 0 && i < text_embeddings_.size(1), "IP2P SDS: token index out of range");
}

void Ip2pSdsGuidance::release() {
  unet_.reset();
  cache_.clear();
  if (codec_) codec_->release();
}

torch::Tensor Ip2pSdsGuidance::condition_latent(const GuidanceStep& step, const torch::Tensor& z) {
  torch::NoGradGuard no_grad;
  torch::Tensor latent;
  if (!step.condition_key.empty()) {
    auto it = cache_.find(step.condition_key);
    if (it != cache_.end()) latent = it->second;
  }
  if (!latent.defined()) {
    if (!step.render_condition)
      throw Error(
          "IP2P SDS needs the pre-edit face's render of the step (GuidanceStep::render_condition)");
    const torch::Tensor rgb = step.render_condition();
    FACEG2E_CHECK(rgb.defined() && rgb.dim() == 4 && rgb.size(1) == 3,
                  "IP2P SDS: the condition render must be RGB [B, 3, H, W]");
    // Posterior mean without the scaling factor (diffusers prepare_image_latents: mode()).
    latent = (codec_->encode(
                  resize_for_codec(rgb.to(z.device(), z.scalar_type()), codec_->image_size())) /
              vae_scaling_factor_)
                 .detach();
    ++conditions_encoded_;
    if (!step.condition_key.empty()) {
      if (static_cast<int>(cache_.size()) >= params_.condition_cache_capacity) cache_.clear();
      cache_[step.condition_key] = latent;
    }
  }
  FACEG2E_CHECK(
      latent.size(2) == z.size(2) && latent.size(3) == z.size(3) && latent.size(1) == z.size(1),
      "IP2P SDS: the condition's latent and the input's latent differ in shape");
  if (latent.size(0) != z.size(0)) {
    FACEG2E_CHECK(latent.size(0) == 1, "IP2P SDS: condition batch must be 1 or the input's");
    latent = latent.expand({z.size(0), -1, -1, -1});
  }
  return latent;
}

torch::Tensor Ip2pSdsGuidance::edited_attention(const diffusion::AttentionCapture& capture,
                                                int64_t batch) {
  last_layers_.clear();
  FACEG2E_CHECK(!capture.layers.empty(), "IP2P SDS: the UNet recorded no cross-attention");
  // The layers of the requested side, else of the side nearest to it (log scale).
  int64_t side = -1;
  double best = std::numeric_limits<double>::infinity();
  for (const auto& l : capture.layers) {
    const double d =
        std::abs(std::log(static_cast<double>(l.height) / params_.attention_resolution));
    if (l.height == l.width && d < best - 1e-9) {
      best = d;
      side = l.height;
    }
  }
  FACEG2E_CHECK(side > 0, "IP2P SDS: no square attention layer");
  const torch::Tensor idx = torch::tensor(
      std::vector<int64_t>(params_.token_indices.begin(), params_.token_indices.end()),
      torch::kLong);
  torch::Tensor sum;
  int count = 0;
  for (const auto& l : capture.layers) {
    if (l.height != side || l.width != side) continue;
    last_layers_.push_back(l);
    // [3B, hw, keys] -> the edited tokens, averaged: [3B, hw]
    const torch::Tensor m = l.probs.index_select(2, idx.to(l.probs.device())).mean(2);
    sum = sum.defined() ? sum + m : m;
    ++count;
  }
  // Averaged over layers, then over the three guidance rows of each sample (reference
  // aggregate_attention: every stored map of the step, heads and batch rows alike).
  const torch::Tensor mean = sum / static_cast<double>(count);
  return mean.reshape({3, batch, 1, side, side}).mean(0);
}

GuidanceResult Ip2pSdsGuidance::compute(const torch::Tensor& input, bool input_is_latent,
                                        const GuidanceStep& step) {
  FACEG2E_CHECK(unet_.has_value(), "IP2P SDS: models already released");
  const torch::Tensor z =
      input_is_latent ? input : codec_->encode(resize_for_codec(input, codec_->image_size()));
  const int64_t B = z.size(0);
  const torch::Tensor image_latents = condition_latent(step, z);
  const bool want_attention = has_attention();

  const SdsTerms terms = sds_add_noise(schedule_, z, step);
  torch::Tensor eps_hat, attention, pixel_weight;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor& z_t = terms.z_t;
    const torch::Tensor model_input = diffusion::ip2p_model_input(z_t, image_latents);
    const torch::Tensor emb = text_embeddings_.to(z.device(), z.scalar_type());
    const torch::Tensor emb3 = torch::cat({emb[0].unsqueeze(0).expand({B, -1, -1}),
                                           emb[1].unsqueeze(0).expand({B, -1, -1}),
                                           emb[2].unsqueeze(0).expand({B, -1, -1})});
    const torch::Tensor tt =
        torch::full({3 * B}, static_cast<int64_t>(step.t),
                    torch::TensorOptions().dtype(torch::kLong).device(z.device()));
    diffusion::AttentionCapture capture;
    diffusion::ForwardContext ctx;
    if (want_attention) ctx.capture = &capture;
    const torch::Tensor out = (*unet_)->forward(model_input, tt, emb3, {}, {}, &ctx);
    const double ab = schedule_.alpha_cumprod(step.t);
    const torch::Tensor eps =
        model_output_to_eps(out, torch::cat({z_t, z_t, z_t}), ab, params_.schedule.prediction_type);
    eps_hat = diffusion::guided_eps_ip2p(eps, params_.text_scale, params_.image_scale);
    if (want_attention) {
      attention = edited_attention(capture, B);
      if (params_.attention_sds) {
        // Reference: the min-max normalised map, bilinearly upsampled to the latent.
        const torch::Tensor up =
            F::interpolate(attention, F::InterpolateFuncOptions()
                                          .size(std::vector<int64_t>{z.size(2), z.size(3)})
                                          .mode(torch::kBilinear)
                                          .align_corners(false));
        const auto lo = std::get<0>(up.flatten(1).min(1)).reshape({B, 1, 1, 1});
        const auto hi = std::get<0>(up.flatten(1).max(1)).reshape({B, 1, 1, 1});
        pixel_weight = (up - lo) / (hi - lo).clamp_min(1e-12);
      }
    }
  }
  // w(t) (eps_hat - noise), NaN-guarded, batch-mean surrogate: the shared SDS path.
  GuidanceResult r = sds_result(schedule_, z, terms, eps_hat, step.t, pixel_weight);
  r.attention = attention;
  return r;
}

std::vector<int> edit_token_indices(const diffusion::ClipTokenizer& tokenizer,
                                    const std::string& instruction,
                                    const std::vector<std::string>& words,
                                    std::optional<int> token_index) {
  std::vector<int> out;
  for (const auto& w : words) {
    const std::vector<int> idx = tokenizer.token_indices_for_word(instruction, w);
    if (idx.empty())
      throw Error(
          "edit word '" + w + "' is not in the instruction '" + instruction +
          "' (or was truncated away); name a word of the instruction, or pass --token-index");
    for (int i : idx)
      if (std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  }
  if (token_index) {
    const auto ids = tokenizer.encode_padded(instruction);
    int end = 1;
    while (end < static_cast<int>(ids.size()) && ids[end] != tokenizer.eos_id()) ++end;
    if (*token_index < 1 || *token_index >= end)
      throw Error("--token-index " + std::to_string(*token_index) +
                  " is outside the instruction's tokens 1.." + std::to_string(end - 1));
    if (std::find(out.begin(), out.end(), *token_index) == out.end()) out.push_back(*token_index);
  }
  return out;
}

LoadedIp2p load_ip2p_sds(const Ip2pLoadOptions& o) {
  const diffusion::ModelInfo info = diffusion::inspect_model(o.checkpoint);
  if (info.in_channels != 0 && info.in_channels != 8)
    throw Error("--ip2p " + o.checkpoint.string() + ": the UNet has " +
                std::to_string(info.in_channels) +
                " input channels; an InstructPix2Pix checkpoint has 8");
  Ip2pSdsParams params = o.params;
  if (!info.scheduler_config.empty()) {
    params.schedule = diffusion::SchedulerConfig::from_file(info.scheduler_config);
  } else if (!info.prediction_type.empty()) {
    params.schedule.prediction_type = info.prediction_type;
  }
  SdLoadOptions so;
  so.checkpoint = o.checkpoint;
  so.tokenizer_dir = o.tokenizer_dir;
  so.clip_vocab = o.clip_vocab;
  auto tokenizer = find_tokenizer(info, so);
  LoadedIp2p out;
  out.token_indices = edit_token_indices(*tokenizer, o.instruction, o.words, o.token_index);
  params.token_indices = out.token_indices;

  diffusion::ClipTextModel text_model = diffusion::load_clip_text_model(
      diffusion::load_component(o.checkpoint, diffusion::Component::TextEncoder), torch::kFloat,
      o.device);
  const diffusion::TextConditioning mode =
      (info.format == diffusion::CheckpointFormat::LdmSingleFile &&
       info.text_encoder == diffusion::TextEncoderFlavour::OpenClip)
          ? diffusion::TextConditioning::PenultimateFinalLn
          : diffusion::TextConditioning::LastHidden;
  diffusion::TextConditioner text(tokenizer, text_model, mode);
  const torch::Tensor instr = text.encode(o.instruction);
  const torch::Tensor uncond = text.encode(o.negative_prompt);
  text.release_encoder();
  for (auto& c : out.prompts.cond) c = instr;
  out.prompts.uncond = uncond;

  auto unet = diffusion::make_unet(
      diffusion::load_component(o.checkpoint, diffusion::Component::UNet), o.device);
  diffusion::AutoencoderKL vae = diffusion::make_vae(
      diffusion::load_component(o.checkpoint, diffusion::Component::VAE), o.device);
  const double scaling = vae->scaling_factor();
  out.codec = std::make_shared<VaeCodec>(vae, params.vae_image_size);
  out.guidance = std::make_shared<Ip2pSdsGuidance>(params, unet, out.codec, scaling,
                                                   torch::cat({instr, uncond, uncond}));
  return out;
}

}  // namespace faceg2e::guidance
