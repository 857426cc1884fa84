// faceg2e-cli generate: text (or a target project) -> face shape -> face texture -> project.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <set>
#include <sstream>

#include "app/cli/cli_commands.h"
#include "core/face/face_assets.h"
#include "core/pipeline/generate.h"
#include "core/session/project.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"
#include "core/util/image_io.h"
#include "core/util/staged_folder.h"
#include "core/util/utf8.h"

namespace faceg2e::cli {

namespace fs = std::filesystem;
using namespace faceg2e::pipeline;

namespace {

std::atomic<bool> g_cancel{false};
extern "C" void on_sigint(int) { g_cancel.store(true); }

struct GenerateArgs {
  std::string out, prompt, negative, stages = "geometry,texture", device = "cpu", guidance = "sd";
  std::string target, face_model, models, sd21, sd15, controlnet, prior, clip_vocab, previews;
  bool force = false;
  // -1 / empty: not given, the stage default of the guidance mode applies. Whether a flag was
  // given is read from the parser (given()), so an explicit 0 or -5 is checked, never ignored.
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
  const CLI::App* cmd = nullptr;

  bool given(const char* flag) const { return cmd && cmd->count(flag) > 0; }
};

std::string format_eta(double s) {
  const int t = static_cast<int>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Checks before anything runs. Everything that can be wrong with the command line is found here,
// within seconds, before the face model loads and step 1 starts: a mistake found after an
// hour-long run would lose the run. Only cheap checks: flags, text, files that must exist, model
// headers (not weights), the prompt's token count.

void require_at_least(const GenerateArgs& a, const char* flag, double value, double min) {
  if (a.given(flag) && !(value >= min)) {
    std::ostringstream m;
    m << flag << " must be at least " << min << " (got " << value << ")";
    throw Error(m.str());
  }
}

void require_positive(const GenerateArgs& a, const char* flag, double value) {
  if (a.given(flag) && !(value > 0)) {
    std::ostringstream m;
    m << flag << " must be greater than 0 (got " << value << ")";
    throw Error(m.str());
  }
}

void warn_if_truncated(const fs::path& checkpoint, const std::optional<fs::path>& clip_vocab,
                       const std::string& text, const char* flag, std::set<std::string>& shown) {
  if (text.empty()) return;
  const PromptFit fit = check_prompt_fit(checkpoint, clip_vocab, text);
  if (fit.dropped.empty() || !shown.insert(fit.dropped).second) return;
  spdlog::warn("{} has {} tokens; the text encoder keeps {}, so this part is dropped: \"{}\"", flag,
               fit.tokens, fit.max_tokens, fit.dropped);
}

// What the checks resolve besides the stage parameters.
struct CheckedInputs {
  fs::path face_model;
  std::optional<session::ProjectState> target;
};

// Throws faceg2e::Error naming the flag; prints warnings (model roles, long prompts).
GenerateParams validate_generate_args(const GenerateArgs& a, CheckedInputs& in) {
  GenerateParams p;
  require_valid_utf8(a.prompt, "--prompt");
  require_valid_utf8(a.negative, "--negative-prompt");
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
  const bool target_mode = p.guidance == GuidanceMode::kTarget;
  if (!target_mode && a.prompt.empty()) throw Error("--prompt is required (or --guidance target)");
  if (target_mode && a.target.empty())
    throw Error("--guidance target needs --target PROJECT_DIR (made by `faceg2e-cli new`)");
  p.run_geometry = p.run_texture = false;
  std::stringstream ss(a.stages);
  for (std::string s; std::getline(ss, s, ',');) {
    if (s == "geometry")
      p.run_geometry = true;
    else if (s == "texture")
      p.run_texture = true;
    else
      throw Error("--stages: unknown stage '" + s + "' (expected geometry,texture)");
  }
  if (!p.run_geometry && !p.run_texture)
    throw Error("--stages names no stage (expected geometry,texture)");

  require_at_least(a, "--steps-geometry", a.steps_geometry, 1);
  require_at_least(a, "--steps-texture", a.steps_texture, 1);
  require_at_least(a, "--preview-every", a.preview_every, 0);
  require_at_least(a, "--render-size-geometry", a.geometry_size, 16);
  require_at_least(a, "--render-size-texture", a.texture_size, 16);
  require_at_least(a, "--views-per-step", a.views_per_step, 1);
  require_at_least(a, "--vae-size", a.vae_size, 8);
  require_at_least(a, "--texture-atlas-size", a.atlas_size, 8);
  require_at_least(a, "--cfg-geometry", a.cfg_geometry, 0);
  require_at_least(a, "--cfg-texture", a.cfg_texture, 0);
  require_at_least(a, "--texture-prior-weight", a.prior_weight, 0);
  require_positive(a, "--lr-geometry", a.geometry_lr);
  require_positive(a, "--lr-texture", a.texture_lr);
  require_at_least(a, "--lr-decay-every-geometry", a.geometry_decay_every, 1);
  require_positive(a, "--lr-decay-gamma-geometry", a.geometry_decay_gamma);
  require_at_least(a, "--prior-geometry", a.geometry_prior, 0);
  require_at_least(a, "--modes-start-geometry", a.geometry_modes_start, 0);
  if (a.given("--vae-size") && a.vae_size % 8 != 0)
    throw Error("--vae-size must be a multiple of 8");
  if (a.given("--texture-atlas-size") && a.atlas_size % 8 != 0)
    throw Error("--texture-atlas-size must be a multiple of 8");

  if (a.given("--steps-geometry")) p.geometry.steps = a.steps_geometry;
  if (a.given("--steps-texture")) p.texture.steps = a.steps_texture;
  if (a.given("--render-size-geometry")) p.geometry.render_size = a.geometry_size;
  if (a.given("--render-size-texture"))
    p.texture.render_size = p.texture.control_size = a.texture_size;
  if (a.given("--views-per-step")) p.geometry.views_per_step = a.views_per_step;
  if (a.given("--vae-size")) p.vae_image_size = a.vae_size;
  if (a.given("--texture-atlas-size")) p.texture.atlas_size = a.atlas_size;
  if (a.given("--cfg-geometry")) p.cfg_scale_geometry = a.cfg_geometry;
  if (a.given("--cfg-texture")) p.cfg_scale_texture = p.cfg_scale_uv_prior = a.cfg_texture;
  if (a.given("--texture-prior-weight")) p.texture.uv_prior_weight = a.prior_weight;
  p.texture.uv_prior_yuv = a.prior_yuv;
  if (!a.geometry_optimizer.empty())
    p.geometry.optimizer.kind = parse_optimizer_kind(a.geometry_optimizer);
  if (a.given("--lr-geometry")) p.geometry.optimizer.lr = a.geometry_lr;
  if (a.given("--lr-texture")) p.texture.optimizer.lr = a.texture_lr;
  if (a.given("--lr-decay-every-geometry"))
    p.geometry.optimizer.decay_every = a.geometry_decay_every;
  if (a.given("--lr-decay-gamma-geometry"))
    p.geometry.optimizer.decay_gamma = a.geometry_decay_gamma;
  if (a.given("--average-last-geometry")) p.geometry.average_last = a.geometry_average;
  if (a.given("--prior-geometry")) p.geometry.prior_weight = a.geometry_prior;
  if (a.given("--modes-start-geometry")) p.geometry.modes_start = a.geometry_modes_start;
  if (a.given("--antialias-geometry")) p.geometry.antialias = a.geometry_antialias != 0;
  if (a.given("--antialias-until-geometry"))
    p.geometry.antialias_until = a.geometry_antialias_until;
  if (a.given("--outline-weight-geometry")) p.geometry.outline_weight = a.geometry_outline_weight;

  // Files: the face model (an explicit setting that points nowhere is an error), the target.
  std::optional<fs::path> face_model;
  if (!a.face_model.empty()) face_model = fs::path(a.face_model);
  in.face_model = require_face_model(face_model);
  if (target_mode) {
    in.target = session::load_project(a.target);  // throws naming the folder and the file
    p.target = in.target->face;
  }

  // Models: explicit paths exist and are inspected (headers only); roles the stages need are
  // there; a prompt the text encoder would cut is shown.
  auto opt = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<fs::path>(s);
  };
  p.models.models_dir = opt(a.models);
  p.models.geometry = opt(a.sd21);
  p.models.texture = opt(a.sd15);
  p.models.texture_control = opt(a.controlnet);
  p.models.texture_prior = opt(a.prior);
  p.models.clip_vocab = opt(a.clip_vocab);
  if (!target_mode) {
    const ResolvedModels r = resolve_models(p.models);
    for (const auto& w : r.warnings) spdlog::warn("{}", w);
    std::optional<fs::path> vocab;
    if (const fs::path v = find_clip_vocab(p.models.clip_vocab); !v.empty()) vocab = v;
    std::set<std::string> shown;
    std::vector<fs::path> text_models;
    if (p.run_geometry) text_models.push_back(require_role(r.geometry, ModelRole::kGeometry));
    if (p.run_texture) {
      text_models.push_back(require_role(r.texture, ModelRole::kTexture));
      require_role(r.texture_control, ModelRole::kTextureControl);
    }
    for (const auto& m : text_models) {
      warn_if_truncated(m, vocab, p.prompt, "--prompt", shown);
      warn_if_truncated(m, vocab, p.negative_prompt, "--negative-prompt", shown);
    }
  }
  return p;
}

void run(const GenerateArgs& a) {
  CheckedInputs in;
  GenerateParams p = validate_generate_args(a, in);
  // The output folder: created as a temporary sibling now (the writability check), moved into
  // place only when everything is written. Previews go beside it, never into it.
  StagedFolder::Options folder_options;
  folder_options.force = a.force;
  StagedFolder out(a.out, folder_options);
  fs::path previews_dir;
  if (a.preview_every > 0) previews_dir = prepare_previews_dir(a.out, a.previews, a.force);
  std::string warning;
  auto assets =
      std::make_shared<const face::FaceAssets>(face::FaceAssets::load(in.face_model, &warning));
  if (!warning.empty()) spdlog::warn("{}", warning);
  if (in.target)
    session::check_coefficients(in.target->face.coeffs, assets->model, "target project " + a.target);

  const bool tty = isatty(fileno(stderr));
  RunControl control;
  control.cancel = &g_cancel;
  control.preview_every = a.preview_every;
  int last_line_step = -1;
  control.on_progress = [&](const Progress& pr) {
    if (tty) {
      const int width = 30, filled = pr.total ? width * pr.step / pr.total : 0;
      std::fprintf(stderr, "\r%-8s [%s%s] %d/%d t=%3d loss=%.4g %.2f it/s ETA %s   ",
                   pr.stage.c_str(), std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), pr.step, pr.total, pr.t, pr.loss,
                   pr.it_per_s, format_eta(pr.eta_s).c_str());
      if (pr.step == pr.total) std::fprintf(stderr, "\n");
    } else if (pr.step == pr.total || pr.step == 1 ||
               pr.step - last_line_step >= std::max(1, pr.total / 20)) {
      std::fprintf(stderr, "%s step %d/%d t=%d loss=%.4g %.2f it/s ETA %s\n", pr.stage.c_str(),
                   pr.step, pr.total, pr.t, pr.loss, pr.it_per_s, format_eta(pr.eta_s).c_str());
      last_line_step = pr.step;
    }
    std::fflush(stderr);
  };
  if (a.preview_every > 0) {
    control.on_preview = [&](const Preview& pv) {
      char name[64];
      std::snprintf(name, sizeof name, "%s_%04d.png", pv.stage.c_str(), pv.step);
      write_png(previews_dir / name, pv.image);
    };
  }
  auto previous = std::signal(SIGINT, on_sigint);
  try {
    GenerateResult r = run_generate(std::move(p), assets, control);
    std::signal(SIGINT, previous);
    if (in.target) r.record["target"] = fs::absolute(a.target).string();
    // The pipeline writes nothing: the project (format 2, one entry) is written here, into the
    // staged folder, which then replaces --out as a whole.
    session::ProjectState state;
    state.face = r.state;
    state.face_model_name = session::face_model_name(assets->model);
    state.generation = r.record;
    session::save_project(out.path(), state);
    out.commit();
    std::printf("wrote project %s (%s, %.1f s)\n", a.out.c_str(),
                r.record["stages"].dump().c_str(), r.seconds);
    if (!previews_dir.empty()) std::printf("previews in %s\n", previews_dir.string().c_str());
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;
  }
}

// The default shown by --help for an option whose default depends on --guidance.
template <typename T>
std::string mode_default(T sd, T target) {
  std::ostringstream s;
  s << sd;
  if (target != sd) s << "; " << target << " with --guidance target";
  return s.str();
}

}  // namespace

