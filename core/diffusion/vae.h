#pragma once
// AutoencoderKL (diffusers 0.27) from config.json. The scaling factor is exposed, never applied
// inside encode/decode (callers multiply latents by it, as the diffusers pipelines do).
// Everything is differentiable: SDS pushes gradients through the encoder, texture
// optimisation through the decoder.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/diffusion/nn_blocks.h"
#include "core/diffusion/state_dict.h"

namespace faceg2e::diffusion {

struct VaeConfig {
  std::int64_t in_channels = 3;
  std::int64_t out_channels = 3;
  std::int64_t latent_channels = 4;
  std::vector<std::int64_t> block_out_channels;
  std::int64_t layers_per_block = 1;
  std::int64_t norm_num_groups = 32;
  bool mid_block_add_attention = true;
  bool use_quant_conv = true;
  bool use_post_quant_conv = true;
  double scaling_factor = 0.18215;  // SD 1.x / 2.x
  static VaeConfig from_json(const nlohmann::json& config, const std::string& what);
};

nlohmann::json sd_vae_config();  // full SD VAE: 128,256,512,512, layers_per_block 2

// Diagonal Gaussian posterior of the encoder.
struct LatentDistribution {
  torch::Tensor mean;
  torch::Tensor logvar;  // clamped to [-30, 20]
  torch::Tensor std() const;
  torch::Tensor var() const;
  torch::Tensor mode() const { return mean; }
  // mean + std * noise (the reparameterised sample). noise: same shape as mean.
  torch::Tensor sample(const torch::Tensor& noise) const;
  // With noise drawn from `generator` (or the default generator when none).
  torch::Tensor sample(c10::optional<at::Generator> generator = c10::nullopt) const;
};

// UNetMidBlock2D of the VAE: resnet, (attention, resnet) x 1.
class VaeMidBlockImpl : public torch::nn::Module, public PathNamed {
 public:
  VaeMidBlockImpl(std::int64_t channels, std::int64_t groups, bool add_attention);
  torch::Tensor forward(const torch::Tensor& x, const ForwardContext& ctx);
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr};

 private:
  std::vector<ResnetBlock2D> resnets_;
  std::vector<Attention> attentions_;
};
TORCH_MODULE(VaeMidBlock);

// DownEncoderBlock2D / UpDecoderBlock2D
class VaeBlockImpl : public torch::nn::Module, public PathNamed {
 public:
  VaeBlockImpl(bool up, std::int64_t in_channels, std::int64_t out_channels,
               std::int64_t num_layers, bool add_sample, std::int64_t groups);
  torch::Tensor forward(const torch::Tensor& x, const ForwardContext& ctx);
  torch::nn::ModuleList resnets{nullptr}, samplers{nullptr};

 private:
  std::vector<ResnetBlock2D> resnets_;
  Downsample2D down_{nullptr};
  Upsample2D up_{nullptr};
};
TORCH_MODULE(VaeBlock);

class VaeEncoderImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit VaeEncoderImpl(const VaeConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const ForwardContext& ctx);
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList down_blocks{nullptr};
  VaeMidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};

 private:
  std::vector<VaeBlock> blocks_;
};
TORCH_MODULE(VaeEncoder);

class VaeDecoderImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit VaeDecoderImpl(const VaeConfig& c);
  torch::Tensor forward(const torch::Tensor& z, const ForwardContext& ctx);
  torch::nn::Conv2d conv_in{nullptr}, conv_out{nullptr};
  torch::nn::ModuleList up_blocks{nullptr};
  VaeMidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};

 private:
  std::vector<VaeBlock> blocks_;
};
TORCH_MODULE(VaeDecoder);

class AutoencoderKLImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit AutoencoderKLImpl(const VaeConfig& config);
  // image [B, 3, H, W] in [-1, 1] -> [B, 2*latent, H/8, W/8] = cat(mean, logvar) (unclamped).
  torch::Tensor moments(const torch::Tensor& image, const ForwardContext* ctx = nullptr);
  LatentDistribution encode(const torch::Tensor& image, const ForwardContext* ctx = nullptr);
  // latents as is (no 1/scaling_factor) -> image
  torch::Tensor decode(const torch::Tensor& latents, const ForwardContext* ctx = nullptr);
  double scaling_factor() const { return config_.scaling_factor; }
  const VaeConfig& config() const { return config_; }

  VaeEncoder encoder{nullptr};
  VaeDecoder decoder{nullptr};
  torch::nn::Conv2d quant_conv{nullptr}, post_quant_conv{nullptr};

 private:
  VaeConfig config_;
};
TORCH_MODULE(AutoencoderKL);

AutoencoderKL make_vae(const ComponentWeights& weights, torch::Device device = torch::kCPU,
                       torch::ScalarType dtype = torch::kFloat);

}  // namespace faceg2e::diffusion
