#include "core/pipeline/generate.h"

#include <torch/torch.h>

#include <chrono>

#include "core/guidance/analytic_target.h"
#include "core/guidance/text_sds.h"
#include "core/pipeline/stages.h"
#include "core/pipeline/state_tensors.h"
#include "core/util/error.h"

namespace faceg2e::pipeline {

namespace fs = std::filesystem;

std::string check_device(const std::string& name) {
  if (name == "cpu") return name;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error("device " + name + ": this build of LibTorch has no CUDA, or no GPU is visible");
    torch::Device d(name);  // throws on a malformed index
    return d.str();
  }
  throw Error("unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
}

namespace {

nlohmann::json optimizer_json(const OptimizerParams& o) {
  return {{"kind", to_string(o.kind)}, {"lr", o.lr}, {"decay_every", o.decay_every},
          {"decay_gamma", o.decay_gamma}};
}

enum class Next { kGeometry, kTexture, kDone };

}  // namespace

struct GenerateRun::Impl {
  GenerateParams p;
  std::shared_ptr<const face::FaceAssets> assets;
  std::shared_ptr<const FaceScene> scene;
  std::optional<TargetFace> target;
  ResolvedModels resolved;
  std::optional<fs::path> clip_vocab;
  session::FaceState state;
  Next next = Next::kGeometry;
  bool stage_open = false;
  // The running stage's models, released when the next stage starts.
  std::vector<std::shared_ptr<guidance::Guidance>> loaded;
  nlohmann::json rec, stages = nlohmann::json::array(), models = nlohmann::json::object(),
                      timings = nlohmann::json::object(), losses = nlohmann::json::object();

  void release() {
    for (auto& g : loaded)
      if (g) g->release();
    loaded.clear();
  }

  std::shared_ptr<guidance::Guidance> target_guidance() {
    return std::make_shared<guidance::AnalyticTargetGuidance>(guidance::AnalyticTargetParams{},
                                                              nullptr);
  }

  guidance::SdLoadOptions sd_options(const fs::path& checkpoint, double cfg) const {
    guidance::SdLoadOptions o;
    o.checkpoint = checkpoint;
    o.prompt = p.prompt;
    o.negative_prompt = p.negative_prompt;
    o.device = scene->device();
    o.clip_vocab = clip_vocab;
    o.params.guidance_scale = cfg;
    o.params.vae_image_size = p.vae_image_size;
    return o;
  }

  std::unique_ptr<Stage> geometry_stage() {
    std::shared_ptr<guidance::Guidance> g;
    if (p.guidance == GuidanceMode::kTarget) {
      g = target_guidance();
    } else {
      guidance::SdLoadOptions o = sd_options(require_role(resolved.geometry, ModelRole::kGeometry),
                                             p.cfg_scale_geometry);
      g = guidance::load_text_sds(o).guidance;
      models["geometry"] = o.checkpoint.string();
    }
    loaded = {g};
    rec["geometry"] = {{"steps", p.geometry.steps},
                       {"render_size", p.geometry.render_size},
                       {"optimizer", optimizer_json(p.geometry.optimizer)},
                       {"timesteps", to_string(p.geometry.timesteps.kind)}};
    return std::make_unique<GeometryStage>(p.geometry, scene, g, state, target, p.seed);
  }

  std::unique_ptr<Stage> texture_stage() {
    std::shared_ptr<guidance::Guidance> g, uv_prior;
    std::shared_ptr<guidance::LatentCodec> codec;
    if (p.guidance == GuidanceMode::kTarget) {
      g = target_guidance();
    } else {
      guidance::SdLoadOptions o = sd_options(require_role(resolved.texture, ModelRole::kTexture),
                                             p.cfg_scale_texture);
      o.controlnet = require_role(resolved.texture_control, ModelRole::kTextureControl);
      guidance::LoadedSd sd = guidance::load_text_sds(o);
      g = sd.guidance;
      codec = sd.codec;
      models["texture"] = o.checkpoint.string();
      models["texture_control"] = o.controlnet->string();
      if (resolved.texture_prior) {
        guidance::TextSdsParams pp = o.params;
        pp.guidance_scale = p.cfg_scale_uv_prior;
        uv_prior = guidance::load_uv_prior(*resolved.texture_prior, sd, pp, scene->device());
        models["texture_prior"] = resolved.texture_prior->string();
      }
    }
    loaded = {g, uv_prior};
    rec["texture"] = {
        {"steps", p.texture.steps},
        {"render_size", p.texture.render_size},
        {"atlas_size", p.texture.atlas_size},
        {"space", codec ? "latent" : "rgb"},
        {"uv_prior", uv_prior ? nlohmann::json{{"weight", p.texture.uv_prior_weight},
                                               {"yuv", p.texture.uv_prior_yuv}}
                              : nlohmann::json(nullptr)},
        {"optimizer", optimizer_json(p.texture.optimizer)},
        {"timesteps", to_string(p.texture.timesteps.kind)}};
    return std::make_unique<TextureStage>(p.texture, scene, g, codec, uv_prior, state, target,
                                          p.seed);
  }
};

GenerateRun::GenerateRun(GenerateParams params, std::shared_ptr<const face::FaceAssets> assets)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.p = std::move(params);
  m.assets = std::move(assets);
  const GenerateParams& p = m.p;
  FACEG2E_CHECK(m.assets != nullptr, "generate needs the face assets");
  if (!p.run_geometry && !p.run_texture) throw Error("generate: no stage selected");
  if (p.run_geometry && p.geometry.steps < 1) throw Error("generate: geometry steps must be >= 1");
  if (p.run_texture && p.texture.steps < 1) throw Error("generate: texture steps must be >= 1");
  const bool target_mode = p.guidance == GuidanceMode::kTarget;
  if (!target_mode && p.prompt.empty())
    throw Error("generate: a prompt is required (or the analytic target)");
  if (target_mode && !p.target) throw Error("generate: the analytic target needs a target face");
  const std::string device = check_device(p.device);
  m.scene = std::make_shared<FaceScene>(m.assets, torch::Device(device));
  const int K = m.scene->num_identity();

