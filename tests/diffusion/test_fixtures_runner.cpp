// The fixture runner: every model check of the public set passes; absent inputs are skipped,
// not failed; a missing folder is a failure, never a crash.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/diffusion/fixture_checks.h"

using namespace faceg2e::diffusion;
namespace fs = std::filesystem;

namespace {
const fs::path kSet = fs::path(FACEG2E_SHARED_DIR) / "fixtures/sd-reference";
bool skipped(const CheckResult& r) { return r.passed && r.detail.rfind("skipped:", 0) == 0; }
}  // namespace

TEST(FixtureRunner, PublicSetModelChecksAllPass) {
  const auto results = model_checks(kSet);
  int passed = 0;
  for (const auto& r : results) {
    EXPECT_TRUE(r.passed) << r.name << ": " << r.detail << " (max_rel " << r.max_rel << ")";
    if (r.passed && !skipped(r)) ++passed;
  }
  // Every family of the public set is exercised: scheduler, both UNets in both formats,
  // gradients, intermediates, attention maps, SDS, IP2P, ControlNet, VAE.
  EXPECT_GT(passed, 250);
  for (const char* must : {"scheduler.timesteps_50", "unet_sd1[folder].t500.eps", "unet_sd2[checkpoint].t20.eps_cfg",
                           "unet_sd1.grad.grad_sample", "ip2p[checkpoint].t999.eps_guided",
                           "controlnet_sd1[checkpoint].t500.eps_with_control", "vae.grad_image_sample",
                           "sds_sd1.case2.grad"}) {
    bool found = false;
    for (const auto& r : results) found |= r.name == must && r.passed && !skipped(r);
    EXPECT_TRUE(found) << must;
  }
}

TEST(FixtureRunner, AbsentInputsAreSkippedNotFailed) {
  const auto tmp = fs::temp_directory_path() / ("faceg2e_runner_" + std::to_string(::getpid()));
  fs::create_directories(tmp / "fixtures");
  fs::create_symlink(kSet / "fixtures/scheduler_ddim.safetensors", tmp / "fixtures/scheduler_ddim.safetensors");
  fs::create_symlink(kSet / "fixtures/unet_sd1_cfg.safetensors", tmp / "fixtures/unet_sd1_cfg.safetensors");
  const auto results = model_checks(tmp);
  int real = 0, skips = 0;
  for (const auto& r : results) {
    EXPECT_TRUE(r.passed) << r.name << ": " << r.detail;
    skipped(r) ? ++skips : ++real;
  }
  EXPECT_GT(real, 5);   // the scheduler checks ran
  EXPECT_GE(skips, 3);  // no UNet model, no VAE fixture, no IP2P fixture
  fs::remove_all(tmp);

  const auto none = model_checks(tmp / "does-not-exist");
  ASSERT_EQ(none.size(), 1u);
  EXPECT_FALSE(none[0].passed);
}
