#include "core/diffusion/vae.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::diffusion {

namespace {
using nlohmann::json;
constexpr double kVaeEps = 1e-6;  // diffusers Encoder/Decoder resnet_eps
torch::nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t k) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, k).padding(k / 2));
}
torch::nn::GroupNorm group_norm(std::int64_t groups, std::int64_t ch) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, ch).eps(kVaeEps));
}
}  // namespace

VaeConfig VaeConfig::from_json(const json& j, const std::string& what) {
  if (!j.is_object()) throw Error(what + ": config is not a JSON object");
  auto field = [&](const char* k) { return what + ": config field '" + k + "'"; };
  VaeConfig c;
  try {
    c.in_channels = j.value("in_channels", 3);
    c.out_channels = j.value("out_channels", 3);
    c.latent_channels = j.value("latent_channels", 4);
    c.layers_per_block = j.value("layers_per_block", 1);
    c.norm_num_groups = j.value("norm_num_groups", 32);
    if (j.contains("scaling_factor") && j["scaling_factor"].is_number())
      c.scaling_factor = j["scaling_factor"].get<double>();
    if (j.contains("mid_block_add_attention") && j["mid_block_add_attention"].is_boolean())
      c.mid_block_add_attention = j["mid_block_add_attention"].get<bool>();
    if (j.contains("use_quant_conv") && j["use_quant_conv"].is_boolean())
      c.use_quant_conv = j["use_quant_conv"].get<bool>();
    if (j.contains("use_post_quant_conv") && j["use_post_quant_conv"].is_boolean())
      c.use_post_quant_conv = j["use_post_quant_conv"].get<bool>();
    if (!j.contains("block_out_channels") || !j["block_out_channels"].is_array())
      throw Error(field("block_out_channels") + " must be a list");
    c.block_out_channels = j["block_out_channels"].get<std::vector<std::int64_t>>();
  } catch (const json::exception& e) {
    throw Error(what + ": bad VAE config: " + e.what());
  }
  if (c.block_out_channels.empty()) throw Error(field("block_out_channels") + " is empty");
  for (auto ch : c.block_out_channels)
    if (ch <= 0 || ch % c.norm_num_groups != 0)
      throw Error(field("block_out_channels") + " must be positive multiples of norm_num_groups");
  if (c.layers_per_block <= 0) throw Error(field("layers_per_block") + " must be > 0");
  if (c.latent_channels <= 0) throw Error(field("latent_channels") + " must be > 0");
  for (const char* key : {"down_block_types", "up_block_types"}) {
    if (!j.contains(key)) continue;
    for (const auto& t : j[key]) {
      const auto s = t.is_string() ? t.get<std::string>() : std::string("?");
      if (s != "DownEncoderBlock2D" && s != "UpDecoderBlock2D")
        throw Error(field(key) + ": unsupported block '" + s + "'");
    }
  }
  if (j.contains("act_fn") && j["act_fn"].is_string() && j["act_fn"].get<std::string>() != "silu")
    throw Error(field("act_fn") + " must be silu");
  return c;
}

json sd_vae_config() {
  return json{{"in_channels", 3},
              {"out_channels", 3},
              {"latent_channels", 4},
              {"block_out_channels", {128, 256, 512, 512}},
              {"layers_per_block", 2},
              {"norm_num_groups", 32},
              {"scaling_factor", 0.18215},
              {"sample_size", 512}};
}

torch::Tensor LatentDistribution::std() const { return torch::exp(0.5 * logvar); }
torch::Tensor LatentDistribution::var() const { return torch::exp(logvar); }
torch::Tensor LatentDistribution::sample(const torch::Tensor& noise) const {
  FACEG2E_CHECK(noise.sizes() == mean.sizes(), "posterior sample: noise shape must match mean");
  return mean + std() * noise.to(mean.options());
}
torch::Tensor LatentDistribution::sample(c10::optional<at::Generator> generator) const {
  return sample(at::randn(mean.sizes(), generator, mean.options()));
}

// ---------------------------------------------------------------------------------------------

VaeMidBlockImpl::VaeMidBlockImpl(std::int64_t ch, std::int64_t groups, bool add_attention) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  resnets_.emplace_back(ch, ch, 0, groups, kVaeEps);
  resnets->push_back(resnets_.back());
  if (add_attention) {
    attentions = register_module("attentions", torch::nn::ModuleList());
    AttentionOptions o;
    o.query_dim = ch;
    o.heads = 1;  // attention_head_dim = channels in the SD VAE
    o.dim_head = ch;
    o.qkv_bias = true;
    o.upcast = true;  // upcast_softmax
    o.group_norm_groups = groups;
    o.group_norm_eps = kVaeEps;
    attentions_.emplace_back(o);
    attentions->push_back(attentions_.back());
  }
  resnets_.emplace_back(ch, ch, 0, groups, kVaeEps);
  resnets->push_back(resnets_.back());
}

torch::Tensor VaeMidBlockImpl::forward(const torch::Tensor& x, const ForwardContext& ctx) {
  auto h = resnets_[0]->forward(x, torch::Tensor(), ctx);
  if (!attentions_.empty()) h = attentions_[0]->forward_spatial(h, ctx);
  h = resnets_[1]->forward(h, torch::Tensor(), ctx);
  record(ctx, nullptr, h);
  return h;
}

VaeBlockImpl::VaeBlockImpl(bool up, std::int64_t in, std::int64_t out, std::int64_t num_layers,
                           bool add_sample, std::int64_t groups) {
  resnets = register_module("resnets", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < num_layers; ++i) {
    resnets_.emplace_back(i == 0 ? in : out, out, 0, groups, kVaeEps);
    resnets->push_back(resnets_.back());
  }
  if (add_sample) {
    samplers = register_module(up ? "upsamplers" : "downsamplers", torch::nn::ModuleList());
    if (up) {
      up_ = Upsample2D(out);
      samplers->push_back(up_);
    } else {
      down_ = Downsample2D(out, 0);
      samplers->push_back(down_);
    }
  }
}

