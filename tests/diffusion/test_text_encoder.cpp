#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/fixture_checks.h"
#include "core/diffusion/safetensors.h"
#include "core/diffusion/text_encoder.h"
#include "core/util/error.h"
#include "tests/common/shared_dir.h"

namespace fs = std::filesystem;
using namespace faceg2e;
using namespace faceg2e::diffusion;

namespace {
fs::path ref_dir() {
  return faceg2e::testing::shared_dir() / "fixtures/sd-reference";
}

void expect_close(const torch::Tensor& out, const torch::Tensor& ref, const std::string& what) {
  const auto r = compare_tensors(what, out, ref);
  EXPECT_TRUE(r.passed) << what << ": max_rel " << r.max_rel << " " << r.detail;
}
}  // namespace

TEST(ClipTextModel, MatchesTransformersOnBothFlavours) {
  for (const char* name : {"text_encoder_sd1", "text_encoder_sd2"}) {
    const auto fx = SafetensorsFile::open(ref_dir() / "fixtures" / (std::string(name) + ".safetensors"));
    auto model = load_clip_text_model(load_component(ref_dir() / "models" / name, Component::TextEncoder));
    torch::NoGradGuard ng;
    const auto ids = fx->load("input_ids");
    const auto out = model->forward(ids, true);
    ASSERT_EQ(out.hidden_states.size(), 3u);
    for (int i = 0; i < 3; ++i)
      expect_close(out.hidden_states[i], fx->load("hidden_states." + std::to_string(i)), std::string(name) + " hs" + std::to_string(i));
    expect_close(out.last_hidden_state, fx->load("last_hidden_state"), std::string(name) + " last");
    expect_close(out.pooler_output, fx->load("pooler_output"), std::string(name) + " pooled");
    expect_close(model->conditioning(ids, TextConditioning::PenultimateFinalLn), fx->load("penultimate_final_ln"),
                 std::string(name) + " penultimate");
  }
}

TEST(ClipTextModel, FixtureChecksAllPass) {
  const auto tok = tokenizer_checks(ref_dir());
  const auto te = text_encoder_checks(ref_dir());
  EXPECT_GE(tok.size(), 5u);
  // folder + 2 checkpoints for sd1, folder + 1 for sd2, each with >= 6 tensors
  EXPECT_GE(te.size(), 2u + 5u * 6u);
  for (const auto& r : tok) EXPECT_TRUE(r.passed) << r.name << ": " << r.detail;
  for (const auto& r : te) EXPECT_TRUE(r.passed) << r.name << ": " << r.detail << " rel " << r.max_rel;
}

TEST(TextConditioner, CachesAndReleases) {
  const auto dir = ref_dir();
  auto tok = ClipTokenizer::from_folder(dir / "tokenizer");
  auto model = load_clip_text_model(load_component(dir / "models" / "text_encoder_sd1", Component::TextEncoder));
  TextConditioner cond(tok, model, TextConditioning::LastHidden, 2);
  const auto fx = SafetensorsFile::open(dir / "fixtures" / "text_encoder_sd1.safetensors");
  const auto ref = fx->load("last_hidden_state");
  const auto a = cond.encode("a zoomed out DSLR photo of Emma Watson");  // row 1 of the fixture prompts
  expect_close(a, ref.slice(0, 1, 2), "conditioner row");
  const auto batch = cond.encode_batch({"", "a zoomed out DSLR photo of Emma Watson"});
  expect_close(batch, ref.slice(0, 0, 2), "conditioner batch");
  cond.release_encoder();
  EXPECT_FALSE(cond.has_encoder());
  EXPECT_TRUE(torch::equal(cond.encode(""), batch.slice(0, 0, 1)));  // still cached
  EXPECT_THROW(cond.encode("something new"), Error);
}

TEST(ClipTextModel, RejectsBadConfigAndIds) {
  EXPECT_THROW(ClipTextConfig::from_json({{"hidden_size", 30}, {"num_attention_heads", 4}, {"intermediate_size", 8},
                                          {"num_hidden_layers", 1}}),
               Error);
  ClipTextConfig c;
  c.hidden_size = 8;
  c.num_attention_heads = 2;
  c.intermediate_size = 16;
  c.num_hidden_layers = 1;
  c.vocab_size = 10;
  ClipTextModel m(c);
  EXPECT_THROW(m->forward(torch::tensor({{1, 12}}, torch::kLong)), Error);
  EXPECT_THROW(m->forward(torch::zeros({1, 78}, torch::kLong)), Error);
}

TEST(TextConditioner, DefaultConditioningFollowsTheFormat) {
  const auto dir = ref_dir();
  EXPECT_EQ(default_conditioning(inspect_model(dir / "checkpoints" / "sd2_ldm.safetensors")),
            TextConditioning::PenultimateFinalLn);
  EXPECT_EQ(default_conditioning(inspect_model(dir / "checkpoints" / "sd1_ldm.safetensors")),
            TextConditioning::LastHidden);
  EXPECT_EQ(default_conditioning(inspect_model(dir / "models" / "text_encoder_sd2")), TextConditioning::LastHidden);
}
