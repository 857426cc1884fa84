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

#include "core/diffusion/controlnet.h"
#include "core/diffusion/unet.h"
#include "core/diffusion/vae.h"
#include "core/guidance/guidance.h"
#include "core/guidance/latent_codec.h"
#include "core/guidance/noise_schedule.h"

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

struct TextSdsParams {
  double guidance_scale = 100;       // FaceG2E: 100
  double controlnet_scale = 1.0;     // diffusers default conditioning_scale
  NoiseScheduleParams schedule;
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
  NoiseSchedule schedule_;
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
  std::string prompt;
  std::string negative_prompt;
  torch::Device device = torch::kCPU;
  TextSdsParams params;
};

struct LoadedSd {
  std::shared_ptr<TextSdsGuidance> guidance;
  std::shared_ptr<VaeCodec> codec;
};

LoadedSd load_text_sds(const SdLoadOptions& options);

}  // namespace faceg2e::guidance
