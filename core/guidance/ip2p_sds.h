#pragma once
// InstructPix2Pix SDS (FaceG2E models/instructp2p.py, train_step): the 8-channel IP2P UNet sees
// the noisy latent of the current render next to the latent of the PRE-edit face rendered with
// the same view, light and render mode, and three-way guidance
//   eps_hat = eps_u + s_T (eps_text - eps_img) + s_I (eps_img - eps_u)
// (batch [instruction + image, uncond + image, uncond + no image]) gives the SDS gradient
// w(t) (eps_hat - eps). The cross-attention of the edited words (attn2 of the 16x16 layers by
// default) comes back with the result: the edit stage turns it into its self-guided weights W,
// and the attention-masked SDS (reference --attention_sds) multiplies the gradient by it.
//
// Everything SDS goes through the fixture-checked functions of core/diffusion (add_noise,
// ip2p_model_input, guided_eps_ip2p, sds_weight, sds_gradient, sds_surrogate_loss).
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/diffusion/attention.h"
#include "core/diffusion/scheduler.h"
#include "core/diffusion/tokenizer.h"
#include "core/diffusion/unet.h"
#include "core/guidance/guidance.h"
#include "core/guidance/text_sds.h"

namespace faceg2e::guidance {

struct Ip2pSdsParams {
  double text_scale = 15.0;             // s_T, FaceG2E demo_editing.sh edit_prompt_cfg=15
  double image_scale = 2.0;             // s_I, FaceG2E demo_editing.sh edit_img_cfg=2
  diffusion::SchedulerConfig schedule;  // filled from the checkpoint by load_ip2p_sds
  int vae_image_size = 512;  // renders are resized to this before encoding (reference: 512)
  // Side of the attention layers whose maps are returned (reference attention_mask(..., 16, ...):
  // 16x16 for a 64x64 latent). When the UNet has no layer of this side (small test latents),
  // the layers of the nearest side are used.
  int attention_resolution = 16;
  // Positions in the padded instruction (BOS = 0) whose attention is returned, averaged.
  // Empty: no attention is captured (faster: the attention then uses the fused path).
  std::vector<int> token_indices;
  // Multiply the SDS gradient by the min-max normalised attention, upsampled to the latent
  // (reference --attention_sds, demo_editing.sh: on). Needs token_indices.
  bool attention_sds = false;
  // Number of (view, light, mode) condition latents kept; the stage draws from a small set.
  int condition_cache_capacity = 256;
};

class Ip2pSdsGuidance final : public Guidance {
 public:
  // text_embeddings: [3, 77, C] = [instruction, uncond, uncond] (the IP2P batch order).
  // vae_scaling_factor: the image condition is the VAE posterior mean WITHOUT the scaling
  // factor (as the diffusers IP2P pipeline and the reference do), the optimised latent with it.
  Ip2pSdsGuidance(Ip2pSdsParams params, diffusion::UNet2DConditionModel unet,
                  std::shared_ptr<LatentCodec> codec, double vae_scaling_factor,
                  torch::Tensor text_embeddings);
  std::string name() const override { return "ip2p"; }
  GuidanceResult compute(const torch::Tensor& input, bool input_is_latent,
                         const GuidanceStep& step) override;
  bool works_in_latent_space() const override { return true; }
  bool needs_condition() const override { return true; }
  bool has_attention() const override { return !params_.token_indices.empty(); }
  void release() override;

  const Ip2pSdsParams& params() const { return params_; }
  // The attention layers (names, sizes, probabilities) of the last compute() that made up the
  // returned attention map.
  const std::vector<diffusion::AttentionCapture::Layer>& last_attention_layers() const {
    return last_layers_;
  }
  // Condition latents encoded so far (cache misses), for tests and benchmarks.
  int conditions_encoded() const { return conditions_encoded_; }
  void clear_condition_cache() { cache_.clear(); }

 private:
  torch::Tensor condition_latent(const GuidanceStep& step, const torch::Tensor& z);
  torch::Tensor edited_attention(const diffusion::AttentionCapture& capture, int64_t batch);

  Ip2pSdsParams params_;
  diffusion::NoiseSchedule schedule_;
  std::optional<diffusion::UNet2DConditionModel> unet_;
  std::shared_ptr<LatentCodec> codec_;
  double vae_scaling_factor_;
  torch::Tensor text_embeddings_;
  std::map<std::string, torch::Tensor> cache_;
  int conditions_encoded_ = 0;
  std::vector<diffusion::AttentionCapture::Layer> last_layers_;
};

// Which tokens' attention an edit follows: the token positions of each word in the padded
// instruction (a word split into several tokens gives all of them; their maps are averaged),
// or the explicit index (reference --indices_to_alter). Throws faceg2e::Error naming a word
// that the instruction does not contain, or an index outside the instruction's tokens.
std::vector<int> edit_token_indices(const diffusion::ClipTokenizer& tokenizer,
                                    const std::string& instruction,
                                    const std::vector<std::string>& words,
                                    std::optional<int> token_index);

struct Ip2pLoadOptions {
  std::filesystem::path checkpoint;  // IP2P single file or diffusers folder
  std::optional<std::filesystem::path> tokenizer_dir;
  std::optional<std::filesystem::path> clip_vocab;
  std::string instruction;
  std::string negative_prompt;     // reference: '' (empty)
  std::vector<std::string> words;  // edited words (token indices from the tokenizer)
  std::optional<int> token_index;  // or an explicit token index
  torch::Device device = torch::kCPU;
  Ip2pSdsParams params;
};

struct LoadedIp2p {
  std::shared_ptr<Ip2pSdsGuidance> guidance;
  std::shared_ptr<VaeCodec> codec;
  // The instruction's embeddings in the text-SDS layout (every view = the instruction), so an
  // SD 1.x UV texture prior can share them (load_uv_prior).
  PromptEmbeddings prompts;
  std::vector<int> token_indices;
};

// Loads the UNet (must have 8 input channels), VAE, text encoder and tokenizer (found as
// load_text_sds finds it) and encodes the instruction.
LoadedIp2p load_ip2p_sds(const Ip2pLoadOptions& options);

}  // namespace faceg2e::guidance
