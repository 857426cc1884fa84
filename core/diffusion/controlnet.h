#pragma once
// ControlNetModel (diffusers 0.27) from config.json: hint encoder (controlnet_cond_embedding),
// a copy of the UNet encoder, zero convs. Its outputs are the UNet's additional residuals.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <vector>

#include "core/diffusion/nn_blocks.h"
#include "core/diffusion/state_dict.h"
#include "core/diffusion/unet.h"

namespace faceg2e::diffusion {

struct ControlNetOutput {
  std::vector<torch::Tensor> down_residuals;  // UNet skip order, scaled by conditioning_scale
  torch::Tensor mid_residual;
};

// Hint encoder: conv_in -> SiLU -> (conv, SiLU, strided conv, SiLU) per stage -> conv_out.
class ControlNetConditioningEmbeddingImpl : public torch::nn::Module {
 public:
  ControlNetConditioningEmbeddingImpl(std::int64_t embedding_channels,
                                      const std::vector<std::int64_t>& block_out_channels,
                                      std::int64_t conditioning_channels);
  torch::Tensor forward(const torch::Tensor& cond);
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList blocks{nullptr};

 private:
  std::vector<torch::nn::Conv2d> blocks_;
};
TORCH_MODULE(ControlNetConditioningEmbedding);

class ControlNetModelImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit ControlNetModelImpl(const UNetConfig& config);

  // sample/timesteps/encoder_hidden_states as for the UNet; controlnet_cond [B, C, 8H, 8W]
  // (RGB in [0,1] for the depth/canny models; no normalisation is applied here).
  ControlNetOutput forward(const torch::Tensor& sample, const torch::Tensor& timesteps,
                           const torch::Tensor& encoder_hidden_states,
                           const torch::Tensor& controlnet_cond, double conditioning_scale = 1.0,
                           const ForwardContext* ctx = nullptr);

  const UNetConfig& config() const { return config_; }

  torch::nn::Conv2d conv_in{nullptr};
  TimestepEmbedding time_embedding{nullptr};
  ControlNetConditioningEmbedding controlnet_cond_embedding{nullptr};
  torch::nn::ModuleList down_blocks{nullptr}, controlnet_down_blocks{nullptr};
  UNetMidBlockCrossAttn mid_block{nullptr};
  torch::nn::Conv2d controlnet_mid_block{nullptr};

 private:
  UNetConfig config_;
  std::vector<UNetDownBlock> down_;
  std::vector<torch::nn::Conv2d> zero_convs_;
};
TORCH_MODULE(ControlNetModel);

// Builds from weights (moved to device/dtype first, then loaded), eval mode.
ControlNetModel make_controlnet(const ComponentWeights& weights, torch::Device device = torch::kCPU,
                                torch::ScalarType dtype = torch::kFloat);

}  // namespace faceg2e::diffusion
