#pragma once
// Building blocks shared by the UNet, ControlNet and VAE, mirroring diffusers 0.27 module by
// module. Every submodule is registered under its diffusers name, so that named_parameters()
// keys equal diffusers state-dict keys (load_into is a name-for-name copy).
#include <torch/nn.h>
#include <torch/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/diffusion/attention.h"

namespace faceg2e::diffusion {

// Per-call options and opt-in recorders. Both recorders cost one null check when off.
struct ForwardContext {
  AttentionParams attention;
  // Module path (diffusers naming, e.g. "down_blocks.0.attentions.0.proj_in") -> that module's
  // output, as a PyTorch forward hook would see it. Tensors are stored, not copied.
  std::map<std::string, torch::Tensor>* activations = nullptr;
  // Cross-attention (attn2) probabilities averaged over heads, per layer.
  AttentionCapture* capture = nullptr;
};

// Modules of ours know their path inside the root model (set by assign_module_paths), so they
// can name what they record.
class PathNamed {
 public:
  virtual ~PathNamed() = default;
  const std::string& path() const { return path_; }
  void set_path(std::string p) { path_ = std::move(p); }
  std::string child_path(const std::string& child) const {
    return path_.empty() ? child : path_ + "." + child;
  }

 protected:
  // Stores `t` under this module's path (child empty) or a child's path, if recording.
  void record(const ForwardContext& ctx, const char* child, const torch::Tensor& t) const {
    if (ctx.activations) (*ctx.activations)[child ? child_path(child) : path_] = t;
  }

 private:
  std::string path_;
};

// Walks the module tree and gives every PathNamed module its dotted path (root = "").
void assign_module_paths(torch::nn::Module& root);

// diffusers get_timestep_embedding: sinusoidal features of (float) timesteps, [B] -> [B, dim].
torch::Tensor timestep_sinusoidal(const torch::Tensor& timesteps, std::int64_t dim,
                                  bool flip_sin_to_cos, double downscale_freq_shift,
                                  double scale = 1.0, double max_period = 10000.0);

// Timesteps given as a scalar or [B] (any integer/float type) -> float32 [batch] on `device`.
torch::Tensor broadcast_timesteps(const torch::Tensor& timesteps, std::int64_t batch,
                                  torch::Device device);

// linear_1 -> SiLU -> linear_2
class TimestepEmbeddingImpl : public torch::nn::Module {
 public:
  TimestepEmbeddingImpl(std::int64_t in_channels, std::int64_t time_embed_dim);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear linear_1{nullptr}, linear_2{nullptr};
};
TORCH_MODULE(TimestepEmbedding);

// ResnetBlock2D (time_embedding_norm "default"). temb_channels 0 = no time embedding (VAE).
class ResnetBlock2DImpl : public torch::nn::Module, public PathNamed {
 public:
  ResnetBlock2DImpl(std::int64_t in_channels, std::int64_t out_channels,
                    std::int64_t temb_channels, std::int64_t groups, double eps,
                    double output_scale_factor = 1.0);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb,
                        const ForwardContext& ctx);
  torch::nn::GroupNorm norm1{nullptr}, norm2{nullptr};
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv_shortcut{nullptr};
  torch::nn::Linear time_emb_proj{nullptr};

 private:
  double output_scale_factor_;
};
TORCH_MODULE(ResnetBlock2D);

// Downsample2D with a conv (stride 2). padding 0 pads (0,1,0,1) first, as the VAE encoder does.
class Downsample2DImpl : public torch::nn::Module, public PathNamed {
 public:
  Downsample2DImpl(std::int64_t channels, std::int64_t padding);
  torch::Tensor forward(const torch::Tensor& x, const ForwardContext& ctx);
  torch::nn::Conv2d conv{nullptr};

 private:
  std::int64_t padding_;
};
TORCH_MODULE(Downsample2D);

// Upsample2D: nearest x2 (or to `size`) then a 3x3 conv.
class Upsample2DImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit Upsample2DImpl(std::int64_t channels);
  torch::Tensor forward(const torch::Tensor& x, const std::vector<std::int64_t>& size,
                        const ForwardContext& ctx);
  torch::nn::Conv2d conv{nullptr};
};
TORCH_MODULE(Upsample2D);

struct AttentionOptions {
  std::int64_t query_dim = 0;
  std::int64_t cross_attention_dim = 0;  // 0 = self-attention
  std::int64_t heads = 1;
  std::int64_t dim_head = 64;
  bool qkv_bias = false;
  bool upcast = false;            // upcast_attention / upcast_softmax
  std::int64_t group_norm_groups = 0;  // > 0: VAE-style attention with its own GroupNorm
  double group_norm_eps = 1e-6;
};

// diffusers Attention (AttnProcessor semantics): to_q/to_k/to_v, to_out.0 (+ dropout slot).
class AttentionImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit AttentionImpl(const AttentionOptions& o);
  // x [B, N, query_dim]; context [B, M, cross_dim] or undefined (self-attention).
  // `spatial` = (H, W) of the queries, reported to the capture hook.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context,
                        const ForwardContext& ctx, std::int64_t height = 0,
                        std::int64_t width = 0);
  // VAE mid-block form: x [B, C, H, W], group norm, attention over H*W, residual added.
  torch::Tensor forward_spatial(const torch::Tensor& x, const ForwardContext& ctx);
  const AttentionOptions& options() const { return o_; }
  torch::nn::Linear to_q{nullptr}, to_k{nullptr}, to_v{nullptr};
  torch::nn::ModuleList to_out{nullptr};
  torch::nn::GroupNorm group_norm{nullptr};

 private:
  AttentionOptions o_;
  torch::nn::Linear out_proj_{nullptr};
};
TORCH_MODULE(Attention);

