#pragma once
// UNet2DConditionModel (SD 1.x / 2.x, 8-channel InstructPix2Pix, UV texture prior) built from
// a diffusers config.json. Parameters carry diffusers names. Forward returns eps (or v) and is
// differentiable with respect to the sample and the text embeddings.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/diffusion/nn_blocks.h"
#include "core/diffusion/state_dict.h"

namespace faceg2e::diffusion {

// The subset of the diffusers UNet/ControlNet config that SD-family checkpoints use. from_json
// rejects options we do not implement (class embeddings, added conditioning, ...) by name.
struct UNetConfig {
  std::int64_t in_channels = 4;
  std::int64_t out_channels = 4;
  std::vector<std::string> down_block_types;
  std::vector<std::string> up_block_types;
  std::string mid_block_type = "UNetMidBlock2DCrossAttn";
  std::vector<std::int64_t> block_out_channels;
  std::vector<std::int64_t> layers_per_block;         // per down block
  std::vector<std::int64_t> num_attention_heads;      // per down block (resolved from the
                                                      // attention_head_dim naming quirk)
  std::vector<std::int64_t> transformer_layers_per_block;  // per down block
  std::int64_t cross_attention_dim = 768;
  std::int64_t norm_num_groups = 32;
  double norm_eps = 1e-5;
  bool use_linear_projection = false;
  bool upcast_attention = false;
  bool flip_sin_to_cos = true;
  double freq_shift = 0.0;
  std::int64_t downsample_padding = 1;
  double mid_block_scale_factor = 1.0;
  bool center_input_sample = false;
  // ControlNet only
  std::vector<std::int64_t> conditioning_embedding_out_channels;
  std::int64_t conditioning_channels = 3;
  bool conditioning_bgr = false;
  bool global_pool_conditions = false;

  // `what` names the source in error messages.
  static UNetConfig from_json(const nlohmann::json& config, const std::string& what);
  std::int64_t time_embed_dim() const { return block_out_channels.at(0) * 4; }
};

// Built-in full-size configs (for benchmarks and tests; real checkpoints bring their own).
nlohmann::json sd15_unet_config();        // SD 1.5: 320..1280, 8 heads, cross-attn 768
nlohmann::json sd21_base_unet_config();   // SD 2.1-base: head width 64, linear proj, 1024
nlohmann::json ip2p_unet_config();        // SD 1.5 with in_channels 8
nlohmann::json sd15_controlnet_config();  // ControlNet for SD 1.5

class UNet2DConditionModelImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit UNet2DConditionModelImpl(const UNetConfig& config);

  // sample [B, in, H, W]; timesteps scalar or [B]; encoder_hidden_states [B, 77, cross_dim].
  // down_residuals / mid_residual: optional ControlNet outputs (UNet skip order), added to the
  // skip connections and to the mid-block output. ctx: attention params and opt-in recorders.
  torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timesteps,
                        const torch::Tensor& encoder_hidden_states,
                        const std::vector<torch::Tensor>& down_residuals = {},
                        const torch::Tensor& mid_residual = {},
                        const ForwardContext* ctx = nullptr);

  const UNetConfig& config() const { return config_; }
  // Number of skip tensors (= ControlNet down residuals) the UNet expects.
  std::int64_t num_skip_connections() const;

  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  TimestepEmbedding time_embedding{nullptr};
  torch::nn::ModuleList down_blocks{nullptr}, up_blocks{nullptr};
  UNetMidBlockCrossAttn mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};

 private:
  UNetConfig config_;
  std::vector<UNetDownBlock> down_;
  std::vector<UNetUpBlock> up_;
};
TORCH_MODULE(UNet2DConditionModel);

// Builds the block options of down block i (shared with the ControlNet).
BlockOptions unet_down_block_options(const UNetConfig& c, size_t i);
BlockOptions unet_mid_block_options(const UNetConfig& c);

// Builds the model from weights (config + diffusers-named tensors), moves it to device/dtype
// and puts it in eval mode. Throws faceg2e::Error naming `weights.origin` on any mismatch.
UNet2DConditionModel make_unet(const ComponentWeights& weights,
                               torch::Device device = torch::kCPU,
                               torch::ScalarType dtype = torch::kFloat);

}  // namespace faceg2e::diffusion
