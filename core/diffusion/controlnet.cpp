#include "core/diffusion/controlnet.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::diffusion {

namespace {
torch::nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2));
}
}  // namespace

ControlNetConditioningEmbeddingImpl::ControlNetConditioningEmbeddingImpl(
    std::int64_t embedding_channels, const std::vector<std::int64_t>& ch,
    std::int64_t conditioning_channels) {
  FACEG2E_CHECK(!ch.empty(), "ControlNet: conditioning_embedding_out_channels is empty");
  conv_in = register_module("conv_in", conv(conditioning_channels, ch[0], 3));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (size_t i = 0; i + 1 < ch.size(); ++i) {
    blocks_.push_back(conv(ch[i], ch[i], 3));
    blocks->push_back(blocks_.back());
    blocks_.push_back(conv(ch[i], ch[i + 1], 3, 2));
    blocks->push_back(blocks_.back());
  }
  conv_out = register_module("conv_out", conv(ch.back(), embedding_channels, 3));
}

torch::Tensor ControlNetConditioningEmbeddingImpl::forward(const torch::Tensor& cond) {
  auto h = torch::silu(conv_in(cond));
  for (auto& b : blocks_) h = torch::silu(b(h));
  return conv_out(h);
}

ControlNetModelImpl::ControlNetModelImpl(const UNetConfig& c) : config_(c) {
  FACEG2E_CHECK(!c.conditioning_embedding_out_channels.empty(),
                "ControlNet config needs conditioning_embedding_out_channels");
  const auto ch0 = c.block_out_channels[0];
  conv_in = register_module("conv_in", conv(c.in_channels, ch0, 3));
  time_embedding = register_module("time_embedding", TimestepEmbedding(ch0, c.time_embed_dim()));
  controlnet_cond_embedding = register_module(
      "controlnet_cond_embedding",
      ControlNetConditioningEmbedding(ch0, c.conditioning_embedding_out_channels,
                                      c.conditioning_channels));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  controlnet_down_blocks = register_module("controlnet_down_blocks", torch::nn::ModuleList());
  zero_convs_.push_back(conv(ch0, ch0, 1));
  controlnet_down_blocks->push_back(zero_convs_.back());
  for (size_t i = 0; i < c.block_out_channels.size(); ++i) {
    const auto o = unet_down_block_options(c, i);
    down_.emplace_back(o);
    down_blocks->push_back(down_.back());
    const auto n_zero = o.num_layers + (o.add_sample ? 1 : 0);
    for (std::int64_t k = 0; k < n_zero; ++k) {
      zero_convs_.push_back(conv(o.out_channels, o.out_channels, 1));
      controlnet_down_blocks->push_back(zero_convs_.back());
    }
  }
  const auto mid_ch = c.block_out_channels.back();
  mid_block = register_module("mid_block", UNetMidBlockCrossAttn(unet_mid_block_options(c)));
  controlnet_mid_block = register_module("controlnet_mid_block", conv(mid_ch, mid_ch, 1));
  assign_module_paths(*this);
}

ControlNetOutput ControlNetModelImpl::forward(const torch::Tensor& sample,
                                              const torch::Tensor& timesteps,
                                              const torch::Tensor& encoder_hidden_states,
                                              const torch::Tensor& controlnet_cond_in,
                                              double conditioning_scale,
                                              const ForwardContext* ctx_ptr) {
  static const ForwardContext default_ctx;
  const ForwardContext& ctx = ctx_ptr ? *ctx_ptr : default_ctx;
  FACEG2E_CHECK(sample.dim() == 4 && sample.size(1) == config_.in_channels,
                "ControlNet: sample must be [B, in_channels, H, W]");
  FACEG2E_CHECK(controlnet_cond_in.dim() == 4 && controlnet_cond_in.size(0) == sample.size(0) &&
                    controlnet_cond_in.size(1) == config_.conditioning_channels,
                "ControlNet: controlnet_cond must be [B, conditioning_channels, H, W]");
  const auto batch = sample.size(0);
  auto controlnet_cond = config_.conditioning_bgr ? controlnet_cond_in.flip({1}) : controlnet_cond_in;

  auto t = broadcast_timesteps(timesteps, batch, sample.device());
  auto t_emb = timestep_sinusoidal(t, config_.block_out_channels[0], config_.flip_sin_to_cos,
                                   config_.freq_shift)
                   .to(sample.scalar_type());
  record(ctx, "time_proj", t_emb);
  auto emb = time_embedding(t_emb);
  record(ctx, "time_embedding", emb);

  auto h = conv_in(sample);
  record(ctx, "conv_in", h);
  auto cond = controlnet_cond_embedding(controlnet_cond);
  record(ctx, "controlnet_cond_embedding", cond);
  h = h + cond;

  std::vector<torch::Tensor> res{h};
  for (auto& d : down_) h = d->forward(h, emb, encoder_hidden_states, res, ctx);
  h = mid_block->forward(h, emb, encoder_hidden_states, ctx);

  FACEG2E_CHECK(res.size() == zero_convs_.size(), "ControlNet: skip count mismatch");
  ControlNetOutput out;
  for (size_t i = 0; i < res.size(); ++i) {
    auto r = zero_convs_[i](res[i]);
    if (config_.global_pool_conditions) r = r.mean({2, 3}, true);
    out.down_residuals.push_back(r * conditioning_scale);
  }
  auto mid = controlnet_mid_block(h);
  if (config_.global_pool_conditions) mid = mid.mean({2, 3}, true);
  out.mid_residual = mid * conditioning_scale;
  return out;
}

ControlNetModel make_controlnet(const ComponentWeights& weights, torch::Device device,
                                torch::ScalarType dtype) {
  ControlNetModel model(UNetConfig::from_json(weights.config, weights.origin));
  model->to(device, dtype);
  load_into(*model, weights.tensors, "ControlNet (" + weights.origin + ")");
  model->eval();
  return model;
}

}  // namespace faceg2e::diffusion
