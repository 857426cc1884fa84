// faceg2e-cli diagnose fixtures --dir DIR: runs every reference-fixture check the set supports
// (tokenizer, text encoders, UNets in both formats, ControlNet, VAE, scheduler, guidance math).
// --clip-vocab GZ adds the tokenizer cases through OpenAI's bpe_simple_vocab_16e6.txt.gz.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "app/cli/cli_commands.h"
#include "core/diffusion/fixture_checks.h"
#include "core/diffusion/tokenizer_gz_checks.h"
#include "core/util/error.h"

namespace faceg2e::cli {

namespace {
bool is_skip(const diffusion::CheckResult& r) { return r.passed && r.detail.rfind("skipped:", 0) == 0; }
}  // namespace

void register_diagnose_fixtures(CLI::App& diagnose) {
  auto* cmd = diagnose.add_subcommand(
      "fixtures", "Compare every model component against reference fixtures (sd-reference layout)");
  auto dir = std::make_shared<std::string>();
  auto threads = std::make_shared<int>(0);
  auto clip_vocab = std::make_shared<std::string>();
  cmd->add_option("--dir", *dir, "Fixture set folder (models/, checkpoints/, fixtures/, tokenizer*/)")
      ->required();
  cmd->add_option("--threads", *threads, "Intra-op threads (0: LibTorch default)");
  cmd->add_option("--clip-vocab", *clip_vocab,
                  "OpenAI bpe_simple_vocab_16e6.txt.gz: also run the tokenizer cases through it (SD1 and SD2)");
  cmd->callback([dir, threads, clip_vocab] {
    const std::filesystem::path root(*dir);
    if (!std::filesystem::is_directory(root)) throw Error("fixture folder not found: " + *dir);
    if (!clip_vocab->empty() && !std::filesystem::is_regular_file(*clip_vocab))
      throw Error("--clip-vocab file not found: " + *clip_vocab);
    if (*threads > 0) torch::set_num_threads(*threads);
    auto results = diffusion::run_fixture_checks(root);
    if (!clip_vocab->empty()) {
      // Listed after the folder tokenizer checks, before the model checks.
      auto at = results.end();
      for (auto it = results.begin(); it != results.end(); ++it)
        if (it->name.rfind("tokenizer", 0) == 0) at = it + 1;
      const auto gz = diffusion::tokenizer_gz_checks(root, *clip_vocab);
      results.insert(at, gz.begin(), gz.end());
    }
    int passed = 0, failed = 0, skipped = 0;
    for (const auto& r : results) {
      const char* status = is_skip(r) ? "SKIP" : (r.passed ? "PASS" : "FAIL");
      if (is_skip(r)) {
        ++skipped;
        std::printf("%-72s %-10s %-10s %s  %s\n", r.name.c_str(), "-", "-", status, r.detail.c_str());
        continue;
      }
      r.passed ? ++passed : ++failed;
      std::printf("%-72s %.3e  %.3e  %s%s%s\n", r.name.c_str(), r.max_abs, r.max_rel, status,
                  r.detail.empty() ? "" : "  ", r.detail.c_str());
    }
    if (skipped > 0) std::printf("(%d skipped: inputs absent from this set)\n", skipped);
    std::printf("%d passed, %d failed\n", passed, failed);
    std::fflush(stdout);
    if (failed > 0) throw CLI::RuntimeError(1);
  });
}

}  // namespace faceg2e::cli
