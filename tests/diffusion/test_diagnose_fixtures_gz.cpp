// `faceg2e-cli diagnose fixtures --clip-vocab GZ` through its registration function (the command
// file is compiled into this test). The fixture folder holds only the tokenizer files, so the
// model checks fail fast and the gz lines can be read from the output.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli/cli_commands.h"
#include "core/util/error.h"
#include "tests/common/scratch_dir.h"
#include "tests/common/shared_dir.h"

namespace fs = std::filesystem;

namespace {

using faceg2e::testing::shared_dir;
fs::path ref_dir() { return shared_dir() / "fixtures/sd-reference"; }
fs::path bpe_gz() { return shared_dir() / "data/clip/bpe_simple_vocab_16e6.txt.gz"; }

fs::path temp_dir() { return faceg2e::testing::scratch_dir("diag_gz_test"); }

struct RunResult {
  std::string out;  // what the command printed (it writes with printf)
  int exit_code = 0;
};

// Runs "diagnose fixtures ARGS..." with stdout captured in a file.
RunResult run(std::vector<std::string> args) {
  CLI::App app("test");
  auto* diagnose = app.add_subcommand("diagnose", "")->require_subcommand(1);
  faceg2e::cli::register_diagnose_fixtures(*diagnose);
  args.insert(args.begin(), {"diagnose", "fixtures"});
  std::reverse(args.begin(), args.end());  // CLI11's vector parse takes them reversed
  const fs::path capture = temp_dir() / "stdout.txt";
  std::fflush(stdout);
  const int saved = ::dup(1);
  const int fd = ::open(capture.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(fd, 1);
  ::close(fd);
  RunResult r;
  const auto restore = [&] {
    std::fflush(stdout);
    ::dup2(saved, 1);
    ::close(saved);
  };
  try {
    app.parse(args);
  } catch (const CLI::RuntimeError& e) {
    r.exit_code = e.get_exit_code();
  } catch (...) {
    restore();
    throw;
  }
  restore();
  std::ifstream in(capture);
  std::stringstream ss;
  ss << in.rdbuf();
  r.out = ss.str();
  return r;
}

std::string line_with(const std::string& out, const std::string& needle) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) return line;
  return {};
}

}  // namespace

TEST(DiagnoseFixturesGz, AddsOneLinePerTokenizerFlavour) {
  if (!fs::exists(bpe_gz())) GTEST_SKIP() << "no " << bpe_gz().string();
  const fs::path d = temp_dir() / "tokenizer_only";
  fs::create_directories(d);
  for (const char* name : {"tokenizer", "tokenizer_sd2", "tokenizer_cases.json"})
    if (!fs::exists(d / name)) fs::create_symlink(ref_dir() / name, d / name);

  const auto without = run({"--dir", d.string()});
  EXPECT_TRUE(line_with(without.out, "bpe_simple_vocab_16e6.txt.gz").empty()) << without.out;

  const auto with = run({"--dir", d.string(), "--clip-vocab", bpe_gz().string()});
  if (std::getenv("FACEG2E_TEST_VERBOSE")) std::cerr << with.out;
  const auto sd1 = line_with(with.out, "bpe_simple_vocab_16e6.txt.gz SD1");
  const auto sd2 = line_with(with.out, "bpe_simple_vocab_16e6.txt.gz SD2");
  EXPECT_NE(sd1.find("PASS"), std::string::npos) << with.out;
  EXPECT_NE(sd1.find("320/320"), std::string::npos) << sd1;
  EXPECT_NE(sd2.find("PASS"), std::string::npos) << with.out;
  // Exactly two more checks than without the option, counted in the summary line.
  const auto summary = [](const std::string& out) {
    int passed = -1, failed = -1;
    const auto line = line_with(out, " passed, ");
    std::sscanf(line.c_str(), "%d passed, %d failed", &passed, &failed);
    return std::make_pair(passed, failed);
  };
  const auto s0 = summary(without.out), s1 = summary(with.out);
  ASSERT_GE(s0.first, 0) << without.out;
  EXPECT_EQ(s1.first, s0.first + 2);
  EXPECT_EQ(s1.second, s0.second);
  EXPECT_EQ(with.exit_code, without.exit_code);
}

TEST(DiagnoseFixturesGz, MissingVocabFileIsAnError) {
  EXPECT_THROW(
      run({"--dir", ref_dir().string(), "--clip-vocab", (temp_dir() / "nope.gz").string()}),
      faceg2e::Error);
}
