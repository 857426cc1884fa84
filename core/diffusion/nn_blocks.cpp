#include "core/diffusion/nn_blocks.h"

#include <torch/torch.h>

#include <cmath>

#include "core/util/error.h"

namespace faceg2e::diffusion {

namespace F = torch::nn::functional;

void assign_module_paths(torch::nn::Module& root) {
  if (auto* self = dynamic_cast<PathNamed*>(&root)) self->set_path("");
  for (const auto& item : root.named_modules("", /*include_self=*/false)) {
    if (auto* named = dynamic_cast<PathNamed*>(item.value().get())) named->set_path(item.key());
  }
}

torch::Tensor timestep_sinusoidal(const torch::Tensor& timesteps, std::int64_t dim,
                                  bool flip_sin_to_cos, double downscale_freq_shift, double scale,
                                  double max_period) {
  FACEG2E_CHECK(timesteps.dim() == 1, "timestep embedding: timesteps must be 1-D");
  const std::int64_t half = dim / 2;
  // Same float32 operation order as diffusers' get_timestep_embedding.
  auto exponent = torch::arange(0, half, torch::dtype(torch::kFloat).device(timesteps.device())) *
                  (-std::log(max_period));
  exponent = exponent / (static_cast<double>(half) - downscale_freq_shift);
  auto emb = timesteps.to(torch::kFloat).unsqueeze(1) * torch::exp(exponent).unsqueeze(0);
  emb = emb * scale;
  emb = torch::cat({torch::sin(emb), torch::cos(emb)}, -1);
  if (flip_sin_to_cos) emb = torch::cat({emb.slice(1, half), emb.slice(1, 0, half)}, -1);
  if (dim % 2 == 1) emb = F::pad(emb, F::PadFuncOptions({0, 1, 0, 0}));
  return emb;
}

torch::Tensor broadcast_timesteps(const torch::Tensor& timesteps, std::int64_t batch,
                                  torch::Device device) {
  FACEG2E_CHECK(timesteps.defined(), "timesteps undefined");
  auto t = timesteps.to(device);
  if (t.dim() == 0) t = t.reshape({1});
  FACEG2E_CHECK(t.dim() == 1 && (t.size(0) == 1 || t.size(0) == batch),
                "timesteps must be a scalar or [batch]");
  return t.expand({batch});
}

// ---------------------------------------------------------------------------------------------

TimestepEmbeddingImpl::TimestepEmbeddingImpl(std::int64_t in_channels, std::int64_t dim) {
  linear_1 = register_module("linear_1", torch::nn::Linear(in_channels, dim));
  linear_2 = register_module("linear_2", torch::nn::Linear(dim, dim));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor& x) {
  return linear_2(torch::silu(linear_1(x)));
}

// ---------------------------------------------------------------------------------------------

namespace {
torch::nn::GroupNorm make_group_norm(std::int64_t groups, std::int64_t channels, double eps) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps).affine(true));
}
torch::nn::Conv2d make_conv(std::int64_t in, std::int64_t out, std::int64_t k, std::int64_t stride,
                            std::int64_t pad) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad));
}
}  // namespace

ResnetBlock2DImpl::ResnetBlock2DImpl(std::int64_t in_channels, std::int64_t out_channels,
                                     std::int64_t temb_channels, std::int64_t groups, double eps,
                                     double output_scale_factor)
    : output_scale_factor_(output_scale_factor) {
  norm1 = register_module("norm1", make_group_norm(groups, in_channels, eps));
  conv1 = register_module("conv1", make_conv(in_channels, out_channels, 3, 1, 1));
  if (temb_channels > 0)
    time_emb_proj = register_module("time_emb_proj", torch::nn::Linear(temb_channels, out_channels));
  norm2 = register_module("norm2", make_group_norm(groups, out_channels, eps));
  conv2 = register_module("conv2", make_conv(out_channels, out_channels, 3, 1, 1));
  if (in_channels != out_channels)
    conv_shortcut = register_module("conv_shortcut", make_conv(in_channels, out_channels, 1, 1, 0));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x, const torch::Tensor& temb,
                                         const ForwardContext& ctx) {
  auto h = conv1(torch::silu(norm1(x)));
  if (time_emb_proj && temb.defined())
    h = h + time_emb_proj(torch::silu(temb)).unsqueeze(-1).unsqueeze(-1);
  h = conv2(torch::silu(norm2(h)));
  const auto shortcut = conv_shortcut ? conv_shortcut(x) : x;
  auto out = shortcut + h;
  if (output_scale_factor_ != 1.0) out = out / output_scale_factor_;
  record(ctx, nullptr, out);
  return out;
}

