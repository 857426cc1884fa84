// ControlNet: residual layout and the reference fixture (residuals and eps with control).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/diffusion/controlnet.h"
#include "core/diffusion/safetensors.h"
#include "core/diffusion/unet.h"

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
}  // namespace

TEST(ControlNet, ResidualsAndControlledEpsMatchReference) {
  auto unet = make_unet(folder_weights(kSet / "models/unet_sd1"));
  auto cn = make_controlnet(folder_weights(kSet / "models/controlnet_sd1"));
  const auto f = SafetensorsFile::open(kSet / "fixtures/controlnet_sd1.safetensors");
  torch::NoGradGuard ng;
  const auto x = f->load("latent_model_input"), ehs = f->load("encoder_hidden_states");
  const auto ts = f->load("timesteps");
  for (int64_t i = 0; i < ts.numel(); ++i) {
    const auto t = ts[i].item<int64_t>();
    const auto g = "t" + std::to_string(t);
    const auto out = cn->forward(x, torch::tensor(t), ehs, f->load("controlnet_cond"),
                                 f->load("conditioning_scale").item<double>());
    ASSERT_EQ(static_cast<int64_t>(out.down_residuals.size()), unet->num_skip_connections());
    for (size_t k = 0; k < out.down_residuals.size(); ++k)
      EXPECT_LT(max_rel(out.down_residuals[k], f->load(g + ".down_block_res_samples." + std::to_string(k))), 2e-5);
    EXPECT_LT(max_rel(out.mid_residual, f->load(g + ".mid_block_res_sample")), 2e-5);
    const auto eps = unet->forward(x, torch::tensor(t), ehs, out.down_residuals, out.mid_residual);
    EXPECT_LT(max_rel(eps, f->load(g + ".eps_with_control")), 2e-5);
    // The residuals matter: without them the output is the other reference.
    EXPECT_GT(max_rel(eps, f->load(g + ".eps_without_control")), 1e-3);
  }
}

TEST(ControlNet, ConditioningScaleScalesEveryResidual) {
  auto cn = make_controlnet(folder_weights(kSet / "models/controlnet_sd1"));
  torch::manual_seed(6);
  torch::NoGradGuard ng;
  const auto x = torch::randn({1, 4, 8, 8}), ehs = torch::randn({1, 77, 32}), hint = torch::rand({1, 3, 64, 64});
  const auto a = cn->forward(x, torch::tensor(100), ehs, hint, 1.0);
  const auto b = cn->forward(x, torch::tensor(100), ehs, hint, 0.5);
  for (size_t k = 0; k < a.down_residuals.size(); ++k)
    EXPECT_TRUE(torch::allclose(b.down_residuals[k] * 2, a.down_residuals[k], 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(b.mid_residual * 2, a.mid_residual, 1e-6, 1e-7));
}
