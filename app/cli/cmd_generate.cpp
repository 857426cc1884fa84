// faceg2e-cli generate: text (or a target project) -> face shape -> face texture -> project.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "app/cli/cli_commands.h"
#include "core/face/face_assets.h"
#include "core/pipeline/generate.h"
#include "core/session/project.h"
#include "core/util/error.h"
#include "core/util/image_io.h"

namespace faceg2e::cli {

namespace fs = std::filesystem;
using namespace faceg2e::pipeline;

namespace {

std::atomic<bool> g_cancel{false};
extern "C" void on_sigint(int) { g_cancel.store(true); }

struct GenerateArgs {
  std::string out, prompt, negative, stages = "geometry,texture", device = "cpu", guidance = "sd";
  std::string target, face_model, models, sd21, sd15, controlnet, prior, clip_vocab;
  int steps_geometry = -1, steps_texture = -1, preview_every = 0;
  int geometry_size = -1, texture_size = -1, views_per_step = -1, vae_size = -1, atlas_size = -1;
  double cfg_geometry = -1, cfg_texture = -1, prior_weight = -1;
  bool prior_yuv = false;
  std::string geometry_optimizer;
  double geometry_lr = -1, texture_lr = -1, geometry_decay_gamma = -1;
  int geometry_decay_every = -1;
  double geometry_average = -1, geometry_prior = -1, geometry_antialias_until = -1,
         geometry_outline_weight = -1;
  int geometry_modes_start = -1, geometry_antialias = -1;
  std::uint64_t seed = 0;
};

std::string format_eta(double s) {
  const int t = static_cast<int>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

void run(const GenerateArgs& a) {
  GenerateParams p;
  p.prompt = a.prompt;
  p.negative_prompt = a.negative;
  p.seed = a.seed;
  p.device = a.device;
  if (a.guidance == "target") {
    p.guidance = GuidanceMode::kTarget;
    p.geometry = target_geometry_defaults();
    p.texture = target_texture_defaults();
  } else if (a.guidance == "sd") {
    p.guidance = GuidanceMode::kStableDiffusion;
  } else {
    throw Error("--guidance must be sd or target, got '" + a.guidance + "'");
  }
  p.run_geometry = p.run_texture = false;
  std::stringstream ss(a.stages);
  for (std::string s; std::getline(ss, s, ',');) {
    if (s == "geometry") p.run_geometry = true;
    else if (s == "texture") p.run_texture = true;
    else throw Error("--stages: unknown stage '" + s + "' (expected geometry,texture)");
  }
  if (a.steps_geometry > 0) p.geometry.steps = a.steps_geometry;
  if (a.steps_texture > 0) p.texture.steps = a.steps_texture;
  if (a.geometry_size > 0) p.geometry.render_size = a.geometry_size;
  if (a.texture_size > 0) p.texture.render_size = p.texture.control_size = a.texture_size;
  if (a.views_per_step > 0) p.geometry.views_per_step = a.views_per_step;
  if (a.vae_size > 0) {
    if (a.vae_size % 8 != 0) throw Error("--vae-size must be a multiple of 8");
    p.vae_image_size = a.vae_size;
  }
  if (a.atlas_size > 0) {
    if (a.atlas_size % 8 != 0) throw Error("--texture-atlas-size must be a multiple of 8");
    p.texture.atlas_size = a.atlas_size;
  }
  if (a.cfg_geometry > 0) p.cfg_scale_geometry = a.cfg_geometry;
  if (a.cfg_texture > 0) p.cfg_scale_texture = p.cfg_scale_uv_prior = a.cfg_texture;
  if (a.prior_weight >= 0) p.texture.uv_prior_weight = a.prior_weight;
  p.texture.uv_prior_yuv = a.prior_yuv;
  if (!a.geometry_optimizer.empty()) p.geometry.optimizer.kind = parse_optimizer_kind(a.geometry_optimizer);
  if (a.geometry_lr > 0) p.geometry.optimizer.lr = a.geometry_lr;
  if (a.texture_lr > 0) p.texture.optimizer.lr = a.texture_lr;
  if (a.geometry_decay_every > 0) p.geometry.optimizer.decay_every = a.geometry_decay_every;
  if (a.geometry_decay_gamma > 0) p.geometry.optimizer.decay_gamma = a.geometry_decay_gamma;
  if (a.geometry_average >= 0) p.geometry.average_last = a.geometry_average;
  if (a.geometry_prior >= 0) p.geometry.prior_weight = a.geometry_prior;
  if (a.geometry_modes_start >= 0) p.geometry.modes_start = a.geometry_modes_start;
  if (a.geometry_antialias >= 0) p.geometry.antialias = a.geometry_antialias != 0;
  if (a.geometry_antialias_until >= 0) p.geometry.antialias_until = a.geometry_antialias_until;
  if (a.geometry_outline_weight >= 0) p.geometry.outline_weight = a.geometry_outline_weight;
  auto opt = [](const std::string& s) { return s.empty() ? std::nullopt : std::optional<fs::path>(s); };
  p.models.models_dir = opt(a.models);
  p.models.geometry = opt(a.sd21);
  p.models.texture = opt(a.sd15);
  p.models.texture_control = opt(a.controlnet);
  p.models.texture_prior = opt(a.prior);
  p.models.clip_vocab = opt(a.clip_vocab);

  std::string warning;
  auto assets = std::make_shared<const face::FaceAssets>(face::FaceAssets::load(opt(a.face_model), &warning));
  if (!warning.empty()) spdlog::warn("{}", warning);
  if (p.guidance == GuidanceMode::kTarget) {
    if (a.target.empty())
      throw Error("generate --guidance target needs --target PROJECT_DIR (made by `faceg2e-cli new`)");
    session::ProjectState tp = session::load_project(a.target);
    session::check_coefficients(tp.face.coeffs, assets->model, "target project " + a.target);
    p.target = tp.face;
  }

  const bool tty = isatty(fileno(stderr));
  RunControl control;
  control.cancel = &g_cancel;
  control.preview_every = a.preview_every;
  int last_line_step = -1;
  control.on_progress = [&](const Progress& pr) {
    if (tty) {
      const int width = 30, filled = pr.total ? width * pr.step / pr.total : 0;
      std::fprintf(stderr, "\r%-8s [%s%s] %d/%d t=%3d loss=%.4g %.2f it/s ETA %s   ", pr.stage.c_str(),
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), pr.step,
                   pr.total, pr.t, pr.loss, pr.it_per_s, format_eta(pr.eta_s).c_str());
      if (pr.step == pr.total) std::fprintf(stderr, "\n");
    } else if (pr.step == pr.total || pr.step == 1 || pr.step - last_line_step >= std::max(1, pr.total / 20)) {
      std::fprintf(stderr, "%s step %d/%d t=%d loss=%.4g %.2f it/s ETA %s\n", pr.stage.c_str(), pr.step,
                   pr.total, pr.t, pr.loss, pr.it_per_s, format_eta(pr.eta_s).c_str());
      last_line_step = pr.step;
    }
    std::fflush(stderr);
  };
  if (a.preview_every > 0) {
    control.on_preview = [&](const Preview& pv) {
      char name[64];
      std::snprintf(name, sizeof name, "%s_%04d.png", pv.stage.c_str(), pv.step);
      const fs::path dir = fs::path(a.out) / "previews";
      fs::create_directories(dir);
      write_png(dir / name, pv.image);
    };
  }
  auto previous = std::signal(SIGINT, on_sigint);
  try {
    GenerateResult r = run_generate(std::move(p), assets, control);
    std::signal(SIGINT, previous);
    if (!a.target.empty()) r.record["target"] = fs::absolute(a.target).string();
    session::ProjectState state;
    state.face = r.state;
    state.face_model_name = session::face_model_name(assets->model);
    state.generation = r.record;
    session::save_project(a.out, state);
    std::printf("wrote project %s (%s, %.1f s)\n", a.out.c_str(), r.record["stages"].dump().c_str(),
                r.seconds);
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
}

}  // namespace

const char* role_flag_hint(pipeline::ModelRole role) {
  switch (role) {
    case ModelRole::kGeometry: return "pass --sd21 PATH, or --models DIR holding an SD 2.x checkpoint";
    case ModelRole::kTexture: return "pass --sd15 PATH, or --models DIR holding an SD 1.x checkpoint";
    case ModelRole::kTextureControl:
      return "pass --controlnet-depth PATH, or --models DIR holding a depth ControlNet";
    case ModelRole::kTexturePrior: return "pass --texture-prior PATH";
    case ModelRole::kEdit: return "pass --ip2p PATH, or --models DIR holding an InstructPix2Pix checkpoint";
  }
  return "";
}

void register_generate_commands(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd = app.add_subcommand("generate", "Generate a face (shape, then texture) from a text prompt");
  cmd->add_option("--out", args->out, "Project folder to write (only written when the run succeeds)")->required();
  cmd->add_option("--prompt", args->prompt, "Text prompt (optional with --guidance target)");
  cmd->add_option("--negative-prompt", args->negative, "Negative prompt (default: empty)");
  cmd->add_option("--stages", args->stages, "Stages to run: geometry,texture");
  cmd->add_option("--steps-geometry", args->steps_geometry, "Geometry steps (default 200; 400 with --guidance target)");
  cmd->add_option("--steps-texture", args->steps_texture, "Texture steps (default 400)");
  cmd->add_option("--seed", args->seed, "Random seed (views, lights, timesteps, noise)");
  cmd->add_option("--device", args->device, "cpu | cuda | cuda:N");
  cmd->add_option("--guidance", args->guidance, "sd (Stable Diffusion) | target (analytic target)");
  cmd->add_option("--target", args->target, "Target project folder for --guidance target");
  cmd->add_option("--face-model", args->face_model, "F3DM face model (default: search order)");
  cmd->add_option("--models", args->models, "Models folder (A1111 / ComfyUI layout); roles detected");
  cmd->add_option("--sd21", args->sd21, "Geometry model: SD 2.x checkpoint or diffusers folder");
  cmd->add_option("--sd15", args->sd15, "Texture model: SD 1.x checkpoint or diffusers folder");
  cmd->add_option("--controlnet-depth", args->controlnet, "ControlNet depth for SD 1.x");
  cmd->add_option("--texture-prior", args->prior,
                  "UV texture prior: an SD 1.x-compatible UNet trained on UV maps (diffusers folder or .safetensors)");
  cmd->add_option("--texture-prior-weight", args->prior_weight, "Weight of the UV prior term (default 1)");
  cmd->add_flag("--texture-prior-yuv", args->prior_yuv, "The UV prior was trained on YUV (BT.601) maps");
  cmd->add_option("--clip-vocab", args->clip_vocab, "CLIP BPE vocabulary for single-file checkpoints");
  cmd->add_option("--preview-every", args->preview_every, "Write DIR/previews/*.png every N steps");
  cmd->add_option("--render-size-geometry", args->geometry_size, "Geometry render size (default 224)");
  cmd->add_option("--render-size-texture", args->texture_size, "Texture render size (default 512)");
  cmd->add_option("--views-per-step", args->views_per_step, "Geometry views per step");
  cmd->add_option("--vae-size", args->vae_size,
                  "Resize renders to this before VAE encoding (default 512; smaller is faster, for previews)");
  cmd->add_option("--texture-atlas-size", args->atlas_size,
                  "Optimised texture size (default 512: a 64x64 latent); the saved atlas keeps its own size");
  cmd->add_option("--cfg-geometry", args->cfg_geometry, "Classifier-free guidance scale, geometry (default 100)");
  cmd->add_option("--cfg-texture", args->cfg_texture, "Classifier-free guidance scale, texture (default 100)");
  cmd->add_option("--optimizer-geometry", args->geometry_optimizer, "adan | adam | adamw");
  cmd->add_option("--lr-geometry", args->geometry_lr, "Geometry learning rate");
  cmd->add_option("--lr-texture", args->texture_lr, "Texture learning rate");
  cmd->add_option("--lr-decay-every-geometry", args->geometry_decay_every,
                  "Geometry: multiply the learning rate by --lr-decay-gamma-geometry every N steps");
  cmd->add_option("--lr-decay-gamma-geometry", args->geometry_decay_gamma, "Geometry learning-rate decay factor");
  cmd->add_option("--average-last-geometry", args->geometry_average,
                  "Geometry result: mean of the iterates over this last fraction of the steps (0 = last iterate)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--prior-geometry", args->geometry_prior,
                  "Weight of the plausibility prior mean(a^2) on the identity coefficients (default 0)");
  cmd->add_option("--antialias-geometry", args->geometry_antialias,
                  "1: antialiased outlines, so gradients move the silhouette (default with --guidance target); 0: plain coverage")
      ->check(CLI::Range(0, 1));
  cmd->add_option("--antialias-until-geometry", args->geometry_antialias_until,
                  "Fraction of the geometry steps that are antialiased (default 1)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--outline-weight-geometry", args->geometry_outline_weight,
                  "Analytic target, antialiased: weight of outline pixels outside the common coverage (default 0.25)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--modes-start-geometry", args->geometry_modes_start,
                  "Coarse to fine: identity modes free at the start, growing to all by mid-run (0 = all)");
  cmd->callback([args] { run(*args); });
}

}  // namespace faceg2e::cli
