#include "core/guidance/text_sds.h"

#include <torch/torch.h>

#include <cmath>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/sds.h"
#include "core/diffusion/text_encoder.h"
#include "core/diffusion/tokenizer.h"
#include "core/util/error.h"

namespace faceg2e::guidance {

namespace fs = std::filesystem;

VaeCodec::VaeCodec(diffusion::AutoencoderKL vae, int image_size)
    : vae_(std::move(vae)), image_size_(image_size) {
  // Gradients flow through the VAE to the render, never into its weights.
  for (auto& p : vae_->parameters()) p.requires_grad_(false);
}

torch::Tensor VaeCodec::encode(const torch::Tensor& rgb01) {
  FACEG2E_CHECK(!vae_.is_empty(), "VAE already released");
  return vae_->encode(rgb01 * 2.0 - 1.0).mean * vae_->scaling_factor();
}

torch::Tensor VaeCodec::decode(const torch::Tensor& latent) {
  FACEG2E_CHECK(!vae_.is_empty(), "VAE already released");
  return (vae_->decode(latent / vae_->scaling_factor()) + 1.0) * 0.5;
}

void VaeCodec::release() { vae_ = diffusion::AutoencoderKL(nullptr); }

TextSdsGuidance::TextSdsGuidance(TextSdsParams params, diffusion::UNet2DConditionModel unet,
                                 std::optional<diffusion::ControlNetModel> controlnet,
                                 std::shared_ptr<LatentCodec> codec, PromptEmbeddings prompts)
    : params_(params),
      schedule_(params.schedule),
      unet_(std::move(unet)),
      controlnet_(std::move(controlnet)),
      codec_(std::move(codec)),
      prompts_(std::move(prompts)) {
  for (auto& c : prompts_.cond) FACEG2E_CHECK(c.defined(), "text SDS needs all prompt embeddings");
  FACEG2E_CHECK(prompts_.uncond.defined(), "text SDS needs the unconditional embedding");
}

void TextSdsGuidance::release() {
  unet_.reset();
  controlnet_.reset();
  if (codec_) codec_->release();
}

torch::Tensor model_output_to_eps(const torch::Tensor& output, const torch::Tensor& z_t,
                                 double alpha_bar, const std::string& prediction_type) {
  const double a = std::sqrt(alpha_bar), s = std::sqrt(1 - alpha_bar);
  if (prediction_type == "epsilon") return output;
  // v = a eps - s x0 and z_t = a x0 + s eps  =>  eps = a v + s z_t
  if (prediction_type == "v_prediction") return a * output + s * z_t;
  // x0 prediction: eps = (z_t - a x0) / s
  if (prediction_type == "sample") return (z_t - a * output) / s;
  throw Error("unsupported prediction_type '" + prediction_type + "'");
}

GuidanceResult TextSdsGuidance::compute(const torch::Tensor& input, bool input_is_latent,
                                        const GuidanceStep& step) {
  FACEG2E_CHECK(unet_.has_value(), "text SDS: models already released");
  torch::Tensor z;
  if (input_is_latent) {
    z = input;
  } else {
    if (!codec_) throw Error("text SDS: an RGB input needs a VAE");
    z = codec_->encode(resize_for_codec(input, codec_->image_size()));
  }
  const double ab = schedule_.alpha_cumprod(step.t);
  const SdsTerms terms = sds_add_noise(schedule_, z, step);
  torch::Tensor eps_hat;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor& z_t = terms.z_t;
    const int64_t B = z.size(0);
    torch::Tensor cond = prompts_.cond[static_cast<int>(step.view)].to(z.device());
    torch::Tensor uncond = prompts_.uncond.to(z.device());
    torch::Tensor emb = torch::cat({cond.expand({B, -1, -1}), uncond.expand({B, -1, -1})});
    torch::Tensor batch = torch::cat({z_t, z_t});
    torch::Tensor tt = torch::full({2 * B}, static_cast<int64_t>(step.t),
                                   torch::TensorOptions().dtype(torch::kLong).device(z.device()));
    std::vector<torch::Tensor> down;
    torch::Tensor mid;
    if (controlnet_) {
      FACEG2E_CHECK(step.control.defined(), "ControlNet SDS needs the view's depth condition");
      torch::Tensor c = step.control.to(z.device(), z.scalar_type());
      const int64_t hint = z.size(2) * 8;
      c = resize_for_codec(c, static_cast<int>(hint));
      diffusion::ControlNetOutput o = (*controlnet_)->forward(
          batch, tt, emb, torch::cat({c, c}), params_.controlnet_scale);
      down = o.down_residuals;
      mid = o.mid_residual;
    }
    torch::Tensor eps = model_output_to_eps((*unet_)->forward(batch, tt, emb, down, mid), batch, ab,
                                            params_.schedule.prediction_type);
    auto [eps_text, eps_uncond] = diffusion::split_cfg_batch(eps, diffusion::CfgBatchOrder::TextFirst);
    eps_hat = diffusion::guided_eps_sds(eps_text, eps_uncond, params_.guidance_scale);
  }
  return sds_result(schedule_, z, terms, eps_hat, step.t);
}

