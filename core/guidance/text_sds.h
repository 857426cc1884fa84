#pragma once
// Text SDS with classifier-free guidance (FaceG2E models/sd.py; threestudio form
// eps_hat = eps_text + s (eps_text - eps_uncond), batch [text, uncond]), optionally through a
// depth ControlNet (models/controlnet.py) that sees the current view's depth map. The same class
// serves the UV-space texture prior (an SD-compatible UNet applied to the UV map itself).
#include <torch/types.h>

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/controlnet.h"
#include "core/diffusion/tokenizer.h"
#include "core/diffusion/scheduler.h"
#include "core/diffusion/tokenizer.h"
#include "core/diffusion/unet.h"
#include "core/diffusion/vae.h"
#include "core/guidance/guidance.h"
#include "core/guidance/latent_codec.h"

namespace faceg2e::guidance {

// The diffusion VAE as a LatentCodec (posterior mean times the scaling factor).
class VaeCodec final : public LatentCodec {
 public:
  VaeCodec(diffusion::AutoencoderKL vae, int image_size);
  torch::Tensor encode(const torch::Tensor& rgb01) override;
  torch::Tensor decode(const torch::Tensor& latent) override;
  int image_size() const override { return image_size_; }
  void release() override;

 private:
  diffusion::AutoencoderKL vae_;
  int image_size_;
};

// A UNet output as a noise prediction, given z_t and alpha_bar(t): epsilon passes through,
// v_prediction (SD 2.x 768-v) gives sqrt(ab) v + sqrt(1-ab) z_t, sample gives
// (z_t - sqrt(ab) x0) / sqrt(1-ab).
torch::Tensor model_output_to_eps(const torch::Tensor& output, const torch::Tensor& z_t,
                                  double alpha_bar, const std::string& prediction_type);

struct TextSdsParams {
  double guidance_scale = 100;       // FaceG2E: 100
  double controlnet_scale = 1.0;     // diffusers default conditioning_scale
  // The model's training schedule and prediction type. load_text_sds fills it from the
  // checkpoint's scheduler/scheduler_config.json (or what inspect_model detected); epsilon,
  // v_prediction and sample outputs are all turned into a noise prediction for SDS.
  diffusion::SchedulerConfig schedule;
  int vae_image_size = 512;          // FaceG2E: renders upsampled to 512 before encoding
};

// Prompt embeddings, [1, 77, C] each: bare prompt and the three view suffixes, and the
// unconditional (negative) prompt.
struct PromptEmbeddings {
  std::array<torch::Tensor, 4> cond;  // indexed by ViewPrompt
  torch::Tensor uncond;
};

class TextSdsGuidance final : public Guidance {
 public:
  // controlnet may be null; codec may be null only when every input is a latent (UV prior).
  TextSdsGuidance(TextSdsParams params, diffusion::UNet2DConditionModel unet,
                  std::optional<diffusion::ControlNetModel> controlnet,
                  std::shared_ptr<LatentCodec> codec, PromptEmbeddings prompts);
  std::string name() const override { return controlnet_ ? "sd+controlnet-depth" : "sd"; }
  GuidanceResult compute(const torch::Tensor& input, bool input_is_latent,
                         const GuidanceStep& step) override;
  bool wants_control() const override { return controlnet_.has_value(); }
  bool works_in_latent_space() const override { return codec_ != nullptr; }
  void release() override;

 private:
  TextSdsParams params_;
  diffusion::NoiseSchedule schedule_;
  std::optional<diffusion::UNet2DConditionModel> unet_;
  std::optional<diffusion::ControlNetModel> controlnet_;
  std::shared_ptr<LatentCodec> codec_;
  PromptEmbeddings prompts_;
};

// Everything a text SDS objective needs, loaded from one checkpoint (single file or diffusers
// folder) plus an optional ControlNet. The CLIP tokenizer comes from the model's tokenizer/
// folder, else the one beside it (../tokenizer/), else `tokenizer_dir`.
struct SdLoadOptions {
  std::filesystem::path checkpoint;
  std::optional<std::filesystem::path> controlnet;
  std::optional<std::filesystem::path> tokenizer_dir;
  // OpenAI's bpe_simple_vocab_16e6.txt.gz, the last resort for single-file checkpoints.
  std::optional<std::filesystem::path> clip_vocab;
  std::string prompt;
  std::string negative_prompt;
  torch::Device device = torch::kCPU;
  TextSdsParams params;
};

// The CLIP tokenizer load_text_sds uses for o.checkpoint (inspected as `info`): a tokenizer
// folder beside or inside the model, else o.clip_vocab. Throws NotFoundError naming every place.
// Public so the prompt can be checked against it before a run starts.
std::shared_ptr<diffusion::ClipTokenizer> find_tokenizer(const diffusion::ModelInfo& info,
                                                         const SdLoadOptions& o);

struct LoadedSd {
  std::shared_ptr<TextSdsGuidance> guidance;
  std::shared_ptr<VaeCodec> codec;
  PromptEmbeddings prompts;  // kept so a second UNet (the UV prior) can reuse them
};

LoadedSd load_text_sds(const SdLoadOptions& options);

// The CLIP tokenizer of a checkpoint, in the order above (shared with the IP2P loader).
// NotFoundError listing every place looked at.
std::shared_ptr<diffusion::ClipTokenizer> find_tokenizer(const diffusion::ModelInfo& info,
                                                         const SdLoadOptions& options);

// The UV-space texture prior: an SD-compatible UNet (diffusers folder or single file) that
// shares the texture model's text embeddings and VAE, so only its UNet is loaded.
std::shared_ptr<TextSdsGuidance> load_uv_prior(const std::filesystem::path& unet,
                                               const LoadedSd& texture_model,
                                               const TextSdsParams& params,
                                               torch::Device device);

}  // namespace faceg2e::guidance
