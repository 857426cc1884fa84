#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/diffusion/tokenizer.h"
#include "core/util/error.h"
#include "tests/common/shared_dir.h"

namespace fs = std::filesystem;
using namespace faceg2e::diffusion;

namespace {

fs::path fixture_dir() {
  return faceg2e::testing::shared_dir() / "fixtures/sd-reference";
}

nlohmann::json cases() {
  std::ifstream in(fixture_dir() / "tokenizer_cases.json");
  return nlohmann::json::parse(in);
}

std::vector<std::int64_t> ids(const nlohmann::json& j) { return j.get<std::vector<std::int64_t>>(); }

}  // namespace

TEST(ClipTokenizer, ReproducesEveryReferenceCase) {
  const auto sd1 = ClipTokenizer::from_folder(fixture_dir() / "tokenizer");
  const auto sd2 = ClipTokenizer::from_folder(fixture_dir() / "tokenizer_sd2");
  EXPECT_EQ(sd1->pad_id(), 49407);
  EXPECT_EQ(sd2->pad_id(), 0);
  EXPECT_EQ(sd1->bos_id(), 49406);
  const auto all = cases();
  ASSERT_GE(all.size(), 300u);
  int failures = 0;
  for (const auto& c : all) {
    const std::string prompt = c["prompt"].get<std::string>();
    const auto check = [&](const char* field, const std::vector<std::int64_t>& got) {
      if (got != ids(c[field])) {
        if (++failures < 15) ADD_FAILURE() << field << " differs for prompt " << nlohmann::json(prompt).dump();
      }
    };
    check("ids_unpadded", sd1->encode_unpadded(prompt));
    check("input_ids_77_pad49407", sd1->encode_padded(prompt));
    check("input_ids_77_pad0", sd2->encode_padded(prompt));
    check("hf_sd2_ids_unpadded", sd2->encode_unpadded(prompt));
    if (sd1->tokens(prompt) != c["tokens"].get<std::vector<std::string>>()) {
      if (++failures < 15) ADD_FAILURE() << "tokens differ for " << nlohmann::json(prompt).dump();
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(ClipTokenizer, WordIndicesPointAtTheWordsTokens) {
  const auto tok = ClipTokenizer::from_folder(fixture_dir() / "tokenizer");
  const auto ids = tok->encode_padded("make her lips red");
  const auto idx = tok->token_indices_for_word("make her lips red", "lips");
  ASSERT_EQ(idx, std::vector<int>{3});
  EXPECT_EQ(ids[3], tok->encode_unpadded("lips")[1]);
  EXPECT_EQ(tok->token_indices_for_word("red lips, red eyes", "red"), (std::vector<int>{1, 4}));
  EXPECT_TRUE(tok->token_indices_for_word("make her lips red", "nose").empty());
  EXPECT_TRUE(tok->token_indices_for_word("make her lips red", "").empty());
}

TEST(ClipTokenizer, MissingFilesAreReported) {
  EXPECT_THROW(ClipTokenizer::from_folder(fixture_dir() / "no_such_tokenizer"), faceg2e::NotFoundError);
}

TEST(ClipTokenizer, DroppedTextIsWhatTruncationCutsOff) {
  const auto tok = ClipTokenizer::from_folder(fixture_dir() / "tokenizer");
  std::string prompt;
  for (int i = 0; i < 75; ++i) prompt += "cat ";  // exactly the 75 text tokens that fit
  EXPECT_EQ(tok->count_tokens(prompt), 75u);
  EXPECT_EQ(tok->dropped_text(prompt), "");
  prompt += "with a Red HAT";
  EXPECT_EQ(tok->count_tokens(prompt), 79u);
  // The tokenizer's normalised text (lower case), as A1111's warning shows it.
  EXPECT_EQ(tok->dropped_text(prompt), "with a red hat");
  // The kept ids end just before the dropped part.
  const auto ids = tok->encode_padded(prompt);
  EXPECT_EQ(ids[75], tok->encode_unpadded("cat")[1]);
  EXPECT_EQ(ids[76], tok->eos_id());
  EXPECT_EQ(tok->decode_tokens(tok->tokens("caf\xC3\xA9 au lait")), "<|startoftext|>caf\xC3\xA9 au lait <|endoftext|>");
}
