// `faceg2e-cli diagnose model` through its registration function (the command file is compiled
// into this test, so it runs without the rest of the CLI).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli/cli_commands.h"
#include "core/diffusion/safetensors.h"
#include "core/util/error.h"
#include "tests/common/shared_dir.h"

namespace fs = std::filesystem;

namespace {

fs::path ref_dir() {
  return faceg2e::testing::shared_dir() / "fixtures/sd-reference";
}

// Runs "diagnose model --model PATH"; returns stdout, throws what the callback throws.
std::string run(const std::string& path) {
  CLI::App app("test");
  auto* diagnose = app.add_subcommand("diagnose", "")->require_subcommand(1);
  faceg2e::cli::register_diagnose_model(*diagnose);
  std::vector<std::string> args = {path, "--model", "model", "diagnose"};  // reversed for CLI11's vector parse
  std::ostringstream captured;
  auto* old = std::cout.rdbuf(captured.rdbuf());
  try {
    app.parse(args);
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  return captured.str();
}

}  // namespace

TEST(DiagnoseModel, DescribesSingleFileCheckpoints) {
  const auto sd2 = run((ref_dir() / "checkpoints/sd2_ldm.safetensors").string());
  if (std::getenv("FACEG2E_TEST_VERBOSE")) std::cerr << sd2;
  EXPECT_NE(sd2.find("kind: sd2"), std::string::npos) << sd2;
  EXPECT_NE(sd2.find("OpenCLIP"), std::string::npos) << sd2;
  EXPECT_NE(sd2.find("prediction_type: epsilon"), std::string::npos) << sd2;
  EXPECT_NE(sd2.find("loaded text_encoder"), std::string::npos) << sd2;
  EXPECT_NE(sd2.find("OK"), std::string::npos) << sd2;
  const auto ip2p = run((ref_dir() / "checkpoints/ip2p_ldm.safetensors").string());
  EXPECT_NE(ip2p.find("in_channels: 8"), std::string::npos) << ip2p;
  const auto cn = run((ref_dir() / "checkpoints/controlnet_sd1_lllyasviel.safetensors").string());
  EXPECT_NE(cn.find("kind: controlnet"), std::string::npos) << cn;
  const auto folder = run((ref_dir() / "models/unet_sd1").string());
  EXPECT_NE(folder.find("diffusers component folder"), std::string::npos) << folder;
}

TEST(DiagnoseModel, FailsClearlyOnPickleAndGarbage) {
  const auto dir = fs::temp_directory_path() / ("faceg2e_cli_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  { std::ofstream(dir / "model.ckpt") << "x"; }
  { std::ofstream(dir / "junk.safetensors") << "not a safetensors file at all"; }
  try {
    run((dir / "model.ckpt").string());
    ADD_FAILURE() << "pickle accepted";
  } catch (const faceg2e::Error& e) {
    EXPECT_NE(std::string(e.what()).find("arbitrary code"), std::string::npos);
  }
  EXPECT_THROW(run((dir / "junk.safetensors").string()), faceg2e::FormatError);
  EXPECT_THROW(run((dir / "missing").string()), faceg2e::NotFoundError);
  fs::remove_all(dir);
}

// A diffusers VAE folder whose weights lack one tensor (or carry one too many) is refused, and
// the message names the tensor: "OK" must mean the pipeline's strict load will accept it.
TEST(DiagnoseModel, RefusesAComponentMissingOrAddingOneTensor) {
  namespace d = faceg2e::diffusion;
  const auto dir = fs::temp_directory_path() / ("faceg2e_cli_vae_" + std::to_string(::getpid()));
  const fs::path src = ref_dir() / "models/vae";
  auto write_variant = [&](const std::string& name, const std::string& drop, const std::string& add) {
    const fs::path out = dir / name;
    fs::create_directories(out);
    fs::copy_file(src / "config.json", out / "config.json", fs::copy_options::overwrite_existing);
    const auto f = d::SafetensorsFile::open(src / "diffusion_pytorch_model.safetensors");
    std::map<std::string, torch::Tensor> tensors;
    for (const auto& n : f->names())
      if (n != drop) tensors[n] = f->load(n);
    if (!add.empty()) tensors[add] = torch::zeros({2});
    d::save_safetensors(out / "diffusion_pytorch_model.safetensors", tensors);
    return out;
  };
  const std::string ok = run(write_variant("complete", "", "").string());
  EXPECT_NE(ok.find("OK"), std::string::npos) << ok;
  EXPECT_NE(ok.find("built vae"), std::string::npos) << ok;
  try {
    run(write_variant("missing", "decoder.conv_out.weight", "").string());
    ADD_FAILURE() << "a VAE without decoder.conv_out.weight was accepted";
  } catch (const faceg2e::Error& e) {
    EXPECT_NE(std::string(e.what()).find("decoder.conv_out.weight"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  try {
    run(write_variant("extra", "", "decoder.not_a_layer.weight").string());
    ADD_FAILURE() << "a VAE with an unexpected tensor was accepted";
  } catch (const faceg2e::Error& e) {
    EXPECT_NE(std::string(e.what()).find("decoder.not_a_layer.weight"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}
