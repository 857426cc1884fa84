// Guidance arithmetic: hand-computed values, autograd of the surrogate loss, the SDS fixture.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/diffusion/safetensors.h"
#include "core/diffusion/sds.h"

using namespace faceg2e::diffusion;

TEST(Sds, GuidanceFormsOnKnownValues) {
  const auto text = torch::tensor({1.0f, 2.0f}), uncond = torch::tensor({0.5f, 3.0f});
  // text + s (text - uncond), s = 10
  EXPECT_TRUE(torch::allclose(guided_eps_sds(text, uncond, 10), torch::tensor({6.0f, -8.0f})));
  // uncond + s (text - uncond)
  EXPECT_TRUE(torch::allclose(guided_eps_cfg(text, uncond, 10), torch::tensor({5.5f, -7.0f})));
  const auto batch = torch::stack({text, uncond});
  auto [t1, u1] = split_cfg_batch(batch, CfgBatchOrder::TextFirst);
  EXPECT_TRUE(torch::equal(t1, text.unsqueeze(0)));
  auto [t2, u2] = split_cfg_batch(batch, CfgBatchOrder::UncondFirst);
  EXPECT_TRUE(torch::equal(t2, uncond.unsqueeze(0)));
  EXPECT_TRUE(torch::equal(u2, text.unsqueeze(0)));
}

TEST(Sds, InstructPix2PixThreeWay) {
  // rows: text+img = 3, uncond+img = 2, uncond = 1; s_T = 7.5, s_I = 1.5
  const auto eps = torch::tensor({3.0f, 2.0f, 1.0f}).reshape({3, 1});
  const auto g = guided_eps_ip2p(eps, 7.5, 1.5);
  EXPECT_FLOAT_EQ(g.item<float>(), 1.0f + 7.5f * 1.0f + 1.5f * 1.0f);
  const auto z = torch::full({1, 4, 2, 2}, 5.0f), img = torch::full({1, 4, 2, 2}, 7.0f);
  const auto in = ip2p_model_input(z, img);
  ASSERT_EQ(in.sizes(), (std::vector<int64_t>{3, 8, 2, 2}));
  EXPECT_TRUE((in.slice(1, 0, 4) == 5).all().item<bool>());
  EXPECT_TRUE((in.slice(0, 0, 2).slice(1, 4) == 7).all().item<bool>());
  EXPECT_TRUE((in.slice(0, 2, 3).slice(1, 4) == 0).all().item<bool>());
}

TEST(Sds, GradientWeightAndSurrogateLoss) {
  const auto acp = torch::tensor({0.25f, 0.5f});
  const auto w = sds_weight(acp);
  EXPECT_TRUE(torch::allclose(w, torch::tensor({0.75f, 0.5f})));
  const auto eps_hat = torch::ones({2, 1, 2, 2}), noise = torch::zeros({2, 1, 2, 2});
  const auto g = sds_gradient(eps_hat, noise, w);
  EXPECT_FLOAT_EQ(g[0].max().item<float>(), 0.75f);
  EXPECT_FLOAT_EQ(g[1].min().item<float>(), 0.5f);
  auto lat = torch::randn({2, 1, 2, 2}).requires_grad_(true);
  sds_surrogate_loss(lat, g).backward();
  EXPECT_TRUE(torch::allclose(lat.grad(), g));
}

TEST(Sds, ReferenceFixtureArithmetic) {
  const auto f = SafetensorsFile::open(std::filesystem::path(FACEG2E_SHARED_DIR) /
                                       "fixtures/sd-reference/fixtures/sds_sd1.safetensors");
  const double s = f->load("guidance_scale").item<double>();
  const auto w = sds_weight(f->load("alphas_cumprod_t"));
  EXPECT_TRUE(torch::allclose(w, f->load("w"), 0, 1e-7));
  const auto n = f->load("timesteps").numel();
  for (int64_t i = 0; i < n; ++i) {
    const auto c = "case" + std::to_string(i);
    const auto eh = guided_eps_sds(f->load(c + ".eps_text"), f->load(c + ".eps_uncond"), s);
    const auto ref = f->load(c + ".eps_hat");
    EXPECT_LE((eh - ref).abs().max().item<double>(), 1e-4 * ref.abs().max().item<double>()) << c;
    const auto g = sds_gradient(ref, f->load("noise").slice(0, i, i + 1), w.slice(0, i, i + 1));
    const auto gref = f->load(c + ".grad");
    EXPECT_LE((g - gref).abs().max().item<double>(), 2e-5 * gref.abs().max().item<double>()) << c;
  }
}