torch::Tensor VaeBlockImpl::forward(const torch::Tensor& x, const ForwardContext& ctx) {
  auto h = x;
  for (auto& r : resnets_) h = r->forward(h, torch::Tensor(), ctx);
  if (down_) h = down_->forward(h, ctx);
  if (up_) h = up_->forward(h, {}, ctx);
  record(ctx, nullptr, h);
  return h;
}

VaeEncoderImpl::VaeEncoderImpl(const VaeConfig& c) {
  const auto& ch = c.block_out_channels;
  conv_in = register_module("conv_in", conv(c.in_channels, ch[0], 3));
  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  std::int64_t out = ch[0];
  for (size_t i = 0; i < ch.size(); ++i) {
    const auto in = out;
    out = ch[i];
    blocks_.emplace_back(false, in, out, c.layers_per_block, i + 1 < ch.size(), c.norm_num_groups);
    down_blocks->push_back(blocks_.back());
  }
  mid_block = register_module("mid_block",
                              VaeMidBlock(ch.back(), c.norm_num_groups, c.mid_block_add_attention));
  conv_norm_out = register_module("conv_norm_out", group_norm(c.norm_num_groups, ch.back()));
  conv_out = register_module("conv_out", conv(ch.back(), 2 * c.latent_channels, 3));
}

torch::Tensor VaeEncoderImpl::forward(const torch::Tensor& x, const ForwardContext& ctx) {
  auto h = conv_in(x);
  record(ctx, "conv_in", h);
  for (auto& b : blocks_) h = b->forward(h, ctx);
  h = mid_block->forward(h, ctx);
  h = conv_out(torch::silu(conv_norm_out(h)));
  record(ctx, "conv_out", h);
  return h;
}

VaeDecoderImpl::VaeDecoderImpl(const VaeConfig& c) {
  std::vector<std::int64_t> rev(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  conv_in = register_module("conv_in", conv(c.latent_channels, rev[0], 3));
  mid_block = register_module("mid_block",
                              VaeMidBlock(rev[0], c.norm_num_groups, c.mid_block_add_attention));
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  std::int64_t out = rev[0];
  for (size_t i = 0; i < rev.size(); ++i) {
    const auto prev = out;
    out = rev[i];
    blocks_.emplace_back(true, prev, out, c.layers_per_block + 1, i + 1 < rev.size(),
                         c.norm_num_groups);
    up_blocks->push_back(blocks_.back());
  }
  conv_norm_out = register_module("conv_norm_out", group_norm(c.norm_num_groups, rev.back()));
  conv_out = register_module("conv_out", conv(rev.back(), c.out_channels, 3));
}

torch::Tensor VaeDecoderImpl::forward(const torch::Tensor& z, const ForwardContext& ctx) {
  auto h = conv_in(z);
  record(ctx, "conv_in", h);
  h = mid_block->forward(h, ctx);
  for (auto& b : blocks_) h = b->forward(h, ctx);
  h = conv_out(torch::silu(conv_norm_out(h)));
  record(ctx, "conv_out", h);
  return h;
}

AutoencoderKLImpl::AutoencoderKLImpl(const VaeConfig& c) : config_(c) {
  encoder = register_module("encoder", VaeEncoder(c));
  decoder = register_module("decoder", VaeDecoder(c));
  if (c.use_quant_conv)
    quant_conv = register_module("quant_conv", conv(2 * c.latent_channels, 2 * c.latent_channels, 1));
  if (c.use_post_quant_conv)
    post_quant_conv = register_module("post_quant_conv", conv(c.latent_channels, c.latent_channels, 1));
  assign_module_paths(*this);
}

torch::Tensor AutoencoderKLImpl::moments(const torch::Tensor& image, const ForwardContext* ctx_ptr) {
  static const ForwardContext default_ctx;
  const ForwardContext& ctx = ctx_ptr ? *ctx_ptr : default_ctx;
  FACEG2E_CHECK(image.dim() == 4 && image.size(1) == config_.in_channels,
                "VAE encode: image must be [B, in_channels, H, W]");
  auto h = encoder->forward(image, ctx);
  if (quant_conv) {
    h = quant_conv(h);
    record(ctx, "quant_conv", h);
  }
  return h;
}

LatentDistribution AutoencoderKLImpl::encode(const torch::Tensor& image, const ForwardContext* ctx) {
  const auto m = moments(image, ctx);
  const auto parts = m.chunk(2, 1);
  return {parts[0], torch::clamp(parts[1], -30.0, 20.0)};
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& latents, const ForwardContext* ctx_ptr) {
  static const ForwardContext default_ctx;
  const ForwardContext& ctx = ctx_ptr ? *ctx_ptr : default_ctx;
  FACEG2E_CHECK(latents.dim() == 4 && latents.size(1) == config_.latent_channels,
                "VAE decode: latents must be [B, latent_channels, h, w]");
  auto z = latents;
  if (post_quant_conv) {
    z = post_quant_conv(z);
    record(ctx, "post_quant_conv", z);
  }
  return decoder->forward(z, ctx);
}

AutoencoderKL make_vae(const ComponentWeights& weights, torch::Device device, torch::ScalarType dtype) {
  AutoencoderKL model(VaeConfig::from_json(weights.config, weights.origin));
  model->to(device, dtype);
  load_into(*model, weights.tensors, "VAE (" + weights.origin + ")");
  model->eval();
  return model;
}

}  // namespace faceg2e::diffusion
