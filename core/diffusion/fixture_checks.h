#pragma once
// Reference-fixture checks (faceg2e-cli diagnose fixtures). Every check derives what it checks
// from the fixture files themselves (timesteps from `timesteps` tensors, layer names from the
// attention file, block counts from the configs), so another fixture set made the same way runs
// through unchanged.
#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace faceg2e::diffusion {

struct CheckResult {
  std::string name;
  double max_abs = 0.0;  // max |out - ref|
  double max_rel = 0.0;  // max |out - ref| / max |ref|
  bool passed = false;
  std::string detail;    // why it failed, or what was skipped
};

// Tolerances from the fixture README: max|out-ref| <= rel * max|ref| + abs.
struct Tolerance {
  double rel = 2e-5;
  double abs = 1e-6;
  static Tolerance standard() { return {2e-5, 1e-6}; }
  static Tolerance guided() { return {1e-4, 1e-6}; }  // guided / SDS outputs
};

// Compares a float tensor (exact comparison for integer tensors) and builds the result.
CheckResult compare_tensors(const std::string& name, const torch::Tensor& out,
                            const torch::Tensor& ref, Tolerance tol = Tolerance::standard());

// A failed check that could not even produce an output (exception, missing file).
CheckResult failed_check(const std::string& name, const std::string& why);

// Check groups. Each returns one result per check and never throws (failures become results).
std::vector<CheckResult> tokenizer_checks(const std::filesystem::path& dir);     // checkpoint/tokenizer owner
std::vector<CheckResult> text_encoder_checks(const std::filesystem::path& dir);  // checkpoint/tokenizer owner
std::vector<CheckResult> model_checks(const std::filesystem::path& dir);         // unet/vae/... owner

// All groups, in order.
std::vector<CheckResult> run_fixture_checks(const std::filesystem::path& dir);

}  // namespace faceg2e::diffusion
