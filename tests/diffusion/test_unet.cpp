// UNet, attention kernel, timestep embedding: float64 re-computations, finite differences and
// the sd-reference fixtures.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/diffusion/attention.h"
#include "core/diffusion/nn_blocks.h"
#include "core/diffusion/safetensors.h"
#include "core/diffusion/unet.h"
#include "core/util/error.h"

using namespace faceg2e::diffusion;
namespace fs = std::filesystem;

namespace {
const fs::path kSet = fs::path(FACEG2E_SHARED_DIR) / "fixtures/sd-reference";

ComponentWeights folder_weights(const fs::path& dir) {
  ComponentWeights w;
  std::ifstream in(dir / "config.json");
  w.config = nlohmann::json::parse(in);
  const auto f = SafetensorsFile::open(dir / "diffusion_pytorch_model.safetensors");
  for (const auto& n : f->names()) w.tensors[n] = f->load(n);
  w.origin = dir.filename().string();
  return w;
}

double max_rel(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max() / b.abs().max().to(torch::kDouble))
      .item<double>();
}

// A UNet small enough for float64 finite differences.
nlohmann::json tiny_config() {
  return {{"in_channels", 4},
          {"out_channels", 4},
          {"block_out_channels", {8, 16}},
          {"down_block_types", {"CrossAttnDownBlock2D", "DownBlock2D"}},
          {"up_block_types", {"UpBlock2D", "CrossAttnUpBlock2D"}},
          {"layers_per_block", 1},
          {"attention_head_dim", 2},
          {"cross_attention_dim", 6},
          {"norm_num_groups", 4}};
}
}  // namespace

TEST(Attention, ChunkedEqualsFloat64Reference) {
  torch::manual_seed(0);
  const int64_t b = 2, nq = 37, nk = 11, heads = 3, d = 4;
  const auto q = torch::randn({b, nq, heads * d}), k = torch::randn({b, nk, heads * d}),
             v = torch::randn({b, nk, heads * d});
  const double scale = 1.0 / std::sqrt(double(d));
  // float64 reference, head by head
  const auto qd = q.to(torch::kDouble).reshape({b, nq, heads, d}).permute({0, 2, 1, 3});
  const auto kd = k.to(torch::kDouble).reshape({b, nk, heads, d}).permute({0, 2, 1, 3});
  const auto vd = v.to(torch::kDouble).reshape({b, nk, heads, d}).permute({0, 2, 1, 3});
  const auto s = torch::matmul(qd, kd.transpose(-1, -2)) * scale;
  const auto p = torch::exp(s - std::get<0>(s.max(-1, true)));
  const auto probs = p / p.sum(-1, true);
  const auto want = torch::matmul(probs, vd).permute({0, 2, 1, 3}).reshape({b, nq, heads * d});

  AttentionParams whole;
  AttentionParams tiny;
  tiny.max_score_elements = b * heads * nk * 5;  // 5 queries per chunk
  tiny.allow_sdpa = false;
  torch::Tensor pm_whole, pm_tiny;
  const auto o1 = multi_head_attention(q, k, v, heads, scale, false, whole, &pm_whole);
  const auto o2 = multi_head_attention(q, k, v, heads, scale, false, tiny, &pm_tiny);
  const auto o3 = multi_head_attention(q, k, v, heads, scale, true, tiny);
  EXPECT_LT(max_rel(o1, want), 1e-6);
  EXPECT_LT(max_rel(o2, want), 1e-6);
  EXPECT_LT(max_rel(o3, want), 1e-6);
  EXPECT_LT(max_rel(pm_tiny, probs.mean(1)), 1e-6);
  EXPECT_LT(max_rel(pm_whole, probs.mean(1)), 1e-6);
  EXPECT_THROW(multi_head_attention(q, k, v, 5, scale, false, whole), faceg2e::Error);
}

TEST(UNetParts, TimestepEmbeddingMatchesFloat64) {
  const auto t = torch::tensor({0, 1, 500, 999}, torch::kLong);
  const int64_t dim = 32, half = 16;
  const auto emb = timestep_sinusoidal(t, dim, true, 0.0);
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < half; ++j) {
      const double f = std::exp(-std::log(10000.0) * j / half);
      const double arg = t[i].item<double>() * f;
      EXPECT_NEAR(emb[i][j].item<double>(), std::cos(arg), 2e-4);         // flip: cos first
      EXPECT_NEAR(emb[i][half + j].item<double>(), std::sin(arg), 2e-4);
    }
  }
}

TEST(UNet, ParameterNamesEqualDiffusersKeys) {
  const auto w = folder_weights(kSet / "models/unet_sd2");
  UNet2DConditionModel unet(UNetConfig::from_json(w.config, w.origin));
  std::set<std::string> mine, theirs;
  for (const auto& p : unet->named_parameters()) mine.insert(p.key());
  for (const auto& kv : w.tensors) theirs.insert(kv.first);
  EXPECT_EQ(mine, theirs);
}

TEST(UNet, Sd1FolderMatchesReferenceEps) {
  auto unet = make_unet(folder_weights(kSet / "models/unet_sd1"));
  const auto f = SafetensorsFile::open(kSet / "fixtures/unet_sd1_cfg.safetensors");
  torch::NoGradGuard ng;
  const auto ts = f->load("timesteps");
  for (int64_t i = 0; i < ts.numel(); ++i) {
    const auto t = ts[i].item<int64_t>();
    const auto eps = unet->forward(f->load("latent_model_input"), torch::tensor(t),
                                   f->load("encoder_hidden_states"));
    EXPECT_LT(max_rel(eps, f->load("t" + std::to_string(t) + ".eps")), 2e-5) << t;
  }
}