  if (target_mode) {
    TargetFace tf;
    tf.identity = coefficients_tensor(p.target->coeffs.identity, K, "target identity");
    if (!p.target->albedo.empty()) {
      tf.albedo = image_tensor(p.target->albedo).slice(0, 0, 3).contiguous();
      // The result keeps the target's atlas size, so the two compare texel for texel.
      m.p.texture.default_albedo_size = p.target->albedo.width;
    } else {
      tf.albedo = from_image8(m.assets->default_albedo(p.texture.default_albedo_size));
    }
    m.target = tf;
  } else {
    m.resolved = resolve_models(p.models);
    // Fail now, not after the geometry stage, when a later stage's model is missing.
    if (p.run_geometry) require_role(m.resolved.geometry, ModelRole::kGeometry);
    if (p.run_texture) {
      require_role(m.resolved.texture, ModelRole::kTexture);
      require_role(m.resolved.texture_control, ModelRole::kTextureControl);
    }
    const fs::path v = find_clip_vocab(p.models.clip_vocab);
    if (!v.empty()) m.clip_vocab = v;
  }
  m.next = p.run_geometry ? Next::kGeometry : Next::kTexture;
  m.rec = {{"command", "generate"},
           {"prompt", p.prompt},
           {"negative_prompt", p.negative_prompt},
           {"seed", p.seed},
           {"device", device},
           {"guidance", target_mode ? "target" : "sd"},
           {"face_model", m.assets->model_path.string()}};
  for (const auto& n : m.resolved.notes) m.rec["model_notes"].push_back(n);
}

GenerateRun::~GenerateRun() {
  if (impl_) impl_->release();
}

std::unique_ptr<Stage> GenerateRun::next_stage() {
  Impl& m = *impl_;
  FACEG2E_CHECK(!m.stage_open, "generate: finish the running stage before asking for the next");
  m.release();
  std::unique_ptr<Stage> s;
  if (m.next == Next::kGeometry) {
    s = m.geometry_stage();
    m.next = m.p.run_texture ? Next::kTexture : Next::kDone;
  } else if (m.next == Next::kTexture) {
    s = m.texture_stage();
    m.next = Next::kDone;
  }
  m.stage_open = s != nullptr;
  return s;
}

void GenerateRun::finish_stage(Stage& stage) {
  Impl& m = *impl_;
  FACEG2E_CHECK(m.stage_open && stage.done(), "generate: the stage has not run to its end");
  m.state = stage.finish();
  m.stage_open = false;
  m.stages.push_back(stage.name());
  m.timings[stage.name() + "_s"] = stage.seconds();
  m.losses[stage.name()] = stage.final_loss();
  m.release();
}

const session::FaceState& GenerateRun::state() const { return impl_->state; }

nlohmann::json GenerateRun::record() const {
  nlohmann::json r = impl_->rec;
  r["stages"] = impl_->stages;
  r["models"] = impl_->models;
  r["timings"] = impl_->timings;
  r["final_losses"] = impl_->losses;
  return r;
}

GenerateResult run_generate(GenerateParams params, std::shared_ptr<const face::FaceAssets> assets,
                            const RunControl& control) {
  const auto t0 = std::chrono::steady_clock::now();
  control.throw_if_cancelled();
  GenerateRun run(std::move(params), std::move(assets));
  while (std::unique_ptr<Stage> stage = run.next_stage()) {
    run_stage(*stage, control);
    run.finish_stage(*stage);
  }
  control.throw_if_cancelled();
  GenerateResult r;
  r.state = run.state();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.record = run.record();
  r.record["timings"]["total_s"] = r.seconds;
  return r;
}

}  // namespace faceg2e::pipeline