// ---------------------------------------------------------------------------------------------

Downsample2DImpl::Downsample2DImpl(std::int64_t channels, std::int64_t padding) : padding_(padding) {
  conv = register_module("conv", make_conv(channels, channels, 3, 2, padding));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor& x, const ForwardContext& ctx) {
  auto h = x;
  if (padding_ == 0) h = F::pad(h, F::PadFuncOptions({0, 1, 0, 1}).mode(torch::kConstant).value(0));
  auto out = conv(h);
  record(ctx, nullptr, out);
  return out;
}

Upsample2DImpl::Upsample2DImpl(std::int64_t channels) {
  conv = register_module("conv", make_conv(channels, channels, 3, 1, 1));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor& x, const std::vector<std::int64_t>& size,
                                      const ForwardContext& ctx) {
  const auto dtype = x.scalar_type();
  // Nearest upsampling has no bf16 kernel in older torch; diffusers goes through float32 too.
  auto h = dtype == torch::kBFloat16 ? x.to(torch::kFloat) : x;
  const bool exact_double =
      size.empty() || (size.size() == 2 && size[0] == 2 * x.size(2) && size[1] == 2 * x.size(3));
  if (exact_double)
    h = F::interpolate(h, F::InterpolateFuncOptions()
                              .scale_factor(std::vector<double>{2.0, 2.0})
                              .mode(torch::kNearest));
  else
    h = F::interpolate(h, F::InterpolateFuncOptions().size(size).mode(torch::kNearest));
  if (dtype == torch::kBFloat16) h = h.to(dtype);
  auto out = conv(h);
  record(ctx, nullptr, out);
  return out;
}

// ---------------------------------------------------------------------------------------------

AttentionImpl::AttentionImpl(const AttentionOptions& o) : o_(o) {
  const auto inner = o.heads * o.dim_head;
  const auto kv_dim = o.cross_attention_dim > 0 ? o.cross_attention_dim : o.query_dim;
  if (o.group_norm_groups > 0)
    group_norm = register_module("group_norm", make_group_norm(o.group_norm_groups, o.query_dim,
                                                               o.group_norm_eps));
  to_q = register_module("to_q", torch::nn::Linear(torch::nn::LinearOptions(o.query_dim, inner).bias(o.qkv_bias)));
  to_k = register_module("to_k", torch::nn::Linear(torch::nn::LinearOptions(kv_dim, inner).bias(o.qkv_bias)));
  to_v = register_module("to_v", torch::nn::Linear(torch::nn::LinearOptions(kv_dim, inner).bias(o.qkv_bias)));
  out_proj_ = torch::nn::Linear(inner, o.query_dim);
  to_out = register_module("to_out", torch::nn::ModuleList());
  to_out->push_back(out_proj_);
  to_out->push_back(torch::nn::Dropout(0.0));  // diffusers' to_out.1 slot (no parameters)
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& context,
                                     const ForwardContext& ctx, std::int64_t height,
                                     std::int64_t width) {
  const auto& kv_in = context.defined() ? context : x;
  const auto q = to_q(x);
  const auto k = to_k(kv_in);
  const auto v = to_v(kv_in);
  const double scale = 1.0 / std::sqrt(static_cast<double>(o_.dim_head));
  const bool capture = ctx.capture != nullptr && context.defined();
  torch::Tensor probs;
  auto h = multi_head_attention(q, k, v, o_.heads, scale, o_.upcast, ctx.attention,
                                capture ? &probs : nullptr);
  if (capture) ctx.capture->layers.push_back({path(), height, width, probs});
  auto out = out_proj_(h);
  record(ctx, nullptr, out);
  return out;
}

