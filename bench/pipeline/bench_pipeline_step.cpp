// Step time of the real stages (core/pipeline/stages.h) with the tiny fixture models on the CPU:
// geometry (SD2 fixture, text SDS), texture in its latent and RGB phases (SD1 fixture + depth
// ControlNet), each with the loss read back every step and every 10 steps, and the share of the
// step spent in the guidance (VAE encode + UNet). Prints a table. Usage:
//   bench_pipeline_step [--steps N] [--render-size PX] [--vae-size PX]
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "core/face/face_assets.h"
#include "core/guidance/text_sds.h"
#include "core/pipeline/stages.h"
#include "core/util/data_paths.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace faceg2e;

namespace {

// Times the wrapped objective's compute() (VAE encode + UNet + the SDS arithmetic).
class TimedGuidance final : public guidance::Guidance {
 public:
  explicit TimedGuidance(std::shared_ptr<guidance::Guidance> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  guidance::GuidanceResult compute(const torch::Tensor& input, bool latent,
                                   const guidance::GuidanceStep& step) override {
    const auto s = Clock::now();
    auto r = inner_->compute(input, latent, step);
    seconds += std::chrono::duration<double>(Clock::now() - s).count();
    return r;
  }
  bool wants_control() const override { return inner_->wants_control(); }
  bool works_in_latent_space() const override { return inner_->works_in_latent_space(); }
  double seconds = 0;

 private:
  std::shared_ptr<guidance::Guidance> inner_;
};

struct Row {
  std::string what;
  double ms_per_step = 0, guidance_share = 0;
};

}  // namespace

int main(int argc, char** argv) {
  int steps = 4, render_size = 224, vae_size = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--render-size")) render_size = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--vae-size")) vae_size = std::atoi(argv[i + 1]);
  }
  const fs::path fixtures = shared_dir() / "fixtures/sd-reference";
  auto assets = std::make_shared<const face::FaceAssets>(face::FaceAssets::load(std::nullopt));
  auto scene = std::make_shared<const pipeline::FaceScene>(assets, torch::kCPU);

  auto load = [&](const std::string& ckpt, bool control) {
    guidance::SdLoadOptions o;
    o.checkpoint = fixtures / "checkpoints" / ckpt;
    if (control) o.controlnet = fixtures / "checkpoints/controlnet_sd1_lllyasviel.safetensors";
    o.prompt = "a portrait of an old man";
    o.params.vae_image_size = vae_size;
    return guidance::load_text_sds(o);
  };
  std::vector<Row> rows;
  // Runs `stage_steps` steps of a fresh stage (the first one warms up and is not counted).
  auto measure = [&](const std::string& what, int loss_every, auto make_stage,
                     TimedGuidance& timed) {
    std::unique_ptr<pipeline::Stage> stage = make_stage();
    stage->step(true);  // warm-up
    timed.seconds = 0;
    const auto s = Clock::now();
    for (int i = 0; i < steps; ++i) stage->step((i + 1) % loss_every == 0);
    const double total = std::chrono::duration<double>(Clock::now() - s).count();
    rows.push_back({what, 1000 * total / steps, timed.seconds / total});
  };

  {
    auto sd = load("sd2_ldm.safetensors", false);
    auto timed = std::make_shared<TimedGuidance>(sd.guidance);
    pipeline::GeometryParams gp;
    gp.steps = steps + 1;
    gp.render_size = render_size;
    for (int every : {1, 10})
      measure("geometry, loss read every " + std::to_string(every), every, [&] {
        return std::make_unique<pipeline::GeometryStage>(gp, scene, timed, session::FaceState{},
                                                         std::nullopt, 1);
      }, *timed);
  }
  {
    auto sd = load("sd1_ldm.safetensors", true);
    auto timed = std::make_shared<TimedGuidance>(sd.guidance);
    pipeline::TextureParams tp;
    tp.steps = steps + 1;
    tp.render_size = tp.control_size = render_size;
    tp.atlas_size = vae_size;
    tp.default_albedo_size = 256;
    for (double fraction : {1.0, 0.0}) {
      tp.latent_fraction = fraction;
      const std::string phase = fraction > 0 ? "texture (latent phase)" : "texture (RGB phase)";
      for (int every : {1, 10})
        measure(phase + ", loss read every " + std::to_string(every), every, [&] {
          return std::make_unique<pipeline::TextureStage>(tp, scene, timed, sd.codec, nullptr,
                                                          session::FaceState{}, std::nullopt, 1);
        }, *timed);
    }
  }
  std::printf("Real stage steps, tiny fixture models, CPU (%d threads), render %d px, VAE input %d px, %d steps each\n",
              at::get_num_threads(), render_size, vae_size, steps);
  std::printf("%-44s %10s %16s\n", "stage", "ms/step", "guidance share");
  for (const Row& r : rows)
    std::printf("%-44s %10.1f %15.0f%%\n", r.what.c_str(), r.ms_per_step, 100 * r.guidance_share);
  return 0;
}
