#include "core/diffusion/attention.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>

#include "core/util/error.h"

namespace faceg2e::diffusion {

const AttentionCapture::Layer* AttentionCapture::find(const std::string& name) const {
  for (const auto& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

namespace {

// [B, N, heads*d] -> [B, heads, N, d]
torch::Tensor split_heads(const torch::Tensor& x, std::int64_t heads) {
  const auto b = x.size(0), n = x.size(1), c = x.size(2);
  return x.reshape({b, n, heads, c / heads}).permute({0, 2, 1, 3});
}

// [B, heads, N, d] -> [B, N, heads*d]
torch::Tensor merge_heads(const torch::Tensor& x) {
  const auto b = x.size(0), h = x.size(1), n = x.size(2), d = x.size(3);
  return x.permute({0, 2, 1, 3}).reshape({b, n, h * d});
}

bool is_half(torch::ScalarType t) { return t == torch::kHalf || t == torch::kBFloat16; }

}  // namespace

torch::Tensor multi_head_attention(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, std::int64_t heads, double scale,
                                   bool upcast, const AttentionParams& params,
                                   torch::Tensor* head_mean_probs) {
  FACEG2E_CHECK(q.dim() == 3 && k.dim() == 3 && v.dim() == 3, "attention: q/k/v must be [B, N, C]");
  FACEG2E_CHECK(heads > 0 && q.size(2) % heads == 0, "attention: channels not divisible by heads");
  FACEG2E_CHECK(k.size(0) == q.size(0) && v.size(0) == q.size(0) && k.size(1) == v.size(1),
                "attention: batch / key length mismatch");
  const auto qh = split_heads(q, heads);
  const auto kh = split_heads(k, heads);
  const auto vh = split_heads(v, heads);

#if TORCH_VERSION_MAJOR >= 2
  if (params.allow_sdpa && head_mean_probs == nullptr) {
    // The fused kernels accumulate scores and softmax in float32 internally, which is what
    // upcast_attention asks for. scale = d^-0.5 is their default; other scales go explicit.
    const double default_scale = 1.0 / std::sqrt(static_cast<double>(qh.size(3)));
    if (std::abs(scale - default_scale) <= 1e-12 * default_scale)
      return merge_heads(at::scaled_dot_product_attention(qh, kh, vh));
  }
#endif

  const auto out_dtype = q.scalar_type();
  const bool up = upcast && is_half(out_dtype);
  const auto kt = (up ? kh.to(torch::kFloat) : kh).transpose(-1, -2);
  const std::int64_t b = qh.size(0), nq = qh.size(2), nk = kh.size(2);
  const std::int64_t per_query = std::max<std::int64_t>(1, b * heads * nk);
  const std::int64_t chunk =
      std::max<std::int64_t>(1, std::min<std::int64_t>(nq, params.max_score_elements / per_query));

  std::vector<torch::Tensor> outs, probs;
  for (std::int64_t s = 0; s < nq; s += chunk) {
    const auto qs = qh.slice(2, s, std::min(nq, s + chunk));
    auto scores = torch::matmul(up ? qs.to(torch::kFloat) : qs, kt) * scale;
    auto p = scores.softmax(-1);
    if (head_mean_probs) probs.push_back(p.detach().mean(1).to(torch::kFloat));
    outs.push_back(torch::matmul(p.to(out_dtype), vh));
  }
  if (head_mean_probs) *head_mean_probs = probs.size() == 1 ? probs[0] : torch::cat(probs, 1);
  return merge_heads(outs.size() == 1 ? outs[0] : torch::cat(outs, 2));
}

}  // namespace faceg2e::diffusion
