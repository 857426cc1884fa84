// faceg2e-cli diagnose fixtures --dir DIR: runs every reference-fixture check the set supports
// (tokenizer, text encoders, UNets in both formats, ControlNet, VAE, scheduler, guidance math).
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "app/cli/cli_commands.h"
#include "core/diffusion/fixture_checks.h"
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
  cmd->add_option("--dir", *dir, "Fixture set folder (models/, checkpoints/, fixtures/, tokenizer*/)")
      ->required();
  cmd->add_option("--threads", *threads, "Intra-op threads (0: LibTorch default)");
  cmd->callback([dir, threads] {
    const std::filesystem::path root(*dir);
    if (!std::filesystem::is_directory(root)) throw Error("fixture folder not found: " + *dir);
    if (*threads > 0) torch::set_num_threads(*threads);
    const auto results = diffusion::run_fixture_checks(root);
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
