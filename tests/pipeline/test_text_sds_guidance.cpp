// The product's text-SDS objective (guidance::TextSdsGuidance, the class the geometry and texture
// stages use) against the reference SDS fixture: with the fixture's latents, noise, timesteps and
// prompt embeddings, the gradient that reaches the latent through the returned loss must be the
// reference's (1 - acp[t]) (eps_hat - noise). A flipped sign, a wrong weight or a wrong guidance
// form fails.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/safetensors.h"
#include "core/guidance/text_sds.h"
#include "tests/common/shared_dir.h"

using namespace faceg2e;

namespace {

const std::filesystem::path kSet = faceg2e::testing::shared_dir() / "fixtures/sd-reference";

std::shared_ptr<guidance::TextSdsGuidance> fixture_guidance(double scale) {
  const auto f = diffusion::SafetensorsFile::open(kSet / "fixtures/sds_sd1.safetensors");
  auto unet = diffusion::make_unet(
      diffusion::load_component(kSet / "models/unet_sd1", diffusion::Component::UNet));
  const torch::Tensor emb = f->load("encoder_hidden_states");  // [text, uncond]
  guidance::PromptEmbeddings prompts;
  for (auto& c : prompts.cond) c = emb.slice(0, 0, 1);
  prompts.uncond = emb.slice(0, 1, 2);
  guidance::TextSdsParams params;
  params.guidance_scale = scale;
  return std::make_shared<guidance::TextSdsGuidance>(params, unet, std::nullopt, nullptr, prompts);
}

}  // namespace

TEST(TextSdsGuidance, GradientMatchesReferenceFixture) {
  const auto f = diffusion::SafetensorsFile::open(kSet / "fixtures/sds_sd1.safetensors");
  auto g = fixture_guidance(f->load("guidance_scale").item<double>());
  const torch::Tensor z0 = f->load("z0"), noise = f->load("noise"), ts = f->load("timesteps");
  for (int64_t i = 0; i < ts.numel(); ++i) {
    const std::string c = "case" + std::to_string(i);
    torch::Tensor z = z0.slice(0, i, i + 1).clone().requires_grad_(true);
    guidance::GuidanceStep step;
    step.t = static_cast<int>(ts[i].item<int64_t>());
    step.noise = noise.slice(0, i, i + 1);
    guidance::GuidanceResult r = g->compute(z, /*input_is_latent=*/true, step);
    r.loss.backward();
    const torch::Tensor ref = f->load(c + ".grad");
    const double tol = 1e-4 * ref.abs().max().item<double>() + 1e-6;
    EXPECT_LE((z.grad() - ref).abs().max().item<double>(), tol) << c << " t=" << step.t;
    // The report is the mean squared SDS residual of that gradient.
    EXPECT_NEAR(r.report.item<double>(), ref.pow(2).mean().item<double>(),
                1e-3 * ref.pow(2).mean().item<double>());
  }
}

// A batch of two identical samples gets the batch-mean gradient: each sample half of it.
TEST(TextSdsGuidance, BatchGradientIsTheMean) {
  const auto f = diffusion::SafetensorsFile::open(kSet / "fixtures/sds_sd1.safetensors");
  auto g = fixture_guidance(f->load("guidance_scale").item<double>());
  torch::Tensor z = f->load("z0").slice(0, 0, 1).repeat({2, 1, 1, 1}).requires_grad_(true);
  guidance::GuidanceStep step;
  step.t = static_cast<int>(f->load("timesteps")[0].item<int64_t>());
  step.noise = f->load("noise").slice(0, 0, 1).repeat({2, 1, 1, 1});
  g->compute(z, true, step).loss.backward();
  const torch::Tensor ref = f->load("case0.grad");
  const double tol = 1e-4 * ref.abs().max().item<double>() + 1e-6;
  EXPECT_LE((z.grad()[0] - 0.5 * ref[0]).abs().max().item<double>(), tol);
  EXPECT_LE((z.grad()[1] - 0.5 * ref[0]).abs().max().item<double>(), tol);
}
