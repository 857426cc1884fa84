// faceg2e-cli edit: one text edit of the face at the project's cursor, appended to its history.
// The baseline (T0) is the cursor entry's float state; a cancelled or failed edit adds nothing.
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "app/cli/cli_commands.h"
#include "core/face/face_assets.h"
#include "core/guidance/analytic_target.h"
#include "core/guidance/ip2p_sds.h"
#include "core/pipeline/edit_stage.h"
#include "core/pipeline/face_scene.h"
#include "core/pipeline/models_config.h"
#include "core/session/coefficients.h"
#include "core/session/project_store.h"
#include "core/util/error.h"
#include "core/util/sha256.h"

namespace faceg2e::cli {

namespace fs = std::filesystem;
using namespace faceg2e::pipeline;

namespace {

std::atomic<bool> g_cancel{false};
extern "C" void on_sigint_edit(int) { g_cancel.store(true); }

struct EditArgs {
  std::string project, instruction, scope = "texture", regions, guidance = "ip2p", target, ip2p;
  std::string face_model, device = "cpu", models, clip_vocab, texture_prior, weight_update;
  std::vector<std::string> words;
  int token_index = -1, steps = -1, render_size = -1, atlas_size = -1, vae_size = -1, warmup = -1;
  double feather = -1;
  double lambda = -1, text_scale = -1, image_scale = -1, prior_weight = -1, lr = -1;
  bool attention_sds = false, no_hash = false;
  std::uint64_t seed = 0;
};

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error("--device " + name +
                  ": this build of LibTorch has no CUDA, or no GPU is visible");
    return torch::Device(name);
  }
  throw Error("--device: unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

std::string format_eta(double s) {
  const int t = static_cast<int>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

session::ModelFile model_file(const std::string& role, const fs::path& path, bool hash) {
  session::ModelFile m;
  m.role = role;
  m.path = fs::absolute(path).string();
  if (hash && fs::is_regular_file(path)) m.sha256 = sha256_file_hex(path);
  return m;
}

void run(const EditArgs& a) {
  if (a.instruction.empty()) throw Error("edit: --instruction is required");
  const EditScope scope = parse_edit_scope(a.scope);
  const bool target_mode = a.guidance == "target";
  if (!target_mode && a.guidance != "ip2p")
    throw Error("--guidance must be ip2p or target, got '" + a.guidance + "'");
  if (target_mode && a.target.empty())
    throw Error("edit --guidance target needs --target PROJECT_DIR (the face to move toward)");
  if (a.attention_sds && target_mode) throw Error("--attention-sds needs --guidance ip2p");
  const torch::Device device = parse_device(a.device);

  // The lock is held from here until the store is destroyed: a second writer gets an error.
  std::unique_ptr<session::ProjectStore> store = session::ProjectStore::open(a.project);
  if (store->history().empty()) throw Error("edit: project " + a.project + " has no entry to edit");
  const session::HistoryEntry& base = store->history().current();
  const int base_index = store->history().cursor();

  std::string warning;
  const auto assets_ptr = std::make_shared<const face::FaceAssets>(face::FaceAssets::load(
      a.face_model.empty() ? std::nullopt : std::optional<fs::path>(a.face_model), &warning));
  const face::FaceAssets& assets = *assets_ptr;
  if (!warning.empty()) std::fprintf(stderr, "warning: %s\n", warning.c_str());
  session::check_coefficients(base.state.coeffs, assets.model, "project " + a.project);
  const auto scene = std::make_shared<const FaceScene>(assets_ptr, device);

  EditParams params = target_mode ? target_edit_defaults(scope) : edit_defaults(scope);
  if (a.steps > 0) params.steps = a.steps;
  if (a.lambda >= 0) params.lambda = a.lambda;
  if (a.render_size > 0) params.render_size = a.render_size;
  if (a.atlas_size > 0) {
    if (a.atlas_size % 8 != 0) throw Error("--texture-atlas-size must be a multiple of 8");
    params.atlas_size = a.atlas_size;
  }
  if (a.warmup >= 0) params.warmup_steps = a.warmup;
  if (a.feather >= 0) params.feather_texels = a.feather;
  if (a.lr > 0) params.optimizer.lr = a.lr;
  if (a.prior_weight >= 0) params.uv_prior_weight = a.prior_weight;
  if (!a.weight_update.empty()) params.weight_update = parse_weight_update(a.weight_update);
  params.lock_regions = split_commas(a.regions);

  std::vector<session::ModelFile> model_files;
  model_files.push_back(model_file("face_model", assets.model_path, !a.no_hash));
  std::shared_ptr<guidance::Guidance> g, uv_prior;
  std::shared_ptr<guidance::LatentCodec> codec;
  std::optional<session::FaceState> target;
  std::vector<int> token_indices;
  if (target_mode) {
    const session::Project tp = session::read_project(a.target);
    if (tp.history.empty()) throw Error("--target " + a.target + ": the project has no entry");
    target = tp.history.current().state;
    session::check_coefficients(target->coeffs, assets.model, "target project " + a.target);
    g = std::make_shared<guidance::AnalyticTargetGuidance>(guidance::AnalyticTargetParams{},
                                                           nullptr);
    if (!a.words.empty() || a.token_index >= 0)
      std::fprintf(
          stderr,
          "note: the analytic target has no attention; --word / --token-index are not used\n");
  } else {
    ModelSelection sel;
    auto opt = [](const std::string& s) {
      return s.empty() ? std::nullopt : std::optional<fs::path>(s);
    };
    sel.models_dir = opt(a.models);
    sel.edit = opt(a.ip2p);
    sel.clip_vocab = opt(a.clip_vocab);
    sel.texture_prior = opt(a.texture_prior);
    const ResolvedModels resolved = resolve_models(sel);
    guidance::Ip2pLoadOptions o;
    o.checkpoint = require_role(resolved.edit, ModelRole::kEdit);
    o.instruction = a.instruction;
    o.words = a.words;
    if (a.token_index >= 0) o.token_index = a.token_index;
    const fs::path vocab = find_clip_vocab(sel.clip_vocab);
    if (!vocab.empty()) o.clip_vocab = vocab;
    o.device = device;
    if (a.text_scale > 0) o.params.text_scale = a.text_scale;
    if (a.image_scale > 0) o.params.image_scale = a.image_scale;
    if (a.vae_size > 0) {
      if (a.vae_size % 8 != 0) throw Error("--vae-size must be a multiple of 8");
      o.params.vae_image_size = a.vae_size;
    }
    o.params.attention_sds = a.attention_sds;
    if (a.attention_sds && a.words.empty() && a.token_index < 0)
      throw Error("--attention-sds needs the edited words (--word or --token-index)");
    guidance::LoadedIp2p loaded = guidance::load_ip2p_sds(o);
    g = loaded.guidance;
    token_indices = loaded.token_indices;
    if (scope == EditScope::kTexture) codec = loaded.codec;
    model_files.push_back(model_file("edit", o.checkpoint, !a.no_hash));
    if (resolved.texture_prior && scope == EditScope::kTexture) {
      guidance::LoadedSd shared;
      shared.codec = loaded.codec;
      shared.prompts = loaded.prompts;
      guidance::TextSdsParams pp;
      pp.vae_image_size = o.params.vae_image_size;
      uv_prior = guidance::load_uv_prior(*resolved.texture_prior, shared, pp, device);
      model_files.push_back(model_file("texture_prior", *resolved.texture_prior, !a.no_hash));
    }
  }
  if (!params.lock_regions.empty() && !assets.region_labels())
    throw Error("--regions: no region labels were found for the face model");

  EditModels models;
  models.guidance = g;
  models.codec = codec;
  models.uv_prior = uv_prior;
  EditStage stage(params, scene, models, base.state, target, a.seed);

  const bool tty = isatty(fileno(stderr));
  RunControl control;
  control.cancel = &g_cancel;
  int last_line_step = -1;
  control.on_progress = [&](const Progress& pr) {
    if (tty) {
      const int width = 30, filled = pr.total ? width * pr.step / pr.total : 0;
      std::fprintf(stderr, "\redit     [%s%s] %d/%d t=%3d loss=%.4g %.2f it/s ETA %s   ",
                   std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(),
                   pr.step, pr.total, pr.t, pr.loss, pr.it_per_s, format_eta(pr.eta_s).c_str());
      if (pr.step == pr.total) std::fprintf(stderr, "\n");
    } else if (pr.step == pr.total || pr.step == 1 ||
               pr.step - last_line_step >= std::max(1, pr.total / 20)) {
      std::fprintf(stderr, "edit step %d/%d t=%d loss=%.4g %.2f it/s ETA %s\n", pr.step, pr.total,
                   pr.t, pr.loss, pr.it_per_s, format_eta(pr.eta_s).c_str());
      last_line_step = pr.step;
    }
    std::fflush(stderr);
  };
  auto previous = std::signal(SIGINT, on_sigint_edit);
  try {
    run_stage(stage, control);
    std::signal(SIGINT, previous);
  } catch (...) {
    std::signal(SIGINT, previous);
    throw;  // nothing was appended: the project on disk is unchanged
  }

  session::HistoryEntry entry;
  entry.kind = session::EntryKind::Edit;
  entry.text = a.instruction;
  entry.scope = to_string(scope);
  entry.words = a.words;
  entry.regions = params.lock_regions;
  entry.seed = a.seed;
  entry.models = model_files;
  entry.params = {
      {"guidance", a.guidance},
      {"steps", params.steps},
      {"lambda", params.lambda},
      {"render_size", params.render_size},
      {"atlas_size", params.atlas_size},
      {"warmup_steps", params.warmup_steps},
      {"weight_update", to_string(params.weight_update)},
      {"feather_texels", params.feather_texels},
      {"optimizer", {{"kind", to_string(params.optimizer.kind)}, {"lr", params.optimizer.lr}}},
      {"texture_space", codec ? "latent" : (scope == EditScope::kTexture ? "rgb" : "none")},
      {"token_indices", token_indices},
      {"device", a.device},
      {"base_entry", base.id}};
  if (a.token_index >= 0) entry.params["token_index"] = a.token_index;
  if (target_mode) entry.params["target"] = fs::absolute(a.target).string();
  if (!target_mode) {
    auto* ip = dynamic_cast<guidance::Ip2pSdsGuidance*>(g.get());
    if (ip) {
      entry.params["text_scale"] = ip->params().text_scale;
      entry.params["image_scale"] = ip->params().image_scale;
      entry.params["attention_sds"] = ip->params().attention_sds;
      entry.params["vae_image_size"] = ip->params().vae_image_size;
    }
  }
  entry.timings = {{"edit_s", stage.seconds()}};
  entry.final_loss = stage.final_loss();
  entry.weights = stage.weights();
  entry.attention = stage.attention();
  entry.thumbnail = stage.preview(128);
  entry.state = stage.finish();
  // The models go only now: the texture's latent is decoded by the VAE for the result.
  g->release();
  if (uv_prior) uv_prior->release();
  const session::HistoryEntry& added = store->history().append(std::move(entry));
  const std::string added_id = added.id;
  store->save();
  std::printf("edit of entry %d appended as entry %d (%s) in %s (%.1f s)\n", base_index,
              store->history().cursor(), added_id.c_str(), a.project.c_str(), stage.seconds());
}

}  // namespace

void register_edit_command(CLI::App& app) {
  auto args = std::make_shared<EditArgs>();
  auto* cmd =
      app.add_subcommand("edit", "Edit the face at the project's cursor with a text instruction");
  cmd->add_option("--project", args->project, "Project folder (format 1 or 2)")->required();
  cmd->add_option("--instruction", args->instruction,
                  "Edit instruction, e.g. \"make her lips red\"")
      ->required();
  cmd->add_option("--scope", args->scope, "texture | geometry | expression (default texture)");
  cmd->add_option("--word", args->words,
                  "Edited word(s) of the instruction whose attention guides W (repeatable)")
      ->expected(1, 16);
  cmd->add_option("--token-index", args->token_index,
                  "Token index in the instruction (BOS = 0) whose attention guides W (reference "
                  "--indices_to_alter)");
  cmd->add_option("--regions", args->regions,
                  "Region lock: only these regions may change (comma list: lips, nose, skin, eyes, "
                  "brows, mouth, ...)");
  cmd->add_option("--steps", args->steps, "Optimisation steps (default 200)");
  cmd->add_option("--seed", args->seed, "Random seed (views, lights, noise)");
  cmd->add_option("--guidance", args->guidance,
                  "ip2p (InstructPix2Pix) | target (analytic target)");
  cmd->add_option("--target", args->target, "Target project for --guidance target");
  cmd->add_option("--ip2p", args->ip2p,
                  "InstructPix2Pix checkpoint (single file or diffusers folder)");
  cmd->add_option("--models", args->models,
                  "Models folder (A1111 / ComfyUI layout); the IP2P model is detected");
  cmd->add_option("--clip-vocab", args->clip_vocab,
                  "CLIP BPE vocabulary for single-file checkpoints");
  cmd->add_option("--texture-prior", args->texture_prior, "UV texture prior UNet (texture edits)");
  cmd->add_option("--texture-prior-weight", args->prior_weight,
                  "Weight of the UV prior term (default 0.5)");
  cmd->add_option("--lambda", args->lambda,
                  "Consistency weight (default: texture 15000, geometry/expression 1000)");
  cmd->add_option("--face-model", args->face_model, "F3DM face model (default: search order)");
  cmd->add_option("--device", args->device, "cpu | cuda | cuda:N");
  cmd->add_option("--render-size", args->render_size, "Render size (default 224)");
  cmd->add_option("--texture-atlas-size", args->atlas_size,
                  "Optimised texture / W size (default 512); the saved atlas keeps its own size");
  cmd->add_option("--vae-size", args->vae_size,
                  "Resize renders to this before VAE encoding (default 512)");
  cmd->add_option("--text-scale", args->text_scale, "IP2P text guidance s_T (default 15)");
  cmd->add_option("--image-scale", args->image_scale, "IP2P image guidance s_I (default 2)");
  cmd->add_option("--warmup", args->warmup,
                  "Steps before W starts to follow the attention (default 40)");
  cmd->add_option("--weight-update", args->weight_update, "lower (default) | avg2 | max2");
  cmd->add_option("--feather", args->feather,
                  "Region-lock feather, in texels of a 512 atlas (default 3)");
  cmd->add_option("--lr", args->lr, "Learning rate");
  cmd->add_flag(
      "--attention-sds", args->attention_sds,
      "Multiply the SDS gradient by the edited words' attention (reference --attention_sds)");
  cmd->add_flag("--no-hash", args->no_hash, "Do not record the SHA-256 of the model files");
  cmd->callback([args] { run(*args); });
}

}  // namespace faceg2e::cli