// GEGLU feed-forward: net.0.proj (dim -> 2*inner), h * gelu(gate), net.2 (inner -> dim).
class FeedForwardImpl : public torch::nn::Module {
 public:
  FeedForwardImpl(std::int64_t dim, std::int64_t mult = 4);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::ModuleList net{nullptr};

 private:
  torch::nn::Linear proj_{nullptr}, out_{nullptr};
};
TORCH_MODULE(FeedForward);

class BasicTransformerBlockImpl : public torch::nn::Module, public PathNamed {
 public:
  BasicTransformerBlockImpl(std::int64_t dim, std::int64_t heads, std::int64_t dim_head,
                            std::int64_t cross_attention_dim, bool upcast);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context,
                        const ForwardContext& ctx, std::int64_t height, std::int64_t width);
  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  Attention attn1{nullptr}, attn2{nullptr};
  FeedForward ff{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

struct TransformerOptions {
  std::int64_t heads = 8;
  std::int64_t dim_head = 40;
  std::int64_t in_channels = 320;
  std::int64_t groups = 32;
  std::int64_t cross_attention_dim = 768;
  std::int64_t num_layers = 1;
  bool use_linear_projection = false;
  bool upcast_attention = false;
};

// Transformer2DModel (continuous input): GroupNorm(eps 1e-6), proj_in (1x1 conv or linear),
// transformer_blocks, proj_out, residual.
class Transformer2DModelImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit Transformer2DModelImpl(const TransformerOptions& o);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context,
                        const ForwardContext& ctx);
  torch::nn::GroupNorm norm{nullptr};
  torch::nn::ModuleList transformer_blocks{nullptr};

 private:
  TransformerOptions o_;
  torch::nn::Conv2d proj_in_conv_{nullptr}, proj_out_conv_{nullptr};
  torch::nn::Linear proj_in_lin_{nullptr}, proj_out_lin_{nullptr};
  std::vector<BasicTransformerBlock> blocks_;
};
TORCH_MODULE(Transformer2DModel);

// Shared by UNet and ControlNet blocks.
struct BlockOptions {
  std::int64_t in_channels = 0;
  std::int64_t out_channels = 0;
  std::int64_t prev_output_channels = 0;  // up blocks only
  std::int64_t temb_channels = 0;
  std::int64_t num_layers = 2;
  bool cross_attention = false;
  bool add_sample = false;  // downsampler (down blocks) / upsampler (up blocks)
  std::int64_t downsample_padding = 1;
  std::int64_t groups = 32;
  double eps = 1e-5;
  std::int64_t heads = 8;
  std::int64_t cross_attention_dim = 768;
  bool use_linear_projection = false;
  bool upcast_attention = false;
  std::int64_t transformer_layers = 1;
  double resnet_output_scale = 1.0;  // mid block: config mid_block_scale_factor
};

// CrossAttnDownBlock2D (cross_attention) or DownBlock2D.
class UNetDownBlockImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit UNetDownBlockImpl(const BlockOptions& o);
  // Returns the block output; appends its skip outputs to `res_samples`.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb,
                        const torch::Tensor& context, std::vector<torch::Tensor>& res_samples,
                        const ForwardContext& ctx);
  std::int64_t num_skip_outputs() const;
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr}, downsamplers{nullptr};

 private:
  std::vector<ResnetBlock2D> resnets_;
  std::vector<Transformer2DModel> attentions_;
  Downsample2D down_{nullptr};
};
TORCH_MODULE(UNetDownBlock);

// CrossAttnUpBlock2D (cross_attention) or UpBlock2D.
class UNetUpBlockImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit UNetUpBlockImpl(const BlockOptions& o);
  // Consumes num_layers skip tensors from the back of `res_samples`.
  torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor>& res_samples,
                        const torch::Tensor& temb, const torch::Tensor& context,
                        const std::vector<std::int64_t>& upsample_size,
                        const ForwardContext& ctx);
  std::int64_t num_layers() const { return static_cast<std::int64_t>(resnets_.size()); }
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr}, upsamplers{nullptr};

 private:
  std::vector<ResnetBlock2D> resnets_;
  std::vector<Transformer2DModel> attentions_;
  Upsample2D up_{nullptr};
};
TORCH_MODULE(UNetUpBlock);

// UNetMidBlock2DCrossAttn: resnet, then (attention, resnet) x num_layers.
class UNetMidBlockCrossAttnImpl : public torch::nn::Module, public PathNamed {
 public:
  explicit UNetMidBlockCrossAttnImpl(const BlockOptions& o);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb,
                        const torch::Tensor& context, const ForwardContext& ctx);
  torch::nn::ModuleList resnets{nullptr}, attentions{nullptr};

 private:
  std::vector<ResnetBlock2D> resnets_;
  std::vector<Transformer2DModel> attentions_;
};
TORCH_MODULE(UNetMidBlockCrossAttn);

}  // namespace faceg2e::diffusion