torch::Tensor AttentionImpl::forward_spatial(const torch::Tensor& x, const ForwardContext& ctx) {
  FACEG2E_CHECK(x.dim() == 4, "spatial attention expects [B, C, H, W]");
  const auto b = x.size(0), c = x.size(1), hgt = x.size(2), wid = x.size(3);
  auto h = x.reshape({b, c, hgt * wid});
  if (group_norm) h = group_norm(h);
  h = h.transpose(1, 2);
  const auto q = to_q(h), k = to_k(h), v = to_v(h);
  const double scale = 1.0 / std::sqrt(static_cast<double>(o_.dim_head));
  h = multi_head_attention(q, k, v, o_.heads, scale, o_.upcast, ctx.attention);
  h = out_proj_(h);
  h = h.transpose(-1, -2).reshape({b, c, hgt, wid});
  auto out = h + x;
  record(ctx, nullptr, out);
  return out;
}

// ---------------------------------------------------------------------------------------------

namespace {
class GEGLUImpl : public torch::nn::Module {
 public:
  GEGLUImpl(std::int64_t dim_in, std::int64_t dim_out) {
    proj = register_module("proj", torch::nn::Linear(dim_in, dim_out * 2));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    const auto parts = proj(x).chunk(2, -1);
    return parts[0] * torch::gelu(parts[1]);
  }
  torch::nn::Linear proj{nullptr};
};
TORCH_MODULE(GEGLU);
}  // namespace

FeedForwardImpl::FeedForwardImpl(std::int64_t dim, std::int64_t mult) {
  const auto inner = dim * mult;
  auto geglu = GEGLU(dim, inner);
  proj_ = geglu->proj;
  out_ = torch::nn::Linear(inner, dim);
  net = register_module("net", torch::nn::ModuleList());
  net->push_back(geglu);
  net->push_back(torch::nn::Dropout(0.0));
  net->push_back(out_);
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  const auto parts = proj_(x).chunk(2, -1);
  return out_(parts[0] * torch::gelu(parts[1]));
}

BasicTransformerBlockImpl::BasicTransformerBlockImpl(std::int64_t dim, std::int64_t heads,
                                                     std::int64_t dim_head,
                                                     std::int64_t cross_attention_dim,
                                                     bool upcast) {
  auto ln = [&] {
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5).elementwise_affine(true));
  };
  norm1 = register_module("norm1", ln());
  AttentionOptions self_opts;
  self_opts.query_dim = dim;
  self_opts.heads = heads;
  self_opts.dim_head = dim_head;
  self_opts.upcast = upcast;
  attn1 = register_module("attn1", Attention(self_opts));
  norm2 = register_module("norm2", ln());
  AttentionOptions cross_opts = self_opts;
  cross_opts.cross_attention_dim = cross_attention_dim;
  attn2 = register_module("attn2", Attention(cross_opts));
  norm3 = register_module("norm3", ln());
  ff = register_module("ff", FeedForward(dim));
}

torch::Tensor BasicTransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& context,
                                                 const ForwardContext& ctx, std::int64_t height,
                                                 std::int64_t width) {
  auto n = norm1(x);
  record(ctx, "norm1", n);
  auto h = attn1(n, torch::Tensor(), ctx, height, width) + x;
  n = norm2(h);
  record(ctx, "norm2", n);
  h = attn2(n, context, ctx, height, width) + h;
  n = norm3(h);
  record(ctx, "norm3", n);
  auto f = ff(n);
  record(ctx, "ff", f);
  auto out = f + h;
  record(ctx, nullptr, out);
  return out;
}

// ---------------------------------------------------------------------------------------------

