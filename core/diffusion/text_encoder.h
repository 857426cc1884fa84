#pragma once
// transformers CLIPTextModel (the SD text encoder), registered with transformers' parameter
// names (text_model.embeddings.token_embedding.weight, text_model.encoder.layers.N.self_attn.
// q_proj.weight, ...), so load_into is a name-for-name copy. Plus TextConditioner: tokenizer +
// encoder + a small per-prompt cache of conditioning tensors.
#include <torch/nn.h>
#include <torch/types.h>

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/state_dict.h"
#include "core/diffusion/tokenizer.h"

namespace faceg2e::diffusion {

struct ClipTextConfig {
  std::int64_t vocab_size = 49408;
  std::int64_t hidden_size = 768;
  std::int64_t intermediate_size = 3072;
  std::int64_t num_hidden_layers = 12;
  std::int64_t num_attention_heads = 12;
  std::int64_t max_position_embeddings = 77;
  std::string hidden_act = "quick_gelu";  // "quick_gelu" (CLIP-L, SD1) | "gelu" (OpenCLIP, SD2)
  double layer_norm_eps = 1e-5;
  // 2 in older configs selects transformers' legacy pooling (argmax of the ids = first
  // 49407); otherwise the first position holding eos_token_id.
  std::int64_t eos_token_id = 2;

  static ClipTextConfig from_json(const nlohmann::json& config);  // throws faceg2e::Error
};

struct ClipTextOutput {
  torch::Tensor last_hidden_state;           // final_layer_norm(last layer)          [B,T,C]
  torch::Tensor pooler_output;               // last_hidden_state at the EOS position [B,C]
  std::vector<torch::Tensor> hidden_states;  // embeddings, then each layer's output  (L+1)
};

// Which text features condition the UNet.
enum class TextConditioning {
  LastHidden,          // SD1.x and diffusers folders: last_hidden_state
  PenultimateFinalLn,  // OpenCLIP single-file SD2.x: final_layer_norm(hidden_states[-2])
};

// The conditioning a checkpoint's pipeline uses: OpenCLIP single-file checkpoints (SD2.x) carry
// every OpenCLIP layer and condition on the penultimate one; diffusers / transformers folders
// already dropped that last layer (SD2 folders have 23 of 24), so they use last_hidden_state.
TextConditioning default_conditioning(const ModelInfo& info);

class ClipAttentionImpl : public torch::nn::Module {
 public:
  ClipAttentionImpl(std::int64_t hidden, std::int64_t heads);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& causal_mask);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, out_proj{nullptr};

 private:
  std::int64_t heads_;
};
TORCH_MODULE(ClipAttention);

class ClipMlpImpl : public torch::nn::Module {
 public:
  ClipMlpImpl(std::int64_t hidden, std::int64_t inner, std::string act);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};

 private:
  std::string act_;
};
TORCH_MODULE(ClipMlp);

class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipTextConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& causal_mask);
  torch::nn::LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
  ClipAttention self_attn{nullptr};
  ClipMlp mlp{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

class ClipTextEmbeddingsImpl : public torch::nn::Module {
 public:
  explicit ClipTextEmbeddingsImpl(const ClipTextConfig& c);
  torch::Tensor forward(const torch::Tensor& input_ids);
  torch::nn::Embedding token_embedding{nullptr}, position_embedding{nullptr};
};
TORCH_MODULE(ClipTextEmbeddings);

class ClipEncoderImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderImpl(const ClipTextConfig& c);
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(ClipEncoder);

// The module tree below "text_model".
class ClipTextTransformerImpl : public torch::nn::Module {
 public:
  explicit ClipTextTransformerImpl(const ClipTextConfig& c);
  ClipTextEmbeddings embeddings{nullptr};
  ClipEncoder encoder{nullptr};
  torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(ClipTextTransformer);

class ClipTextModelImpl : public torch::nn::Module {
 public:
  explicit ClipTextModelImpl(const ClipTextConfig& config);
  // input_ids [B,T] int64 (T <= max_position_embeddings). hidden_states are kept only when
  // asked (they cost L+1 activations).
  ClipTextOutput forward(const torch::Tensor& input_ids, bool output_hidden_states = false);
  // The conditioning tensor [B,T,C] for the UNet.
  torch::Tensor conditioning(const torch::Tensor& input_ids, TextConditioning mode);
  const ClipTextConfig& config() const { return config_; }

 private:
  ClipTextConfig config_;
  ClipTextTransformer text_model_{nullptr};
};
TORCH_MODULE(ClipTextModel);

// Builds the model from a component's config and copies its weights (float32 unless `dtype`).
ClipTextModel load_clip_text_model(const ComponentWeights& weights,
                                   torch::ScalarType dtype = torch::kFloat,
                                   torch::Device device = torch::kCPU);

// Tokenizer + encoder + an LRU cache of conditioning per prompt. Thread-safe.
class TextConditioner {
 public:
  TextConditioner(std::shared_ptr<ClipTokenizer> tokenizer, ClipTextModel encoder,
                  TextConditioning mode, std::size_t cache_capacity = 16);
  // [1, 77, C] conditioning of one prompt (cached; detached).
  torch::Tensor encode(const std::string& prompt);
  // [N, 77, C], one row per prompt, in order.
  torch::Tensor encode_batch(const std::vector<std::string>& prompts);
  // Frees the encoder; cached prompts stay available, others then throw faceg2e::Error.
  void release_encoder();
  bool has_encoder() const;
  const ClipTokenizer& tokenizer() const { return *tokenizer_; }
  TextConditioning mode() const { return mode_; }

 private:
  std::shared_ptr<ClipTokenizer> tokenizer_;
  ClipTextModel encoder_;
  TextConditioning mode_;
  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<std::pair<std::string, torch::Tensor>> lru_;  // front = most recent
  std::unordered_map<std::string, std::list<std::pair<std::string, torch::Tensor>>::iterator> index_;
};

}  // namespace faceg2e::diffusion
