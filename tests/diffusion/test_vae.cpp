// AutoencoderKL: reference fixture (posterior, decode, gradients) and float64 finite differences.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/diffusion/safetensors.h"
#include "core/diffusion/vae.h"
#include "core/util/error.h"

using namespace faceg2e::diffusion;
namespace fs = std::filesystem;

namespace {
const fs::path kSet = fs::path(FACEG2E_SHARED_DIR) / "fixtures/sd-reference";

AutoencoderKL reference_vae() {
  ComponentWeights w;
  std::ifstream in(kSet / "models/vae/config.json");
  w.config = nlohmann::json::parse(in);
  const auto f = SafetensorsFile::open(kSet / "models/vae/diffusion_pytorch_model.safetensors");
  for (const auto& n : f->names()) w.tensors[n] = f->load(n);
  w.origin = "models/vae";
  return make_vae(w);
}

double max_rel(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max() / b.abs().max().to(torch::kDouble))
      .item<double>();
}
}  // namespace

TEST(Vae, PosteriorAndDecodeMatchReference) {
  auto vae = reference_vae();
  const auto f = SafetensorsFile::open(kSet / "fixtures/vae.safetensors");
  torch::NoGradGuard ng;
  const auto post = vae->encode(f->load("image"));
  EXPECT_LT(max_rel(post.mean, f->load("posterior_mean")), 2e-5);
  EXPECT_LT(max_rel(post.logvar, f->load("posterior_logvar")), 2e-5);
  EXPECT_LT(max_rel(post.sample(f->load("sample_eps")), f->load("posterior_sample")), 2e-5);
  EXPECT_LT(max_rel(vae->decode(f->load("latents")), f->load("decoded")), 2e-5);
  EXPECT_NEAR(vae->scaling_factor(), f->load("scaling_factor").item<double>(), 1e-7);
}

TEST(Vae, EncoderGradientMatchesReference) {
  auto vae = reference_vae();
  const auto f = SafetensorsFile::open(kSet / "fixtures/vae.safetensors");
  auto img = f->load("image").requires_grad_(true);
  (vae->encode(img).sample(f->load("sample_eps")) * f->load("R_mean")).sum().backward();
  EXPECT_LT(max_rel(img.grad(), f->load("grad_image_sample")), 2e-5);
}

TEST(Vae, LogvarIsClamped) {
  LatentDistribution d{torch::zeros({1, 1, 1, 2}), torch::clamp(torch::tensor({-100.0f, 100.0f}).reshape({1, 1, 1, 2}), -30.0, 20.0)};
  EXPECT_FLOAT_EQ(d.logvar.min().item<float>(), -30.0f);
  EXPECT_NEAR(d.std().max().item<double>(), std::exp(10.0), 1e-2);
}

TEST(Vae, DecoderGradientMatchesFiniteDifferences) {
  torch::manual_seed(5);
  const nlohmann::json cfg = {{"block_out_channels", {8, 8}}, {"layers_per_block", 1},
                              {"norm_num_groups", 4}, {"latent_channels", 2}};
  AutoencoderKL vae(VaeConfig::from_json(cfg, "tiny vae"));
  vae->to(torch::kDouble);
  auto z = torch::randn({1, 2, 3, 3}, torch::kDouble).requires_grad_(true);
  const auto r = torch::randn({1, 3, 6, 6}, torch::kDouble);
  (vae->decode(z) * r).sum().backward();
  torch::NoGradGuard ng;
  const double h = 1e-6;
  for (int64_t c = 0; c < 2; ++c) {
    auto zp = z.detach().clone(), zm = z.detach().clone();
    zp.index_put_({0, c, 1, 2}, zp.index({0, c, 1, 2}) + h);
    zm.index_put_({0, c, 1, 2}, zm.index({0, c, 1, 2}) - h);
    const double fd = ((vae->decode(zp) * r).sum() - (vae->decode(zm) * r).sum()).item<double>() / (2 * h);
    EXPECT_NEAR(z.grad().index({0, c, 1, 2}).item<double>(), fd, 1e-6 * (1 + std::abs(fd)));
  }
  EXPECT_THROW(VaeConfig::from_json(nlohmann::json{{"layers_per_block", 1}}, "vae/config.json"), faceg2e::Error);
  EXPECT_THROW(vae->decode(torch::zeros({1, 3, 2, 2}, torch::kDouble)), faceg2e::Error);
}
