// ClipTokenizer::from_bpe_gz against the transformers tokenizer folders of the reference fixture
// (which were built from the same OpenAI file by SimpleTokenizer + save_pretrained) and the
// reference token ids; broken gzip inputs written here must be refused with FormatError.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/diffusion/tokenizer.h"
#include "core/diffusion/tokenizer_gz_checks.h"
#include "core/util/error.h"
#include "tests/common/scratch_dir.h"
#include "tests/common/shared_dir.h"

namespace fs = std::filesystem;
using namespace faceg2e::diffusion;

namespace {

using faceg2e::testing::shared_dir;
fs::path fixture_dir() { return shared_dir() / "fixtures/sd-reference"; }
fs::path bpe_gz() { return shared_dir() / "data/clip/bpe_simple_vocab_16e6.txt.gz"; }

#define SKIP_WITHOUT_BPE_GZ()                                              \
  do {                                                                     \
    if (!fs::exists(bpe_gz())) GTEST_SKIP() << "no " << bpe_gz().string(); \
  } while (0)

fs::path temp_dir() { return faceg2e::testing::scratch_dir("tokgz_test"); }

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream os(p, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(os.good()) << p;
}

// One gzip member holding `text`.
std::string gzip_bytes(const std::string& text) {
  z_stream zs{};
  EXPECT_EQ(
      deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
      Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(text.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// The decompressed OpenAI file, through zlib's gz* API (not the code under test).
std::string gunzip_with_gzread(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  EXPECT_NE(f, nullptr);
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  EXPECT_EQ(n, 0);
  gzclose(f);
  return out;
}

std::string first_lines(const std::string& text, std::size_t n) {
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n && pos != std::string::npos; ++i)
    pos = text.find('\n', pos + (i ? 1 : 0));
  return text.substr(0, pos);
}

std::vector<std::int64_t> ids(const nlohmann::json& j) {
  return j.get<std::vector<std::int64_t>>();
}

}  // namespace

TEST(ClipTokenizerGz, VocabularyAndMergesEqualTheReferenceFolder) {
  SKIP_WITHOUT_BPE_GZ();
  const auto tok = ClipTokenizer::from_bpe_gz(bpe_gz());

  std::ifstream vin(fixture_dir() / "tokenizer/vocab.json");
  ASSERT_TRUE(vin.good());
  const auto vocab = nlohmann::json::parse(vin);
  ASSERT_EQ(vocab.size(), 49408u);
  EXPECT_EQ(tok->vocab_size(), vocab.size());
  std::size_t differing = 0;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const auto found = tok->vocabulary().find(it.key());
    if (found == tok->vocabulary().end() || found->second != it.value().get<std::int64_t>())
      if (++differing < 10)
        ADD_FAILURE() << "vocab entry " << nlohmann::json(it.key()).dump() << " differs";
  }
  EXPECT_EQ(differing, 0u);
  // OpenAI's layout: "!" first, "!</w>" after the 256 byte symbols, specials last.
  EXPECT_EQ(tok->vocabulary().at("!"), 0);
  EXPECT_EQ(tok->vocabulary().at("!</w>"), 256);
  EXPECT_EQ(tok->bos_id(), 49406);
  EXPECT_EQ(tok->eos_id(), 49407);
  EXPECT_EQ(tok->pad_id(), 49407);

  std::ifstream min(fixture_dir() / "tokenizer/merges.txt");
  ASSERT_TRUE(min.good());
  std::string line;
  std::getline(min, line);  // #version header
  int rank = 0;
  differing = 0;
  while (std::getline(min, line)) {
    if (line.empty()) continue;
    const auto found = tok->merge_ranks().find(line);
    if (found == tok->merge_ranks().end() || found->second != rank)
      if (++differing < 10) ADD_FAILURE() << "merge " << line << " (rank " << rank << ") differs";
    ++rank;
  }
  EXPECT_EQ(rank, 48894);
  EXPECT_EQ(tok->merge_ranks().size(), static_cast<std::size_t>(rank));
  EXPECT_EQ(differing, 0u);
}

TEST(ClipTokenizerGz, ReproducesEveryReferenceCase) {
  SKIP_WITHOUT_BPE_GZ();
  const auto sd1 = ClipTokenizer::from_bpe_gz(bpe_gz());
  const auto sd2 = ClipTokenizer::from_bpe_gz(bpe_gz(), TokenizerConfig::sd2());
  EXPECT_EQ(sd2->pad_id(), 0);
  EXPECT_EQ(sd2->bos_id(), 49406);
  std::ifstream in(fixture_dir() / "tokenizer_cases.json");
  ASSERT_TRUE(in.good());
  const auto all = nlohmann::json::parse(in);
  ASSERT_GE(all.size(), 300u);
  int failures = 0;
  for (const auto& c : all) {
    const std::string prompt = c["prompt"].get<std::string>();
    const auto check = [&](const char* field, const std::vector<std::int64_t>& got) {
      if (got != ids(c[field]) && ++failures < 15)
        ADD_FAILURE() << field << " differs for prompt " << nlohmann::json(prompt).dump();
    };
    check("ids_unpadded", sd1->encode_unpadded(prompt));
    check("input_ids_77_pad49407", sd1->encode_padded(prompt));
    check("hf_sd2_ids_unpadded", sd2->encode_unpadded(prompt));
    check("input_ids_77_pad0", sd2->encode_padded(prompt));
    if (sd1->tokens(prompt) != c["tokens"].get<std::vector<std::string>>() && ++failures < 15)
      ADD_FAILURE() << "tokens differ for " << nlohmann::json(prompt).dump();
  }
  EXPECT_EQ(failures, 0);
}

TEST(ClipTokenizerGz, ReadsConcatenatedGzipMembers) {
  SKIP_WITHOUT_BPE_GZ();
  const std::string text = gunzip_with_gzread(bpe_gz());
  ASSERT_GT(text.size(), 1000000u);
  const std::size_t cut = text.find('\n', text.size() / 7);  // inside the merges range
  const auto p = temp_dir() / "two_members.txt.gz";
  write_bytes(
      p, gzip_bytes(text.substr(0, cut)) + gzip_bytes(text.substr(cut)) + std::string(8, '\0'));
  const auto tok = ClipTokenizer::from_bpe_gz(p);
  const auto ref = ClipTokenizer::from_bpe_gz(bpe_gz());
  EXPECT_EQ(tok->vocabulary(), ref->vocabulary());
  EXPECT_EQ(tok->merge_ranks(), ref->merge_ranks());
}

TEST(ClipTokenizerGz, RejectsBrokenFiles) {
  SKIP_WITHOUT_BPE_GZ();
  const std::string gz = read_bytes(bpe_gz());
  const std::string text = gunzip_with_gzread(bpe_gz());
  const auto expect_format_error = [](const fs::path& p, const char* what) {
    try {
      ClipTokenizer::from_bpe_gz(p);
      ADD_FAILURE() << what << ": accepted";
    } catch (const faceg2e::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(p.filename().string()), std::string::npos)
          << what << ": message does not name the file: " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": not a FormatError: " << e.what();
    }
  };
  const fs::path d = temp_dir();

