#include "core/diffusion/unet.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::diffusion {

namespace {

using nlohmann::json;

std::string where(const std::string& what, const std::string& field) {
  return what + ": config field '" + field + "'";
}

std::int64_t get_int(const json& j, const char* key, std::int64_t def, const std::string& what) {
  if (!j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_number_integer()) throw Error(where(what, key) + " must be an integer");
  return j[key].get<std::int64_t>();
}

double get_double(const json& j, const char* key, double def, const std::string& what) {
  if (!j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_number()) throw Error(where(what, key) + " must be a number");
  return j[key].get<double>();
}

bool get_bool(const json& j, const char* key, bool def, const std::string& what) {
  if (!j.contains(key) || j[key].is_null()) return def;
  if (!j[key].is_boolean()) throw Error(where(what, key) + " must be a boolean");
  return j[key].get<bool>();
}

std::vector<std::int64_t> get_int_list(const json& j, const char* key, const std::string& what) {
  std::vector<std::int64_t> out;
  if (!j.contains(key) || !j[key].is_array()) throw Error(where(what, key) + " must be a list");
  for (const auto& v : j[key]) {
    if (!v.is_number_integer()) throw Error(where(what, key) + " must hold integers");
    out.push_back(v.get<std::int64_t>());
  }
  return out;
}

std::vector<std::string> get_str_list(const json& j, const char* key, const std::string& what) {
  std::vector<std::string> out;
  if (!j.contains(key) || !j[key].is_array()) throw Error(where(what, key) + " must be a list");
  for (const auto& v : j[key]) {
    if (!v.is_string()) throw Error(where(what, key) + " must hold strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// An int (repeated per block) or a per-block list.
std::vector<std::int64_t> per_block(const json& j, const char* key, std::int64_t def, size_t n,
                                    const std::string& what) {
  if (!j.contains(key) || j[key].is_null()) return std::vector<std::int64_t>(n, def);
  if (j[key].is_number_integer()) return std::vector<std::int64_t>(n, j[key].get<std::int64_t>());
  auto v = get_int_list(j, key, what);
  if (v.size() != n) throw Error(where(what, key) + " must have one entry per down block");
  return v;
}

void require_null_or(const json& j, const char* key, const json& allowed, const std::string& what) {
  if (!j.contains(key) || j[key].is_null() || j[key] == allowed) return;
  throw Error(where(what, key) + " = " + j[key].dump() + " is not supported");
}

}  // namespace

UNetConfig UNetConfig::from_json(const json& j, const std::string& what) {
  if (!j.is_object()) throw Error(what + ": config is not a JSON object");
  UNetConfig c;
  c.in_channels = get_int(j, "in_channels", 4, what);
  c.out_channels = get_int(j, "out_channels", 4, what);
  c.block_out_channels = get_int_list(j, "block_out_channels", what);
  const size_t n = c.block_out_channels.size();
  if (n == 0) throw Error(where(what, "block_out_channels") + " is empty");
  for (auto ch : c.block_out_channels)
    if (ch <= 0) throw Error(where(what, "block_out_channels") + " must be positive");
  c.down_block_types = get_str_list(j, "down_block_types", what);
  if (c.down_block_types.size() != n)
    throw Error(where(what, "down_block_types") + " must match block_out_channels");
  if (j.contains("up_block_types")) {
    c.up_block_types = get_str_list(j, "up_block_types", what);
    if (c.up_block_types.size() != n)
      throw Error(where(what, "up_block_types") + " must match block_out_channels");
  }
  for (const auto& t : c.down_block_types)
    if (t != "CrossAttnDownBlock2D" && t != "DownBlock2D")
      throw Error(where(what, "down_block_types") + ": unsupported block '" + t + "'");
  for (const auto& t : c.up_block_types)
    if (t != "CrossAttnUpBlock2D" && t != "UpBlock2D")
      throw Error(where(what, "up_block_types") + ": unsupported block '" + t + "'");
  if (j.contains("mid_block_type") && !j["mid_block_type"].is_null())
    c.mid_block_type = j["mid_block_type"].get<std::string>();
  if (c.mid_block_type != "UNetMidBlock2DCrossAttn")
    throw Error(where(what, "mid_block_type") + ": unsupported '" + c.mid_block_type + "'");
  c.layers_per_block = per_block(j, "layers_per_block", 2, n, what);
  // diffusers naming quirk: with num_attention_heads null, attention_head_dim is the head count.
  if (j.contains("num_attention_heads") && !j["num_attention_heads"].is_null())
    c.num_attention_heads = per_block(j, "num_attention_heads", 8, n, what);
  else
    c.num_attention_heads = per_block(j, "attention_head_dim", 8, n, what);
  c.transformer_layers_per_block = per_block(j, "transformer_layers_per_block", 1, n, what);
  if (j.contains("cross_attention_dim") && j["cross_attention_dim"].is_array())
    throw Error(where(what, "cross_attention_dim") + ": per-block values are not supported");
  c.cross_attention_dim = get_int(j, "cross_attention_dim", 1280, what);
  c.norm_num_groups = get_int(j, "norm_num_groups", 32, what);
  c.norm_eps = get_double(j, "norm_eps", 1e-5, what);
  c.use_linear_projection = get_bool(j, "use_linear_projection", false, what);
  c.upcast_attention = get_bool(j, "upcast_attention", false, what);
  c.flip_sin_to_cos = get_bool(j, "flip_sin_to_cos", true, what);
  c.freq_shift = get_double(j, "freq_shift", 0.0, what);
  c.downsample_padding = get_int(j, "downsample_padding", 1, what);
  c.mid_block_scale_factor = get_double(j, "mid_block_scale_factor", 1.0, what);
  c.center_input_sample = get_bool(j, "center_input_sample", false, what);
  if (j.contains("conditioning_embedding_out_channels") &&
      !j["conditioning_embedding_out_channels"].is_null())
    c.conditioning_embedding_out_channels =
        get_int_list(j, "conditioning_embedding_out_channels", what);
  c.conditioning_channels = get_int(j, "conditioning_channels", 3, what);
  if (j.contains("controlnet_conditioning_channel_order") &&
      j["controlnet_conditioning_channel_order"].is_string())
    c.conditioning_bgr = j["controlnet_conditioning_channel_order"].get<std::string>() == "bgr";
  c.global_pool_conditions = get_bool(j, "global_pool_conditions", false, what);

  require_null_or(j, "class_embed_type", json(), what);
  require_null_or(j, "addition_embed_type", json(), what);
  require_null_or(j, "encoder_hid_dim", json(), what);
  require_null_or(j, "time_cond_proj_dim", json(), what);
  require_null_or(j, "num_class_embeds", json(), what);
  require_null_or(j, "time_embedding_type", "positional", what);
  require_null_or(j, "resnet_time_scale_shift", "default", what);
  require_null_or(j, "act_fn", "silu", what);
  require_null_or(j, "attention_type", "default", what);
  require_null_or(j, "conv_in_kernel", 3, what);
  require_null_or(j, "conv_out_kernel", 3, what);
  require_null_or(j, "only_cross_attention", false, what);
  require_null_or(j, "dual_cross_attention", false, what);
  require_null_or(j, "time_embedding_dim", json(), what);
  require_null_or(j, "timestep_post_act", json(), what);
  require_null_or(j, "time_embedding_act_fn", json(), what);
  require_null_or(j, "reverse_transformer_layers_per_block", json(), what);

  for (size_t i = 0; i < n; ++i) {
    if (c.num_attention_heads[i] <= 0 || c.block_out_channels[i] % c.num_attention_heads[i] != 0)
      throw Error(where(what, "attention_head_dim") + ": heads must divide block_out_channels");
    if (c.block_out_channels[i] % c.norm_num_groups != 0)
      throw Error(where(what, "norm_num_groups") + " must divide block_out_channels");
    if (c.layers_per_block[i] <= 0) throw Error(where(what, "layers_per_block") + " must be > 0");
  }
  return c;
}

// ---------------------------------------------------------------------------------------------

nlohmann::json sd15_unet_config() {
  return json{{"in_channels", 4},
              {"out_channels", 4},
              {"block_out_channels", {320, 640, 1280, 1280}},
              {"down_block_types",
               {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"}},
              {"up_block_types",
               {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"}},
              {"layers_per_block", 2},
              {"attention_head_dim", 8},
              {"cross_attention_dim", 768},
              {"norm_num_groups", 32},
              {"norm_eps", 1e-5},
              {"flip_sin_to_cos", true},
              {"freq_shift", 0},
              {"sample_size", 64}};
}

nlohmann::json sd21_base_unet_config() {
  auto c = sd15_unet_config();
  c["attention_head_dim"] = {5, 10, 20, 20};  // head width 64
  c["use_linear_projection"] = true;
  c["cross_attention_dim"] = 1024;
  return c;
}

nlohmann::json ip2p_unet_config() {
  auto c = sd15_unet_config();
  c["in_channels"] = 8;
  return c;
}

nlohmann::json sd15_controlnet_config() {
  auto c = sd15_unet_config();
  c.erase("up_block_types");
  c.erase("out_channels");
  c["conditioning_embedding_out_channels"] = {16, 32, 96, 256};
  c["conditioning_channels"] = 3;
  return c;
}

// ---------------------------------------------------------------------------------------------

BlockOptions unet_down_block_options(const UNetConfig& c, size_t i) {
  BlockOptions o;
  o.in_channels = i == 0 ? c.block_out_channels[0] : c.block_out_channels[i - 1];
  o.out_channels = c.block_out_channels[i];
  o.temb_channels = c.time_embed_dim();
  o.num_layers = c.layers_per_block[i];
  o.cross_attention = c.down_block_types[i] == "CrossAttnDownBlock2D";
  o.add_sample = i + 1 < c.block_out_channels.size();
  o.downsample_padding = c.downsample_padding;
  o.groups = c.norm_num_groups;
  o.eps = c.norm_eps;
  o.heads = c.num_attention_heads[i];
  o.cross_attention_dim = c.cross_attention_dim;
  o.use_linear_projection = c.use_linear_projection;
  o.upcast_attention = c.upcast_attention;
  o.transformer_layers = c.transformer_layers_per_block[i];
  return o;
}

BlockOptions unet_mid_block_options(const UNetConfig& c) {
  BlockOptions o;
  o.in_channels = o.out_channels = c.block_out_channels.back();
  o.temb_channels = c.time_embed_dim();
  o.num_layers = 1;
  o.cross_attention = true;
  o.groups = c.norm_num_groups;
  o.eps = c.norm_eps;
  o.heads = c.num_attention_heads.back();
  o.cross_attention_dim = c.cross_attention_dim;
  o.use_linear_projection = c.use_linear_projection;
  o.upcast_attention = c.upcast_attention;
  o.transformer_layers = c.transformer_layers_per_block.back();
  o.resnet_output_scale = c.mid_block_scale_factor;
  return o;
}

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNetConfig& c) : config_(c) {
  FACEG2E_CHECK(c.up_block_types.size() == c.block_out_channels.size(),
                "UNet config needs up_block_types");
  const auto ch0 = c.block_out_channels[0];
  const auto temb = c.time_embed_dim();
  conv_in = register_module(
      "conv_in", torch::nn::Conv2d(torch::nn::Conv2dOptions(c.in_channels, ch0, 3).padding(1)));
  time_embedding = register_module("time_embedding", TimestepEmbedding(ch0, temb));

  down_blocks = register_module("down_blocks", torch::nn::ModuleList());
  for (size_t i = 0; i < c.block_out_channels.size(); ++i) {
    down_.emplace_back(unet_down_block_options(c, i));
    down_blocks->push_back(down_.back());
  }
  mid_block = register_module("mid_block", UNetMidBlockCrossAttn(unet_mid_block_options(c)));

  const size_t n = c.block_out_channels.size();
  std::vector<std::int64_t> rev_ch(c.block_out_channels.rbegin(), c.block_out_channels.rend());
  std::vector<std::int64_t> rev_heads(c.num_attention_heads.rbegin(), c.num_attention_heads.rend());
  std::vector<std::int64_t> rev_layers(c.layers_per_block.rbegin(), c.layers_per_block.rend());
  std::vector<std::int64_t> rev_tl(c.transformer_layers_per_block.rbegin(),
                                   c.transformer_layers_per_block.rend());
  up_blocks = register_module("up_blocks", torch::nn::ModuleList());
  std::int64_t output_channel = rev_ch[0];
  for (size_t i = 0; i < n; ++i) {
    BlockOptions o;
    o.prev_output_channels = output_channel;
    output_channel = rev_ch[i];
    o.out_channels = output_channel;
    o.in_channels = rev_ch[std::min(i + 1, n - 1)];
    o.temb_channels = temb;
    o.num_layers = rev_layers[i] + 1;
    o.cross_attention = c.up_block_types[i] == "CrossAttnUpBlock2D";
    o.add_sample = i + 1 < n;
    o.groups = c.norm_num_groups;
    o.eps = c.norm_eps;
    o.heads = rev_heads[i];
    o.cross_attention_dim = c.cross_attention_dim;
    o.use_linear_projection = c.use_linear_projection;
    o.upcast_attention = c.upcast_attention;
    o.transformer_layers = rev_tl[i];
    up_.emplace_back(o);
    up_blocks->push_back(up_.back());
  }
  conv_norm_out = register_module(
      "conv_norm_out",
      torch::nn::GroupNorm(torch::nn::GroupNormOptions(c.norm_num_groups, ch0).eps(c.norm_eps)));
  conv_out = register_module(
      "conv_out", torch::nn::Conv2d(torch::nn::Conv2dOptions(ch0, c.out_channels, 3).padding(1)));
  assign_module_paths(*this);
}

std::int64_t UNet2DConditionModelImpl::num_skip_connections() const {
  std::int64_t n = 1;  // conv_in
  for (const auto& d : down_) n += d->num_skip_outputs();
  return n;
}

torch::Tensor UNet2DConditionModelImpl::forward(const torch::Tensor& sample_in,
                                                const torch::Tensor& timesteps,
                                                const torch::Tensor& encoder_hidden_states,
                                                const std::vector<torch::Tensor>& down_residuals,
                                                const torch::Tensor& mid_residual,
                                                const ForwardContext* ctx_ptr) {
  static const ForwardContext default_ctx;
  const ForwardContext& ctx = ctx_ptr ? *ctx_ptr : default_ctx;
  FACEG2E_CHECK(sample_in.dim() == 4 && sample_in.size(1) == config_.in_channels,
                "UNet: sample must be [B, in_channels, H, W]");
  FACEG2E_CHECK(encoder_hidden_states.dim() == 3 &&
                    encoder_hidden_states.size(0) == sample_in.size(0) &&
                    encoder_hidden_states.size(2) == config_.cross_attention_dim,
                "UNet: encoder_hidden_states must be [B, tokens, cross_attention_dim]");
  FACEG2E_CHECK(down_residuals.empty() ||
                    static_cast<std::int64_t>(down_residuals.size()) == num_skip_connections(),
                "UNet: wrong number of ControlNet down residuals");
  const auto batch = sample_in.size(0);

  auto t = broadcast_timesteps(timesteps, batch, sample_in.device());
  auto t_emb = timestep_sinusoidal(t, config_.block_out_channels[0], config_.flip_sin_to_cos,
                                   config_.freq_shift)
                   .to(sample_in.scalar_type());
  record(ctx, "time_proj", t_emb);
  auto emb = time_embedding(t_emb);
  record(ctx, "time_embedding", emb);

  auto sample = config_.center_input_sample ? 2 * sample_in - 1.0 : sample_in;
  auto h = conv_in(sample);
  record(ctx, "conv_in", h);

  std::vector<torch::Tensor> res{h};
  for (size_t i = 0; i < down_.size(); ++i) {
    const size_t first = res.size();
    h = down_[i]->forward(h, emb, encoder_hidden_states, res, ctx);
    if (ctx.activations) {
      const auto prefix = down_[i]->path() + ".res_samples.";
      for (size_t k = first; k < res.size(); ++k)
        (*ctx.activations)[prefix + std::to_string(k - first)] = res[k];
    }
  }
  if (!down_residuals.empty()) {
    for (size_t i = 0; i < res.size(); ++i) res[i] = res[i] + down_residuals[i];
  }

  h = mid_block->forward(h, emb, encoder_hidden_states, ctx);
  if (mid_residual.defined()) h = h + mid_residual;

  for (size_t i = 0; i < up_.size(); ++i) {
    const auto consumed = up_[i]->num_layers();
    std::vector<std::int64_t> up_size;
    const auto remaining = static_cast<std::int64_t>(res.size()) - consumed;
    if (i + 1 < up_.size() && remaining > 0) {
      const auto& next = res[remaining - 1];
      up_size = {next.size(2), next.size(3)};
    }
    h = up_[i]->forward(h, res, emb, encoder_hidden_states, up_size, ctx);
  }

  h = conv_norm_out(h);
  record(ctx, "conv_norm_out", h);
  h = conv_out(torch::silu(h));
  record(ctx, "conv_out", h);
  return h;
}

UNet2DConditionModel make_unet(const ComponentWeights& weights, torch::Device device,
                               torch::ScalarType dtype) {
  UNet2DConditionModel model(UNetConfig::from_json(weights.config, weights.origin));
  // Move the empty model first so that load_into converts each tensor once, straight into place.
  model->to(device, dtype);
  load_into(*model, weights.tensors, "UNet (" + weights.origin + ")");
  model->eval();
  return model;
}

}  // namespace faceg2e::diffusion
