// faceg2e-cli bench diffusion: times full-size SD architectures with random weights (a UNet
// forward at batch 2, 64x64 latents, 77 tokens; a VAE encode forward+backward at 512^2) and
// reports peak memory.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "app/cli/cli_commands.h"
#include "core/diffusion/controlnet.h"
#include "core/diffusion/device_memory.h"
#include "core/diffusion/unet.h"
#include "core/diffusion/vae.h"
#include "core/util/error.h"

namespace faceg2e::cli {

namespace {

namespace dn = faceg2e::diffusion;

struct BenchOptions {
  std::string arch = "sd15";
  bool random_weights = false;
  std::string device = "cpu";
  std::string dtype = "fp32";
  int steps = 10;
  int warmup = 2;
  std::string components = "unet,vae";
  int latent = 64;   // SD at 512^2
  int batch = 2;     // a CFG pair
  int tokens = 77;
};

struct Row {
  std::string component;
  double mean_ms = 0, min_ms = 0;
  dn::PeakMemory peak;
};

void sync(torch::Device d) {
  if (d.is_cuda()) torch::cuda::synchronize();
}

template <class F>
Row time_it(const std::string& name, torch::Device dev, int warmup, int steps, F&& f) {
  for (int i = 0; i < warmup; ++i) f();
  sync(dev);
  dn::reset_peak_memory(dev);
  std::vector<double> ms;
  for (int i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    sync(dev);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  Row r;
  r.component = name;
  for (double v : ms) r.mean_ms += v / ms.size();
  r.min_ms = *std::min_element(ms.begin(), ms.end());
  r.peak = dn::peak_memory(dev);
  return r;
}

void run_bench(const BenchOptions& o) {
  if (!o.random_weights)
    throw Error("bench diffusion: only --random-weights is supported (no checkpoint is needed)");
  if (o.steps < 1 || o.warmup < 0) throw Error("bench diffusion: --steps >= 1, --warmup >= 0");
  torch::Device dev(torch::kCPU);
  if (o.device == "cuda") {
    if (!torch::cuda::is_available()) throw Error("bench diffusion: CUDA is not available");
    dev = torch::Device(torch::kCUDA, 0);
  } else if (o.device != "cpu") {
    throw Error("bench diffusion: --device must be cpu or cuda");
  }
  torch::ScalarType dtype = torch::kFloat;
  if (o.dtype == "fp16") dtype = torch::kHalf;
  else if (o.dtype == "bf16") dtype = torch::kBFloat16;
  else if (o.dtype != "fp32") throw Error("bench diffusion: --dtype must be fp32, fp16 or bf16");
  if (dev.is_cpu() && dtype == torch::kHalf)
    throw Error("bench diffusion: fp16 needs --device cuda (CPU half kernels are incomplete)");

  nlohmann::json unet_cfg;
  if (o.arch == "sd15" || o.arch == "controlnet") unet_cfg = dn::sd15_unet_config();
  else if (o.arch == "sd21") unet_cfg = dn::sd21_base_unet_config();
  else if (o.arch == "ip2p") unet_cfg = dn::ip2p_unet_config();
  else throw Error("bench diffusion: --arch must be sd15, sd21, ip2p or controlnet");

  torch::manual_seed(0);
  torch::NoGradGuard no_grad_for_setup;
  std::vector<Row> rows;
  const bool want_unet = o.components.find("unet") != std::string::npos;
  const bool want_vae = o.components.find("vae") != std::string::npos;
  const auto opts = torch::TensorOptions().device(dev).dtype(dtype);

  if (want_unet) {
    const auto cfg = dn::UNetConfig::from_json(unet_cfg, "built-in " + o.arch + " config");
    dn::UNet2DConditionModel unet(cfg);
    unet->to(dev, dtype);
    unet->eval();
    const auto x = torch::randn({o.batch, cfg.in_channels, o.latent, o.latent}, opts);
    const auto ehs = torch::randn({o.batch, o.tokens, cfg.cross_attention_dim}, opts);
    const auto t = torch::full({o.batch}, 500, torch::TensorOptions().dtype(torch::kLong).device(dev));
    if (o.arch == "controlnet") {
      dn::ControlNetModel cn(dn::UNetConfig::from_json(dn::sd15_controlnet_config(), "built-in controlnet"));
      cn->to(dev, dtype);
      cn->eval();
      const auto hint = torch::rand({o.batch, 3, o.latent * 8, o.latent * 8}, opts);
      rows.push_back(time_it("controlnet+unet forward", dev, o.warmup, o.steps, [&] {
        const auto r = cn->forward(x, t, ehs, hint);
        unet->forward(x, t, ehs, r.down_residuals, r.mid_residual);
      }));
    } else {
      rows.push_back(time_it("unet forward", dev, o.warmup, o.steps, [&] { unet->forward(x, t, ehs); }));
    }
  }
  if (want_vae) {
    dn::AutoencoderKL vae(dn::VaeConfig::from_json(dn::sd_vae_config(), "built-in SD VAE"));
    vae->to(dev, dtype);
    vae->eval();
    const auto img = torch::rand({1, 3, o.latent * 8, o.latent * 8}, opts) * 2 - 1;
    rows.push_back(time_it("vae encode fwd+bwd", dev, o.warmup, o.steps, [&] {
      torch::AutoGradMode grad_on(true);
      auto x = img.detach().requires_grad_(true);
      vae->encode(x).mean.to(torch::kFloat).sum().backward();
    }));
  }

  std::printf("%-11s %-7s %-6s %-24s %12s %12s  %s\n", "arch", "device", "dtype", "component",
              "mean ms/it", "min ms/it", "peak memory");
  for (const auto& r : rows) {
    char mem[96];
    if (r.peak.bytes >= 0)
      std::snprintf(mem, sizeof mem, "%.2f GiB", r.peak.bytes / double(1 << 30));
    else
      std::snprintf(mem, sizeof mem, "n/a");
    std::printf("%-11s %-7s %-6s %-24s %12.1f %12.1f  %s [%s]\n", o.arch.c_str(), o.device.c_str(),
                o.dtype.c_str(), r.component.c_str(), r.mean_ms, r.min_ms, mem, r.peak.what.c_str());
  }
  std::printf("(UNet: batch %d, %dx%d latents, %d tokens; VAE: batch 1, %dx%d image; %d timed "
              "iterations after %d warm-up; %d CPU threads)\n",
              o.batch, o.latent, o.latent, o.tokens, o.latent * 8, o.latent * 8, o.steps, o.warmup,
              torch::get_num_threads());
}

}  // namespace

void register_bench_diffusion(CLI::App& bench) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = bench.add_subcommand("diffusion", "Time full-size SD UNet / ControlNet / VAE passes");
  cmd->add_option("--arch", o->arch, "sd15 | sd21 | ip2p | controlnet")
      ->check(CLI::IsMember({"sd15", "sd21", "ip2p", "controlnet"}));
  cmd->add_flag("--random-weights", o->random_weights, "Random weights (no checkpoint needed)");
  cmd->add_option("--device", o->device, "cpu | cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  cmd->add_option("--dtype", o->dtype, "fp32 | fp16 | bf16")->check(CLI::IsMember({"fp32", "fp16", "bf16"}));
  cmd->add_option("--steps", o->steps, "Timed iterations (default 10)");
  cmd->add_option("--warmup", o->warmup, "Warm-up iterations (default 2)");
  cmd->add_option("--components", o->components, "Comma list of unet, vae (default both)");
  cmd->callback([o] { run_bench(*o); });
}

}  // namespace faceg2e::cli