  write_bytes(d / "truncated.gz", gz.substr(0, gz.size() / 2));
  expect_format_error(d / "truncated.gz", "truncated");
  write_bytes(d / "no_trailer.gz", gz.substr(0, gz.size() - 4));
  expect_format_error(d / "no_trailer.gz", "missing size trailer");
  write_bytes(d / "plain.txt.gz", text.substr(0, 4096));
  expect_format_error(d / "plain.txt.gz", "not gzip");
  write_bytes(d / "empty.gz", "");
  expect_format_error(d / "empty.gz", "empty");
  std::string flipped = gz;
  for (std::size_t i = gz.size() / 3; i < gz.size() / 3 + 64; ++i)
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
  write_bytes(d / "corrupt.gz", flipped);
  expect_format_error(d / "corrupt.gz", "corrupt deflate data");
  write_bytes(d / "garbage_after.gz", gz + "not gzip");
  expect_format_error(d / "garbage_after.gz", "trailing garbage");

  // Valid gzip, wrong content.
  write_bytes(d / "few_merges.gz", gzip_bytes(first_lines(text, 1000)));
  expect_format_error(d / "few_merges.gz", "1000 lines");
  write_bytes(d / "one_short.gz", gzip_bytes(first_lines(text, 48894)));  // header + 48893 merges
  expect_format_error(d / "one_short.gz", "one merge short");
  {
    std::string bad = text;
    const std::size_t line5 = first_lines(text, 5).size() + 1;  // start of the 6th line (a merge)
    bad.insert(line5, "extra ");
    write_bytes(d / "three_tokens.gz", gzip_bytes(bad));
    expect_format_error(d / "three_tokens.gz", "a merge line with three tokens");
  }
  {
    std::string bad = text;
    bad[first_lines(text, 7).size() + 1] = static_cast<char>(0xff);
    write_bytes(d / "not_utf8.gz", gzip_bytes(bad));
    expect_format_error(d / "not_utf8.gz", "invalid UTF-8");
  }
  // A zip bomb: 17 MiB of zeros compress to ~17 kB; the cap stops it.
  write_bytes(d / "bomb.gz",
              gzip_bytes(std::string(ClipTokenizer::kMaxBpeGzBytes + (1 << 20), '\0')));
  expect_format_error(d / "bomb.gz", "over the size cap");

  EXPECT_THROW(ClipTokenizer::from_bpe_gz(d / "does_not_exist.gz"), faceg2e::NotFoundError);
}

TEST(ClipTokenizerGz, FixtureCheckPassesAndCatchesAWrongId) {
  SKIP_WITHOUT_BPE_GZ();
  const auto ok = tokenizer_gz_checks(fixture_dir(), bpe_gz());
  ASSERT_EQ(ok.size(), 2u);
  for (const auto& r : ok) EXPECT_TRUE(r.passed) << r.name << ": " << r.detail;
  EXPECT_NE(ok[0].detail.find("320/320"), std::string::npos) << ok[0].detail;

  // A case set whose SD1 ids are off by one token: only the SD1 line may fail.
  std::ifstream in(fixture_dir() / "tokenizer_cases.json");
  auto cases = nlohmann::json::parse(in);
  nlohmann::json few = nlohmann::json::array();
  for (std::size_t i = 0; i < 6 && i < cases.size(); ++i) few.push_back(cases[i]);
  few[5]["ids_unpadded"][0] = 123;
  const fs::path d = temp_dir() / "cases_wrong_id";
  fs::create_directories(d);
  write_bytes(d / "tokenizer_cases.json", few.dump());
  const auto bad = tokenizer_gz_checks(d, bpe_gz());
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_FALSE(bad[0].passed);
  EXPECT_NE(bad[0].detail.find("5/6"), std::string::npos) << bad[0].detail;
  EXPECT_TRUE(bad[1].passed) << bad[1].detail;

  // A broken gz becomes failed results, not an exception.
  write_bytes(d / "broken.gz", "not gzip");
  for (const auto& r : tokenizer_gz_checks(fixture_dir(), d / "broken.gz"))
    EXPECT_FALSE(r.passed) << r.name;
}