std::shared_ptr<diffusion::ClipTokenizer> find_tokenizer(const diffusion::ModelInfo& info,
                                                         const SdLoadOptions& o) {
  std::vector<fs::path> tried;
  auto try_dir = [&](const fs::path& d) -> std::shared_ptr<diffusion::ClipTokenizer> {
    if (d.empty()) return nullptr;
    tried.push_back(d);
    if (fs::exists(d / "vocab.json") && fs::exists(d / "merges.txt"))
      return diffusion::ClipTokenizer::from_folder(d);
    return nullptr;
  };
  const fs::path base = fs::is_directory(o.checkpoint) ? o.checkpoint : o.checkpoint.parent_path();
  const bool sd2 = info.text_encoder == diffusion::TextEncoderFlavour::OpenClip;
  for (const fs::path& d :
       {info.tokenizer_dir, base / "tokenizer", base.parent_path() / (sd2 ? "tokenizer_sd2" : "tokenizer"),
        base.parent_path() / "tokenizer", o.tokenizer_dir.value_or(fs::path())}) {
    if (auto t = try_dir(d)) return t;
  }
  if (o.clip_vocab && !o.clip_vocab->empty()) {
    tried.push_back(*o.clip_vocab);
    if (fs::exists(*o.clip_vocab))
      return diffusion::ClipTokenizer::from_bpe_gz(
          *o.clip_vocab, sd2 ? diffusion::TokenizerConfig::sd2() : diffusion::TokenizerConfig{});
  }
  std::string msg = "no CLIP tokenizer (vocab.json + merges.txt, or OpenAI's bpe_simple_vocab_16e6.txt.gz) for " +
                    o.checkpoint.string() + "; looked in:";
  for (auto& t : tried) msg += " " + t.string();
  throw NotFoundError(msg + ". Put a tokenizer/ folder beside the checkpoint, or pass --clip-vocab "
                            "(scripts/fetch-clip-vocab.sh installs OpenAI's file where it is found by default).");
}

LoadedSd load_text_sds(const SdLoadOptions& o) {
  const diffusion::ModelInfo info = diffusion::inspect_model(o.checkpoint);
  TextSdsParams params = o.params;
  if (!info.scheduler_config.empty()) {
    params.schedule = diffusion::SchedulerConfig::from_file(info.scheduler_config);
  } else if (!info.prediction_type.empty()) {
    params.schedule.prediction_type = info.prediction_type;
  }
  auto tokenizer = find_tokenizer(info, o);
  diffusion::ClipTextModel text_model =
      diffusion::load_clip_text_model(diffusion::load_component(o.checkpoint, diffusion::Component::TextEncoder),
                                      torch::kFloat, o.device);
  const diffusion::TextConditioning mode =
      (info.format == diffusion::CheckpointFormat::LdmSingleFile &&
       info.text_encoder == diffusion::TextEncoderFlavour::OpenClip)
          ? diffusion::TextConditioning::PenultimateFinalLn
          : diffusion::TextConditioning::LastHidden;
  diffusion::TextConditioner text(tokenizer, text_model, mode);
  PromptEmbeddings prompts;
  prompts.cond[0] = text.encode(o.prompt);
  prompts.cond[1] = text.encode(o.prompt + ", front view");
  prompts.cond[2] = text.encode(o.prompt + ", side view");
  prompts.cond[3] = text.encode(o.prompt + ", back view");
  prompts.uncond = text.encode(o.negative_prompt);
  text.release_encoder();  // only the UNet, ControlNet and VAE stay on the device

  auto unet = diffusion::make_unet(diffusion::load_component(o.checkpoint, diffusion::Component::UNet),
                                   o.device);
  auto codec = std::make_shared<VaeCodec>(
      diffusion::make_vae(diffusion::load_component(o.checkpoint, diffusion::Component::VAE), o.device),
      params.vae_image_size);
  std::optional<diffusion::ControlNetModel> controlnet;
  if (o.controlnet)
    controlnet = diffusion::make_controlnet(
        diffusion::load_component(*o.controlnet, diffusion::Component::ControlNet), o.device);
  LoadedSd out;
  out.codec = codec;
  out.prompts = prompts;
  out.guidance = std::make_shared<TextSdsGuidance>(params, unet, controlnet, codec, prompts);
  return out;
}

std::shared_ptr<TextSdsGuidance> load_uv_prior(const fs::path& unet_path, const LoadedSd& texture_model,
                                               const TextSdsParams& params, torch::Device device) {
  FACEG2E_CHECK(texture_model.codec != nullptr, "UV prior: the texture model has no VAE");
  const diffusion::ModelInfo info = diffusion::inspect_model(unet_path);
  TextSdsParams p = params;
  if (!info.scheduler_config.empty()) {
    p.schedule = diffusion::SchedulerConfig::from_file(info.scheduler_config);
  } else if (!info.prediction_type.empty()) {
    p.schedule.prediction_type = info.prediction_type;
  }
  auto unet = diffusion::make_unet(diffusion::load_component(unet_path, diffusion::Component::UNet), device);
  const int64_t ctx = texture_model.prompts.uncond.size(-1);
  if (unet->config().cross_attention_dim != ctx)
    throw Error("UV prior " + unet_path.string() + ": cross-attention width " +
                std::to_string(unet->config().cross_attention_dim) + " does not match the texture model's text encoder (" +
                std::to_string(ctx) + "); the prior must be SD 1.x-compatible");
  if (unet->config().in_channels != 4)
    throw Error("UV prior " + unet_path.string() + ": expected a 4-channel UNet, got " +
                std::to_string(unet->config().in_channels));
  return std::make_shared<TextSdsGuidance>(p, unet, std::nullopt, texture_model.codec,
                                           texture_model.prompts);
}

}  // namespace faceg2e::guidance