const char* role_flag_hint(pipeline::ModelRole role) {
  switch (role) {
    case ModelRole::kGeometry: return "pass --sd21 PATH, or --models DIR holding an SD 2.x checkpoint";
    case ModelRole::kTexture: return "pass --sd15 PATH, or --models DIR holding an SD 1.x checkpoint";
    case ModelRole::kTextureControl:
      return "pass --controlnet-depth PATH, or --models DIR holding a depth ControlNet";
    case ModelRole::kTexturePrior: return "pass --texture-prior PATH";
    case ModelRole::kEdit:
      return "pass --ip2p PATH, or --models DIR holding an InstructPix2Pix checkpoint";
  }
  return "";
}

void register_generate_commands(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  auto* cmd =
      app.add_subcommand("generate", "Generate a face (shape, then texture) from a text prompt");
  args->cmd = cmd;
  // --help shows every default: the plain ones are captured from GenerateArgs, the ones that
  // depend on --guidance are spelled out from the stage parameter structs.
  cmd->option_defaults()->always_capture_default();
  const GeometryParams gs;
  const GeometryParams gt = target_geometry_defaults();
  const TextureParams ts;
  const TextureParams tt = target_texture_defaults();
  const GenerateParams gp;
  cmd->add_option(
         "--out", args->out,
         "Project folder to write (only when the run succeeds; an existing one needs --force)")
      ->required();
  cmd->add_flag("--force", args->force,
                "Replace an existing --out folder (and earlier previews); the old folder stays "
                "until the new one is complete");
  cmd->add_option("--prompt", args->prompt, "Text prompt (optional with --guidance target)");
  cmd->add_option("--negative-prompt", args->negative, "Negative prompt");
  cmd->add_option("--stages", args->stages, "Stages to run: geometry,texture");
  cmd->add_option("--steps-geometry", args->steps_geometry, "Geometry steps (at least 1)")
      ->default_str(mode_default(gs.steps, gt.steps));
  cmd->add_option("--steps-texture", args->steps_texture, "Texture steps (at least 1)")
      ->default_str(mode_default(ts.steps, tt.steps));
  cmd->add_option("--seed", args->seed, "Random seed (views, lights, timesteps, noise)");
  cmd->add_option("--device", args->device, "cpu | cuda | cuda:N");
  cmd->add_option("--guidance", args->guidance, "sd (Stable Diffusion) | target (analytic target)");
  cmd->add_option("--target", args->target, "Target project folder for --guidance target");
  cmd->add_option("--face-model", args->face_model, "F3DM face model")
      ->default_str("the search order in README");
  cmd->add_option("--models", args->models,
                  "Models folder (A1111 / ComfyUI layout); roles detected");
  cmd->add_option("--sd21", args->sd21, "Geometry model: SD 2.x checkpoint or diffusers folder")
      ->default_str("from --models");
  cmd->add_option("--sd15", args->sd15, "Texture model: SD 1.x checkpoint or diffusers folder")
      ->default_str("from --models");
  cmd->add_option("--controlnet-depth", args->controlnet, "ControlNet depth for SD 1.x")
      ->default_str("from --models");
  cmd->add_option("--texture-prior", args->prior,
                  "UV texture prior: an SD 1.x-compatible UNet trained on UV maps (diffusers "
                  "folder or .safetensors)")
      ->default_str("from --models, else none");
  cmd->add_option("--texture-prior-weight", args->prior_weight, "Weight of the UV prior term")
      ->default_str(mode_default(ts.uv_prior_weight, tt.uv_prior_weight));
  cmd->add_flag("--texture-prior-yuv", args->prior_yuv,
                "The UV prior was trained on YUV (BT.601) maps");
  cmd->add_option("--clip-vocab", args->clip_vocab,
                  "CLIP BPE vocabulary for single-file checkpoints")
      ->default_str("$FACEG2E_CLIP_VOCAB, then the XDG and ../shared locations");
  cmd->add_option("--preview-every", args->preview_every,
                  "Write a preview PNG every N steps (0 = none) into --previews");
  cmd->add_option("--previews", args->previews, "Folder for the previews")
      ->default_str("OUT.previews beside --out");
  cmd->add_option("--render-size-geometry", args->geometry_size, "Geometry render size")
      ->default_str(mode_default(gs.render_size, gt.render_size));
  cmd->add_option("--render-size-texture", args->texture_size, "Texture render size")
      ->default_str(mode_default(ts.render_size, tt.render_size));
  cmd->add_option("--views-per-step", args->views_per_step, "Geometry views per step")
      ->default_str(mode_default(gs.views_per_step, gt.views_per_step));
  cmd->add_option("--vae-size", args->vae_size,
                  "Resize renders to this before VAE encoding (smaller is faster, for previews)")
      ->default_str(std::to_string(gp.vae_image_size));
  cmd->add_option(
         "--texture-atlas-size", args->atlas_size,
         "Optimised texture size (512: a 64x64 latent); the saved atlas keeps its own size")
      ->default_str(mode_default(ts.atlas_size, tt.atlas_size));
  cmd->add_option("--cfg-geometry", args->cfg_geometry, "Classifier-free guidance scale, geometry")
      ->default_str(mode_default(gp.cfg_scale_geometry, gp.cfg_scale_geometry));
  cmd->add_option("--cfg-texture", args->cfg_texture, "Classifier-free guidance scale, texture")
      ->default_str(mode_default(gp.cfg_scale_texture, gp.cfg_scale_texture));
  cmd->add_option("--optimizer-geometry", args->geometry_optimizer, "adan | adam | adamw")
      ->default_str(mode_default(to_string(gs.optimizer.kind), to_string(gt.optimizer.kind)));
  cmd->add_option("--lr-geometry", args->geometry_lr, "Geometry learning rate")
      ->default_str(mode_default(gs.optimizer.lr, gt.optimizer.lr));
  cmd->add_option("--lr-texture", args->texture_lr, "Texture learning rate")
      ->default_str(mode_default(ts.optimizer.lr, tt.optimizer.lr));
  cmd->add_option("--lr-decay-every-geometry", args->geometry_decay_every,
                  "Geometry: multiply the learning rate by --lr-decay-gamma-geometry every N steps")
      ->default_str(mode_default(gs.optimizer.decay_every, gt.optimizer.decay_every));
  cmd->add_option("--lr-decay-gamma-geometry", args->geometry_decay_gamma,
                  "Geometry learning-rate decay factor")
      ->default_str(mode_default(gs.optimizer.decay_gamma, gt.optimizer.decay_gamma));
  cmd->add_option("--average-last-geometry", args->geometry_average,
                  "Geometry result: mean of the iterates over this last fraction of the steps (0 = "
                  "last iterate)")
      ->check(CLI::Range(0.0, 1.0))
      ->default_str(mode_default(gs.average_last, gt.average_last));
  cmd->add_option("--prior-geometry", args->geometry_prior,
                  "Weight of the plausibility prior mean(a^2) on the identity coefficients")
      ->default_str(mode_default(gs.prior_weight, gt.prior_weight));
  cmd->add_option("--antialias-geometry", args->geometry_antialias,
                  "1: antialiased outlines, so gradients move the silhouette; 0: plain coverage")
      ->check(CLI::Range(0, 1))
      ->default_str(mode_default(int(gs.antialias), int(gt.antialias)));
  cmd->add_option("--antialias-until-geometry", args->geometry_antialias_until,
                  "Fraction of the geometry steps that are antialiased")
      ->check(CLI::Range(0.0, 1.0))
      ->default_str(mode_default(gs.antialias_until, gt.antialias_until));
  cmd->add_option(
         "--outline-weight-geometry", args->geometry_outline_weight,
         "Analytic target, antialiased: weight of outline pixels outside the common coverage")
      ->check(CLI::Range(0.0, 1.0))
      ->default_str(mode_default(gs.outline_weight, gt.outline_weight));
  cmd->add_option(
         "--modes-start-geometry", args->geometry_modes_start,
         "Coarse to fine: identity modes free at the start, growing to all by mid-run (0 = all)")
      ->default_str(mode_default(gs.modes_start, gt.modes_start));
  cmd->callback([args] { run(*args); });
}

}  // namespace faceg2e::cli
