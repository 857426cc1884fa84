#pragma once
// Multi-head attention kernel shared by the UNet, ControlNet and VAE, and the opt-in capture of
// cross-attention probabilities that self-guided editing needs.
#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace faceg2e::diffusion {

struct AttentionParams {
  // Upper bound on the elements of one score matrix [B, heads, queries, keys] on the explicit
  // path; queries are processed in chunks so that no larger block is ever materialised.
  // 2^26 floats = 256 MiB (the full SD VAE mid-block at 512^2 has 4096^2 = 2^24 per image).
  std::int64_t max_score_elements = std::int64_t(1) << 26;
  // Use at::scaled_dot_product_attention when LibTorch >= 2 provides it (never when the
  // probabilities are requested: it cannot return them).
  bool allow_sdpa = true;
};

// Cross-attention probabilities recorded for every attn2 layer during one forward pass.
struct AttentionCapture {
  struct Layer {
    std::string name;    // e.g. "down_blocks.0.attentions.0.transformer_blocks.0.attn2"
    std::int64_t height = 0;
    std::int64_t width = 0;
    torch::Tensor probs;  // [B, H*W, keys] softmax probabilities averaged over heads (detached)
  };
  std::vector<Layer> layers;  // in call order
  void clear() { layers.clear(); }
  // First layer with that name, or nullptr.
  const Layer* find(const std::string& name) const;
};

// Attention over already projected tensors: q [B, Nq, heads*d], k/v [B, Nk, heads*d].
// Returns [B, Nq, heads*d]. `upcast` computes scores and softmax in float32 (diffusers'
// upcast_attention / upcast_softmax) when the inputs are half precision. When `head_mean_probs`
// is non-null the explicit path is used and it receives softmax(q k^T scale) averaged over heads,
// [B, Nq, Nk]. Never uses baddbmm (torch 1.13 beta=0 reads uninitialised memory).
torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, std::int64_t heads, double scale,
                                   bool upcast, const AttentionParams& params,
                                   torch::Tensor* head_mean_probs = nullptr);

}  // namespace faceg2e::diffusion
