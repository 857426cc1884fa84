// The product's InstructPix2Pix SDS on the tiny fixture model: its gradient against the reference
// (diffusers) three-way guidance fixture, the word -> token mapping, the cross-attention maps it
// returns, and the condition-latent cache.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/diffusion/safetensors.h"
#include "core/diffusion/scheduler.h"
#include "core/diffusion/tokenizer.h"
#include "core/guidance/ip2p_sds.h"
#include "core/util/error.h"
#include "tests/edit/edit_fixture.h"

using namespace faceg2e::guidance;
using faceg2e::pipeline::testing::sd_reference;

namespace {

const char* kInstruction = "make her lips red";  // the fixture's edit prompt

std::shared_ptr<faceg2e::diffusion::SafetensorsFile> fixture() {
  return faceg2e::diffusion::SafetensorsFile::open(sd_reference() / "fixtures" /
                                                   "ip2p.safetensors");
}

LoadedIp2p load(const std::vector<std::string>& words, double text_scale, double image_scale) {
  Ip2pLoadOptions o;
  o.checkpoint = sd_reference() / "checkpoints" / "ip2p_ldm.safetensors";
  o.instruction = kInstruction;
  o.words = words;
  o.params.text_scale = text_scale;
  o.params.image_scale = image_scale;
  o.params.vae_image_size = 128;  // the fixture image is 128^2 <-> 16^2 latents
  return load_ip2p_sds(o);
}

}  // namespace

TEST(Ip2pSds, GradientMatchesTheReferenceFixture) {
  auto f = fixture();
  const double sT = f->load("text_guidance_scale").item<double>();
  const double sI = f->load("image_guidance_scale").item<double>();
  LoadedIp2p m = load({}, sT, sI);
  const torch::Tensor image01 = (f->load("image") + 1.0) / 2.0;
  const torch::Tensor noise = f->load("noise");
  const faceg2e::diffusion::NoiseSchedule schedule;  // the fixture's SD 1.5 schedule
  const torch::Tensor timesteps = f->load("timesteps");
  for (int64_t k = 0; k < timesteps.numel(); ++k) {
    const int t = static_cast<int>(timesteps[k].item<int64_t>());
    const std::string c = "t" + std::to_string(t);
    torch::Tensor z = f->load("z0").clone().requires_grad_(true);
    GuidanceStep step;
    step.t = t;
    step.noise = noise;
    step.render_condition = [&] { return image01; };
    GuidanceResult r = m.guidance->compute(z, true, step);
    r.loss.backward();
    // Reference: grad = (1 - alphas_cumprod[t]) (eps_guided - noise), batch of one.
    const double w = 1.0 - schedule.alpha_cumprod(t);
    const torch::Tensor expected = w * (f->load(c + ".eps_guided") - noise);
    const double scale = expected.abs().max().item<double>();
    const double err = (z.grad() - expected).abs().max().item<double>();
    EXPECT_LT(err, 2e-3 * scale) << c << ": max |grad - ref| " << err << " of max |ref| " << scale;
    // A flipped sign or a missing w(t) is far outside that tolerance.
    EXPECT_GT((z.grad() + expected).abs().max().item<double>(), 0.5 * scale);
    if (w < 0.9) EXPECT_GT((z.grad() - expected / w).abs().max().item<double>(), 0.05 * scale);
    const double report = r.report.item<double>();
    EXPECT_NEAR(report, (expected * expected).mean().item<double>(), 1e-2 * report + 1e-12);
  }
}