Transformer2DModelImpl::Transformer2DModelImpl(const TransformerOptions& o) : o_(o) {
  const auto inner = o.heads * o.dim_head;
  norm = register_module("norm", make_group_norm(o.groups, o.in_channels, 1e-6));
  if (o.use_linear_projection) {
    proj_in_lin_ = register_module("proj_in", torch::nn::Linear(o.in_channels, inner));
  } else {
    proj_in_conv_ = register_module("proj_in", make_conv(o.in_channels, inner, 1, 1, 0));
  }
  transformer_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < o.num_layers; ++i) {
    blocks_.emplace_back(inner, o.heads, o.dim_head, o.cross_attention_dim, o.upcast_attention);
    transformer_blocks->push_back(blocks_.back());
  }
  if (o.use_linear_projection) {
    proj_out_lin_ = register_module("proj_out", torch::nn::Linear(inner, o.in_channels));
  } else {
    proj_out_conv_ = register_module("proj_out", make_conv(inner, o.in_channels, 1, 1, 0));
  }
}

torch::Tensor Transformer2DModelImpl::forward(const torch::Tensor& x, const torch::Tensor& context,
                                              const ForwardContext& ctx) {
  const auto b = x.size(0), hgt = x.size(2), wid = x.size(3);
  auto h = norm(x);
  record(ctx, "norm", h);
  std::int64_t inner = 0;
  if (!o_.use_linear_projection) {
    h = proj_in_conv_(h);
    record(ctx, "proj_in", h);
    inner = h.size(1);
    h = h.permute({0, 2, 3, 1}).reshape({b, hgt * wid, inner});
  } else {
    inner = h.size(1);
    h = h.permute({0, 2, 3, 1}).reshape({b, hgt * wid, inner});
    h = proj_in_lin_(h);
    record(ctx, "proj_in", h);
    inner = h.size(2);
  }
  for (auto& blk : blocks_) h = blk->forward(h, context, ctx, hgt, wid);
  if (!o_.use_linear_projection) {
    h = h.reshape({b, hgt, wid, inner}).permute({0, 3, 1, 2}).contiguous();
    h = proj_out_conv_(h);
    record(ctx, "proj_out", h);
  } else {
    h = proj_out_lin_(h);
    record(ctx, "proj_out", h);
    h = h.reshape({b, hgt, wid, h.size(2)}).permute({0, 3, 1, 2}).contiguous();
  }
  auto out = h + x;
  record(ctx, nullptr, out);
  return out;
}

// ---------------------------------------------------------------------------------------------

namespace {
TransformerOptions transformer_options(const BlockOptions& o, std::int64_t channels) {
  TransformerOptions t;
  FACEG2E_CHECK(o.heads > 0 && channels % o.heads == 0,
                "attention heads must divide the block channels");
  t.heads = o.heads;
  t.dim_head = channels / o.heads;
  t.in_channels = channels;
  t.groups = o.groups;
  t.cross_attention_dim = o.cross_attention_dim;
  t.num_layers = o.transformer_layers;
  t.use_linear_projection = o.use_linear_projection;
  t.upcast_attention = o.upcast_attention;
  return t;
}
}  // namespace

UNetDownBlockImpl::UNetDownBlockImpl(const BlockOptions& o) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  if (o.cross_attention) attentions = register_module("attentions", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < o.num_layers; ++i) {
    resnets_.emplace_back(i == 0 ? o.in_channels : o.out_channels, o.out_channels, o.temb_channels,
                          o.groups, o.eps);
    resnets->push_back(resnets_.back());
    if (o.cross_attention) {
      attentions_.emplace_back(transformer_options(o, o.out_channels));
      attentions->push_back(attentions_.back());
    }
  }
  if (o.add_sample) {
    downsamplers = register_module("downsamplers", torch::nn::ModuleList());
    down_ = Downsample2D(o.out_channels, o.downsample_padding);
    downsamplers->push_back(down_);
  }
}

