#include "core/diffusion/text_encoder.h"

#include <torch/torch.h>

#include <cmath>

#include "core/util/error.h"

namespace faceg2e::diffusion {
namespace {

std::int64_t get_int(const nlohmann::json& j, const char* key, std::int64_t fallback, bool required) {
  if (!j.contains(key) || j[key].is_null()) {
    if (required) throw Error(std::string("text encoder config: missing '") + key + "'");
    return fallback;
  }
  if (!j[key].is_number_integer()) throw Error(std::string("text encoder config: '") + key + "' is not an integer");
  return j[key].get<std::int64_t>();
}

}  // namespace

ClipTextConfig ClipTextConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw Error("text encoder config is not a JSON object");
  ClipTextConfig c;
  c.vocab_size = get_int(j, "vocab_size", c.vocab_size, false);
  c.hidden_size = get_int(j, "hidden_size", 0, true);
  c.intermediate_size = get_int(j, "intermediate_size", 0, true);
  c.num_hidden_layers = get_int(j, "num_hidden_layers", 0, true);
  c.num_attention_heads = get_int(j, "num_attention_heads", 0, true);
  c.max_position_embeddings = get_int(j, "max_position_embeddings", c.max_position_embeddings, false);
  c.eos_token_id = get_int(j, "eos_token_id", c.eos_token_id, false);
  if (j.contains("hidden_act") && j["hidden_act"].is_string()) c.hidden_act = j["hidden_act"].get<std::string>();
  if (j.contains("layer_norm_eps") && j["layer_norm_eps"].is_number()) c.layer_norm_eps = j["layer_norm_eps"].get<double>();
  if (c.hidden_act != "quick_gelu" && c.hidden_act != "gelu")
    throw Error("text encoder config: unsupported hidden_act '" + c.hidden_act + "' (quick_gelu or gelu)");
  if (c.hidden_size <= 0 || c.num_attention_heads <= 0 || c.hidden_size % c.num_attention_heads != 0)
    throw Error("text encoder config: hidden_size " + std::to_string(c.hidden_size) +
                " is not divisible by num_attention_heads " + std::to_string(c.num_attention_heads));
  if (c.num_hidden_layers <= 0 || c.intermediate_size <= 0 || c.vocab_size <= 0 || c.max_position_embeddings <= 0)
    throw Error("text encoder config: sizes must be positive");
  return c;
}

ClipAttentionImpl::ClipAttentionImpl(std::int64_t hidden, std::int64_t heads) : heads_(heads) {
  q_proj = register_module("q_proj", torch::nn::Linear(hidden, hidden));
  k_proj = register_module("k_proj", torch::nn::Linear(hidden, hidden));
  v_proj = register_module("v_proj", torch::nn::Linear(hidden, hidden));
  out_proj = register_module("out_proj", torch::nn::Linear(hidden, hidden));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& causal_mask) {
  const auto b = x.size(0), t = x.size(1), c = x.size(2);
  const auto d = c / heads_;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  // [B,T,C] -> [B,H,T,D]; the query is scaled before the product, as transformers does.
  auto q = (q_proj(x) * scale).view({b, t, heads_, d}).transpose(1, 2);
  auto k = k_proj(x).view({b, t, heads_, d}).transpose(1, 2);
  auto v = v_proj(x).view({b, t, heads_, d}).transpose(1, 2);
  auto w = torch::matmul(q, k.transpose(-1, -2));
  w = w.masked_fill(causal_mask, -std::numeric_limits<float>::infinity());
  // Softmax in float32 even for half weights (transformers upcasts nothing here, but fp16
  // softmax over 77 keys is where half precision loses most).
  auto p = torch::softmax(w.to(torch::kFloat), -1).to(v.scalar_type());
  auto o = torch::matmul(p, v).transpose(1, 2).reshape({b, t, c});
  return out_proj(o);
}

ClipMlpImpl::ClipMlpImpl(std::int64_t hidden, std::int64_t inner, std::string act) : act_(std::move(act)) {
  fc1 = register_module("fc1", torch::nn::Linear(hidden, inner));
  fc2 = register_module("fc2", torch::nn::Linear(inner, hidden));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) {
  auto h = fc1(x);
  if (act_ == "quick_gelu")
    h = h * torch::sigmoid(1.702 * h);
  else
    h = torch::gelu(h);  // exact (erf) GELU, transformers' "gelu"
  return fc2(h);
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextConfig& c) {
  const auto ln = torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps);
  self_attn = register_module("self_attn", ClipAttention(c.hidden_size, c.num_attention_heads));
  layer_norm1 = register_module("layer_norm1", torch::nn::LayerNorm(ln));
  mlp = register_module("mlp", ClipMlp(c.hidden_size, c.intermediate_size, c.hidden_act));
  layer_norm2 = register_module("layer_norm2", torch::nn::LayerNorm(ln));
}

torch::Tensor ClipEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& causal_mask) {
  auto h = x + self_attn(layer_norm1(x), causal_mask);
  return h + mlp(layer_norm2(h));
}

