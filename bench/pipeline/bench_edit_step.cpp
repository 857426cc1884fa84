// The edit step of the real EditStage (render, VAE encode of the render and, once per view and
// light, of the pre-edit condition, the IP2P UNet on the three-way batch, backward through the
// VAE decoder of the latent texture, the attention projection and W update) with the tiny
// fixture IP2P checkpoint on the CPU. Called by bench_pipeline_step --edit.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/face/face_assets.h"
#include "core/guidance/ip2p_sds.h"
#include "core/pipeline/edit_stage.h"
#include "core/pipeline/face_scene.h"
#include "core/util/data_paths.h"

namespace faceg2e::bench {

int edit_step(int argc, char** argv) {
  namespace fs = std::filesystem;
  using namespace faceg2e::pipeline;
  int steps = 10, render_size = 224, vae_size = 128, atlas_size = 512, warmup = 0, loss_every = 10;
  std::string scope = "texture";
  for (int i = 1; i + 1 < argc; ++i) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--render-size")) render_size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--vae-size")) vae_size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--atlas-size")) atlas_size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--scope")) scope = argv[i + 1];
    if (!std::strcmp(argv[i], "--loss-every")) loss_every = std::atoi(argv[i + 1]);
  }
  torch::manual_seed(0);
  const fs::path set = faceg2e::shared_dir() / "fixtures/sd-reference";
  auto assets = std::make_shared<const face::FaceAssets>(face::FaceAssets::load(std::nullopt));
  auto scene = std::make_shared<const FaceScene>(assets, torch::kCPU);
  guidance::Ip2pLoadOptions o;
  o.checkpoint = set / "checkpoints/ip2p_ldm.safetensors";
  o.instruction = "make her lips red";
  o.words = {"lips"};
  o.params.vae_image_size = vae_size;
  guidance::LoadedIp2p m = guidance::load_ip2p_sds(o);
  EditParams p = edit_defaults(parse_edit_scope(scope));
  p.steps = steps + 1;  // the first step warms up (and encodes the first condition)
  p.render_size = render_size;
  p.atlas_size = atlas_size;
  p.warmup_steps = warmup;
  p.default_albedo_size = atlas_size;
  EditModels models;
  models.guidance = m.guidance;
  if (p.scope == EditScope::kTexture) models.codec = m.codec;
  session::FaceState base;
  EditStage stage(p, scene, models, base, std::nullopt, 1);
  stage.step(true);
  const EditPhaseSeconds warm = stage.phase_seconds();
  const double warm_total = stage.seconds();
  RunControl control;
  control.loss_every = loss_every;
  run_stage(stage, control);
  const EditPhaseSeconds& ph = stage.phase_seconds();
  const double total = stage.seconds() - warm_total;
  std::printf(
      "edit step breakdown (real EditStage), tiny IP2P fixture, CPU (%d threads), scope %s, render "
      "%d px, "
      "VAE input %d px, atlas %d (%s), %d steps, %d condition encodes, loss read every %d\n",
      at::get_num_threads(), scope.c_str(), render_size, vae_size, atlas_size,
      models.codec ? "latent" : "texels", steps, m.guidance->conditions_encoded(), loss_every);
  std::printf("%-34s %10s %8s\n", "phase", "ms/step", "share");
  auto row = [&](const char* n, double v) {
    std::printf("%-34s %10.1f %7.1f%%\n", n, 1000 * v / steps, 100 * v / total);
  };
  row("texture decode + render", ph.render - warm.render);
  row("guidance (encode, cond., UNet x3)", ph.guidance - warm.guidance);
  row("consistency", ph.consistency - warm.consistency);
  row("backward + optimizer", ph.backward - warm.backward);
  row("attention -> atlas, W update", ph.weights - warm.weights);
  row("total", total);
  return 0;
}

}  // namespace faceg2e::bench