std::int64_t UNetDownBlockImpl::num_skip_outputs() const {
  return static_cast<std::int64_t>(resnets_.size()) + (down_ ? 1 : 0);
}

torch::Tensor UNetDownBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& temb,
                                         const torch::Tensor& context,
                                         std::vector<torch::Tensor>& res_samples,
                                         const ForwardContext& ctx) {
  auto h = x;
  for (size_t i = 0; i < resnets_.size(); ++i) {
    h = resnets_[i]->forward(h, temb, ctx);
    if (!attentions_.empty()) h = attentions_[i]->forward(h, context, ctx);
    res_samples.push_back(h);
  }
  if (down_) {
    h = down_->forward(h, ctx);
    res_samples.push_back(h);
  }
  record(ctx, nullptr, h);
  return h;
}

UNetUpBlockImpl::UNetUpBlockImpl(const BlockOptions& o) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  if (o.cross_attention) attentions = register_module("attentions", torch::nn::ModuleList());
  for (std::int64_t j = 0; j < o.num_layers; ++j) {
    const auto skip = j == o.num_layers - 1 ? o.in_channels : o.out_channels;
    const auto res_in = j == 0 ? o.prev_output_channels : o.out_channels;
    resnets_.emplace_back(res_in + skip, o.out_channels, o.temb_channels, o.groups, o.eps);
    resnets->push_back(resnets_.back());
    if (o.cross_attention) {
      attentions_.emplace_back(transformer_options(o, o.out_channels));
      attentions->push_back(attentions_.back());
    }
  }
  if (o.add_sample) {
    upsamplers = register_module("upsamplers", torch::nn::ModuleList());
    up_ = Upsample2D(o.out_channels);
    upsamplers->push_back(up_);
  }
}

torch::Tensor UNetUpBlockImpl::forward(const torch::Tensor& x, std::vector<torch::Tensor>& res_samples,
                                       const torch::Tensor& temb, const torch::Tensor& context,
                                       const std::vector<std::int64_t>& upsample_size,
                                       const ForwardContext& ctx) {
  auto h = x;
  for (size_t i = 0; i < resnets_.size(); ++i) {
    FACEG2E_CHECK(!res_samples.empty(), "UNet up block ran out of skip connections");
    auto skip = res_samples.back();
    res_samples.pop_back();
    h = torch::cat({h, skip}, 1);
    h = resnets_[i]->forward(h, temb, ctx);
    if (!attentions_.empty()) h = attentions_[i]->forward(h, context, ctx);
  }
  if (up_) h = up_->forward(h, upsample_size, ctx);
  record(ctx, nullptr, h);
  return h;
}

UNetMidBlockCrossAttnImpl::UNetMidBlockCrossAttnImpl(const BlockOptions& o) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  attentions = register_module("attentions", torch::nn::ModuleList());
  resnets_.emplace_back(o.in_channels, o.in_channels, o.temb_channels, o.groups, o.eps,
                        o.resnet_output_scale);
  resnets->push_back(resnets_.back());
  for (std::int64_t i = 0; i < o.num_layers; ++i) {
    attentions_.emplace_back(transformer_options(o, o.in_channels));
    attentions->push_back(attentions_.back());
    resnets_.emplace_back(o.in_channels, o.in_channels, o.temb_channels, o.groups, o.eps,
                        o.resnet_output_scale);
    resnets->push_back(resnets_.back());
  }
}

torch::Tensor UNetMidBlockCrossAttnImpl::forward(const torch::Tensor& x, const torch::Tensor& temb,
                                                 const torch::Tensor& context,
                                                 const ForwardContext& ctx) {
  auto h = resnets_[0]->forward(x, temb, ctx);
  for (size_t i = 0; i < attentions_.size(); ++i) {
    h = attentions_[i]->forward(h, context, ctx);
    h = resnets_[i + 1]->forward(h, temb, ctx);
  }
  record(ctx, nullptr, h);
  return h;
}

}  // namespace faceg2e::diffusion