TEST(Ip2pSds, WordsMapToTokenIndices) {
  auto tok = faceg2e::diffusion::ClipTokenizer::from_folder(sd_reference() / "tokenizer");
  EXPECT_EQ(edit_token_indices(*tok, kInstruction, {"lips"}, std::nullopt), std::vector<int>{3});
  EXPECT_EQ(edit_token_indices(*tok, kInstruction, {"lips", "red"}, std::nullopt),
            (std::vector<int>{3, 4}));
  EXPECT_EQ(edit_token_indices(*tok, kInstruction, {}, 2), std::vector<int>{2});
  // A word of several tokens gives all of them.
  const auto multi =
      edit_token_indices(*tok, "give him a moustachio", {"moustachio"}, std::nullopt);
  EXPECT_GE(multi.size(), 2u);
  EXPECT_THROW(edit_token_indices(*tok, kInstruction, {"nose"}, std::nullopt), faceg2e::Error);
  EXPECT_THROW(edit_token_indices(*tok, kInstruction, {}, 9), faceg2e::Error);
}

TEST(Ip2pSds, AttentionMapsOfTheEditedWord) {
  auto f = fixture();
  const torch::Tensor image01 = (f->load("image") + 1.0) / 2.0;
  auto run = [&](const std::vector<std::string>& words, std::vector<std::string>* layers) {
    LoadedIp2p m = load(words, 15, 2);
    EXPECT_TRUE(m.guidance->has_attention());
    GuidanceStep step;
    step.t = 300;
    step.noise = f->load("noise");
    step.render_condition = [&] { return image01; };
    GuidanceResult r = m.guidance->compute(f->load("z0"), true, step);
    for (const auto& l : m.guidance->last_attention_layers()) {
      layers->push_back(l.name);
      EXPECT_EQ(l.height, 16);
      EXPECT_EQ(l.width, 16);
      EXPECT_EQ(l.probs.size(0), 3);  // the guidance batch
      EXPECT_EQ(l.probs.size(1), 256);
      EXPECT_EQ(l.probs.size(2), 77);
    }
    return r.attention;
  };
  std::vector<std::string> lips_layers, red_layers;
  const torch::Tensor lips = run({"lips"}, &lips_layers);
  const torch::Tensor red = run({"red"}, &red_layers);
  ASSERT_TRUE(lips.defined());
  EXPECT_EQ(lips.sizes(), (std::vector<int64_t>{1, 1, 16, 16}));
  // The 16x16 layers of this UNet: the first level's two down and three up transformers.
  EXPECT_EQ(lips_layers.size(), 5u);
  for (const auto& n : lips_layers) EXPECT_NE(n.find("attn2"), std::string::npos) << n;
  EXPECT_EQ(lips_layers, red_layers);
  // Probabilities over 77 keys: each token's share is in (0, 1).
  EXPECT_GT(lips.min().item<float>(), 0.0f);
  EXPECT_LT(lips.max().item<float>(), 1.0f);
  const double diff = (lips - red).abs().max().item<double>();
  EXPECT_GT(diff, 1e-3 * lips.abs().max().item<double>()) << "the map does not depend on the word";
  // Without words, no attention is captured.
  LoadedIp2p none = load({}, 15, 2);
  EXPECT_FALSE(none.guidance->has_attention());
}

TEST(Ip2pSds, ConditionLatentIsEncodedOncePerKey) {
  auto f = fixture();
  LoadedIp2p m = load({}, 15, 2);
  int renders = 0;
  const torch::Tensor image01 = (f->load("image") + 1.0) / 2.0;
  GuidanceStep step;
  step.t = 500;
  step.render_condition = [&] {
    ++renders;
    return image01;
  };
  step.condition_key = "view0";
  m.guidance->compute(f->load("z0"), true, step);
  m.guidance->compute(f->load("z0"), true, step);
  EXPECT_EQ(renders, 1);
  EXPECT_EQ(m.guidance->conditions_encoded(), 1);
  step.condition_key = "view1";
  m.guidance->compute(f->load("z0"), true, step);
  EXPECT_EQ(renders, 2);
  // No condition at all is an error that says what is missing.
  GuidanceStep bare;
  bare.t = 500;
  try {
    m.guidance->compute(f->load("z0"), true, bare);
    FAIL() << "ran without a condition";
  } catch (const faceg2e::Error& e) {
    EXPECT_NE(std::string(e.what()).find("render_condition"), std::string::npos) << e.what();
  }
}