TEST(UNet, Sd2CaptureRecordsEveryCrossAttentionLayer) {
  auto unet = make_unet(folder_weights(kSet / "models/unet_sd2"));
  const auto cfg = SafetensorsFile::open(kSet / "fixtures/unet_sd2_cfg.safetensors");
  const auto f = SafetensorsFile::open(kSet / "fixtures/unet_sd2_attn2_probs.safetensors");
  torch::NoGradGuard ng;
  AttentionCapture cap;
  ForwardContext ctx;
  ctx.capture = &cap;
  const auto x = cfg->load("latent_model_input"), ehs = cfg->load("encoder_hidden_states");
  const auto with = unet->forward(x, f->load("timestep"), ehs, {}, {}, &ctx);
  const auto without = unet->forward(x, f->load("timestep"), ehs);
  EXPECT_TRUE(torch::allclose(with, without, 1e-6, 1e-6));  // capture does not change the output
  const auto layers = nlohmann::json::parse(f->metadata().at("layer_order"));
  ASSERT_EQ(cap.layers.size(), layers.size());
  for (const auto& l : layers) {
    const auto* got = cap.find(l.get<std::string>());
    ASSERT_NE(got, nullptr) << l;
    const auto ref = f->load(l.get<std::string>());
    EXPECT_EQ(got->height * got->width, ref.size(1));
    EXPECT_LT(max_rel(got->probs, ref), 2e-5) << l;
  }
}

TEST(UNet, GradientMatchesFiniteDifferences) {
  torch::manual_seed(3);
  UNet2DConditionModel unet(UNetConfig::from_json(tiny_config(), "tiny"));
  unet->to(torch::kDouble);
  unet->eval();
  auto x = torch::randn({1, 4, 8, 8}, torch::kDouble).requires_grad_(true);
  auto ehs = torch::randn({1, 5, 6}, torch::kDouble).requires_grad_(true);
  const auto r = torch::randn({1, 4, 8, 8}, torch::kDouble);
  const auto t = torch::tensor(250);
  auto loss = [&](const torch::Tensor& xx, const torch::Tensor& ee) {
    return (unet->forward(xx, t, ee) * r).sum();
  };
  loss(x, ehs).backward();
  torch::NoGradGuard ng;
  const double h = 1e-6;
  for (const auto& idx : std::vector<std::vector<int64_t>>{{0, 0, 0, 0}, {0, 2, 3, 5}, {0, 3, 7, 7}}) {
    auto xp = x.detach().clone(), xm = x.detach().clone();
    xp.index_put_({idx[0], idx[1], idx[2], idx[3]}, xp.index({idx[0], idx[1], idx[2], idx[3]}) + h);
    xm.index_put_({idx[0], idx[1], idx[2], idx[3]}, xm.index({idx[0], idx[1], idx[2], idx[3]}) - h);
    const double fd = (loss(xp, ehs.detach()) - loss(xm, ehs.detach())).item<double>() / (2 * h);
    EXPECT_NEAR(x.grad().index({idx[0], idx[1], idx[2], idx[3]}).item<double>(), fd, 1e-6 * (1 + std::abs(fd)));
  }
  auto ep = ehs.detach().clone(), em = ehs.detach().clone();
  ep.index_put_({0, 2, 3}, ep.index({0, 2, 3}) + h);
  em.index_put_({0, 2, 3}, em.index({0, 2, 3}) - h);
  const double fd = (loss(x.detach(), ep) - loss(x.detach(), em)).item<double>() / (2 * h);
  EXPECT_NEAR(ehs.grad().index({0, 2, 3}).item<double>(), fd, 1e-6 * (1 + std::abs(fd)));
}

TEST(UNet, OddLatentSizesAndBatchedTimesteps) {
  torch::manual_seed(4);
  UNet2DConditionModel unet(UNetConfig::from_json(tiny_config(), "tiny"));
  unet->eval();
  torch::NoGradGuard ng;
  const auto x = torch::randn({2, 4, 7, 9}), ehs = torch::randn({2, 5, 6});
  const auto out = unet->forward(x, torch::tensor({10, 900}), ehs);
  EXPECT_EQ(out.sizes(), x.sizes());
  // Row i of a batched call equals a single call at that row's timestep.
  const auto single = unet->forward(x.slice(0, 1, 2), torch::tensor(900), ehs.slice(0, 1, 2));
  EXPECT_LT(max_rel(out.slice(0, 1, 2), single), 1e-5);
}

TEST(UNet, ConfigErrorsNameTheField) {
  auto c = tiny_config();
  c["down_block_types"] = {"SimpleCrossAttnDownBlock2D", "DownBlock2D"};
  try {
    UNetConfig::from_json(c, "unet/config.json");
    FAIL();
  } catch (const faceg2e::Error& e) {
    EXPECT_NE(std::string(e.what()).find("down_block_types"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("unet/config.json"), std::string::npos);
  }
  c = tiny_config();
  c.erase("block_out_channels");
  EXPECT_THROW(UNetConfig::from_json(c, "x"), faceg2e::Error);
  c = tiny_config();
  c["attention_head_dim"] = 3;  // does not divide 8
  EXPECT_THROW(UNetConfig::from_json(c, "x"), faceg2e::Error);
  c = tiny_config();
  c["class_embed_type"] = "timestep";
  EXPECT_THROW(UNetConfig::from_json(c, "x"), faceg2e::Error);
  // Wrong weights: load_into must refuse (shape mismatch) rather than run.
  auto w = folder_weights(kSet / "models/unet_sd1");
  w.config = tiny_config();
  EXPECT_THROW(make_unet(w), faceg2e::Error);
}
