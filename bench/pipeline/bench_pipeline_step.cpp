// Step-time breakdown of one SDS step (render, VAE encode, UNet, backward) with the tiny fixture
// models on the CPU. Prints a table. Usage:
//   bench_pipeline_step [--steps N] [--render-size PX] [--vae-size PX]
//   bench_pipeline_step --edit [--scope texture|geometry|expression] [--atlas-size PX] ... (the
//   real edit stage's step, bench_edit_step.cpp)
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/sds.h"
#include "core/diffusion/unet.h"
#include "core/diffusion/vae.h"
#include "core/face/face_model.h"
#include "core/guidance/text_sds.h"
#include "core/pipeline/face_scene.h"
#include "core/raster/sh_lighting.h"
#include "core/util/data_paths.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace faceg2e::bench {
int edit_step(int argc, char** argv);
}

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (!std::strcmp(argv[i], "--edit")) return faceg2e::bench::edit_step(argc, argv);
  int steps = 5, render_size = 224, vae_size = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--render-size")) render_size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--vae-size")) vae_size = std::atoi(argv[i + 1]);
  }
  torch::manual_seed(0);
  const fs::path shared = faceg2e::shared_dir();
  const fs::path ckpt = shared / "fixtures/sd-reference/checkpoints/sd2_ldm.safetensors";
  auto model = faceg2e::face::load_f3dm(faceg2e::require_face_model(std::nullopt));
  faceg2e::pipeline::FaceScene scene(model, torch::kCPU);
  auto unet = faceg2e::diffusion::make_unet(
      faceg2e::diffusion::load_component(ckpt, faceg2e::diffusion::Component::UNet));
  auto vae = faceg2e::diffusion::make_vae(
      faceg2e::diffusion::load_component(ckpt, faceg2e::diffusion::Component::VAE));
  for (auto& p : vae->parameters()) p.requires_grad_(false);
  const int64_t ctx_dim = unet->config().cross_attention_dim;
  torch::Tensor emb = torch::randn({2, 77, ctx_dim});
  torch::Tensor a = torch::zeros({scene.num_identity()}).requires_grad_(true);

  double t_render = 0, t_encode = 0, t_unet = 0, t_backward = 0;
  auto secs = [](Clock::time_point s) {
    return std::chrono::duration<double>(Clock::now() - s).count();
  };
  for (int i = 0; i < steps + 1; ++i) {  // step 0 warms up
    auto s = Clock::now();
    faceg2e::raster::RenderMeshParams rp;
    rp.mode = faceg2e::raster::ShadingMode::kGreyShaded;
    rp.height = rp.width = render_size;
    auto mesh = scene.mesh(scene.vertices(a));
    mesh.sh_gamma = faceg2e::raster::sh_light_preset(i % 16);
    auto out = faceg2e::raster::render_mesh(mesh, scene.camera(faceg2e::raster::ViewAngles{10.0 * i, 0, 1}), rp);
    const double r = secs(s);
    s = Clock::now();
    torch::Tensor z = vae->encode(faceg2e::guidance::resize_for_codec(out.image, vae_size) * 2 - 1).mean *
                      vae->scaling_factor();
    const double e = secs(s);
    s = Clock::now();
    torch::Tensor grad;
    {
      torch::NoGradGuard ng;
      torch::Tensor noise = torch::randn_like(z);
      torch::Tensor zt = 0.7 * z + 0.7 * noise;
      torch::Tensor eps = unet->forward(torch::cat({zt, zt}), torch::full({2}, 500, torch::kLong), emb);
      grad = 0.5 * (eps.slice(0, 0, 1) * 101 - eps.slice(0, 1, 2) * 100 - noise);
    }
    const double u = secs(s);
    s = Clock::now();
    (grad * z).sum().backward();
    const double b = secs(s);
    a.mutable_grad().zero_();
    if (i > 0) {
      t_render += r;
      t_encode += e;
      t_unet += u;
      t_backward += b;
    }
  }
  const double total = t_render + t_encode + t_unet + t_backward;
  std::printf("SDS step breakdown, tiny SD2 fixture, CPU (%d threads), render %d px, VAE input %d px, %d steps\n",
              at::get_num_threads(), render_size, vae_size, steps);
  std::printf("%-12s %10s %8s\n", "phase", "ms/step", "share");
  auto row = [&](const char* n, double v) {
    std::printf("%-12s %10.1f %7.1f%%\n", n, 1000 * v / steps, 100 * v / total);
  };
  row("render", t_render);
  row("vae encode", t_encode);
  row("unet (CFG)", t_unet);
  row("backward", t_backward);
  row("total", total);
  return 0;
}