ClipTextEmbeddingsImpl::ClipTextEmbeddingsImpl(const ClipTextConfig& c) {
  token_embedding = register_module("token_embedding", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  position_embedding =
      register_module("position_embedding", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
}

torch::Tensor ClipTextEmbeddingsImpl::forward(const torch::Tensor& input_ids) {
  const auto t = input_ids.size(1);
  const auto positions = torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(input_ids.device()));
  return token_embedding(input_ids) + position_embedding(positions).unsqueeze(0);
}

ClipEncoderImpl::ClipEncoderImpl(const ClipTextConfig& c) {
  layers = register_module("layers", torch::nn::ModuleList());
  for (std::int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(ClipEncoderLayer(c));
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig& c) {
  embeddings = register_module("embeddings", ClipTextEmbeddings(c));
  encoder = register_module("encoder", ClipEncoder(c));
  final_layer_norm = register_module(
      "final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps)));
}

ClipTextModelImpl::ClipTextModelImpl(const ClipTextConfig& config) : config_(config) {
  text_model_ = register_module("text_model", ClipTextTransformer(config));
}

ClipTextOutput ClipTextModelImpl::forward(const torch::Tensor& input_ids_in, bool output_hidden_states) {
  FACEG2E_CHECK(input_ids_in.dim() == 2, "input_ids must be [batch, tokens]");
  const auto t = input_ids_in.size(1);
  if (t > config_.max_position_embeddings)
    throw Error("text encoder: " + std::to_string(t) + " tokens exceed max_position_embeddings " +
                std::to_string(config_.max_position_embeddings));
  const auto device = text_model_->final_layer_norm->weight.device();
  const auto input_ids = input_ids_in.to(device, torch::kLong);
  if (input_ids.numel() &&
      (input_ids.min().item<std::int64_t>() < 0 || input_ids.max().item<std::int64_t>() >= config_.vocab_size))
    throw Error("text encoder: token id outside the vocabulary");

  ClipTextOutput out;
  auto h = text_model_->embeddings(input_ids);
  // True above the diagonal: position i may not attend to j > i.
  const auto causal = torch::ones({t, t}, torch::TensorOptions().dtype(torch::kBool).device(device)).triu(1);
  if (output_hidden_states) out.hidden_states.push_back(h);
  for (const auto& layer : *text_model_->encoder->layers) {
    h = layer->as<ClipEncoderLayer>()->forward(h, causal);
    if (output_hidden_states) out.hidden_states.push_back(h);
  }
  out.last_hidden_state = text_model_->final_layer_norm(h);

  torch::Tensor eos_pos;
  if (config_.eos_token_id == 2)
    eos_pos = input_ids.argmax(-1);  // legacy rule: the highest id is <|endoftext|>
  else
    eos_pos = input_ids.eq(config_.eos_token_id).to(torch::kInt).argmax(-1);
  const auto rows = torch::arange(input_ids.size(0), torch::TensorOptions().dtype(torch::kLong).device(device));
  out.pooler_output = out.last_hidden_state.index({rows, eos_pos});
  return out;
}

torch::Tensor ClipTextModelImpl::conditioning(const torch::Tensor& input_ids, TextConditioning mode) {
  if (mode == TextConditioning::LastHidden) return forward(input_ids, false).last_hidden_state;
  auto out = forward(input_ids, true);
  const auto& hs = out.hidden_states;
  FACEG2E_CHECK(hs.size() >= 2, "penultimate conditioning needs at least one layer");
  return text_model_->final_layer_norm(hs[hs.size() - 2]);
}

TextConditioning default_conditioning(const ModelInfo& info) {
  const bool single_file =
      info.format == CheckpointFormat::LdmSingleFile || info.format == CheckpointFormat::LllyasvielControlNet;
  return single_file && info.text_encoder == TextEncoderFlavour::OpenClip ? TextConditioning::PenultimateFinalLn
                                                                          : TextConditioning::LastHidden;
}

ClipTextModel load_clip_text_model(const ComponentWeights& weights, torch::ScalarType dtype, torch::Device device) {
  ClipTextModel model(ClipTextConfig::from_json(weights.config));
  model->to(device, dtype);
  load_into(*model, weights.tensors, "text encoder (" + weights.origin + ")");
  model->eval();
  return model;
}

TextConditioner::TextConditioner(std::shared_ptr<ClipTokenizer> tokenizer, ClipTextModel encoder,
                                 TextConditioning mode, std::size_t cache_capacity)
    : tokenizer_(std::move(tokenizer)), encoder_(std::move(encoder)), mode_(mode),
      capacity_(std::max<std::size_t>(1, cache_capacity)) {
  FACEG2E_CHECK(tokenizer_ != nullptr, "TextConditioner needs a tokenizer");
}

torch::Tensor TextConditioner::encode(const std::string& prompt) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = index_.find(prompt);
  if (it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  if (encoder_.is_empty()) throw Error("text encoder was released; cannot encode a new prompt");
  const auto ids = tokenizer_->encode_padded(prompt);
  const auto id_tensor = torch::tensor(ids, torch::kLong).unsqueeze(0);
  torch::NoGradGuard no_grad;
  auto cond = encoder_->conditioning(id_tensor, mode_).detach();
  lru_.emplace_front(prompt, cond);
  index_[prompt] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return cond;
}

torch::Tensor TextConditioner::encode_batch(const std::vector<std::string>& prompts) {
  std::vector<torch::Tensor> rows;
  rows.reserve(prompts.size());
  for (const auto& p : prompts) rows.push_back(encode(p));
  return torch::cat(rows, 0);
}

void TextConditioner::release_encoder() {
  std::lock_guard<std::mutex> lock(mutex_);
  encoder_ = ClipTextModel(nullptr);
}

bool TextConditioner::has_encoder() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !encoder_.is_empty();
}

}  // namespace faceg2e::diffusion
