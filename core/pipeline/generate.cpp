#include "core/pipeline/generate.h"

#include <torch/torch.h>

#include <chrono>

#include "core/face/albedo.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/guidance/analytic_target.h"
#include "core/guidance/text_sds.h"
#include "core/pipeline/stages.h"
#include "core/session/project.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"

namespace faceg2e::pipeline {

namespace fs = std::filesystem;

namespace {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw Error("--device " + name + ": this build of LibTorch has no CUDA, or no GPU is visible");
    return torch::Device(name);
  }
  throw Error("unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
}

torch::Tensor default_albedo_tensor(const face::FaceModel& model, const face::UvAtlas& atlas, int size) {
  std::optional<face::RegionLabels> regions;
  const fs::path dir = face::find_regions_dir(model);
  if (!dir.empty()) {
    try {
      regions = face::load_regions(dir, model.num_vertices);
    } catch (const Error&) {
      regions.reset();
    }
  }
  return from_image8(face::default_albedo(model, atlas, size, regions ? &*regions : nullptr));
}

torch::Tensor coefficients_tensor(const std::vector<float>& v, int K) {
  torch::Tensor t = torch::zeros({K}, torch::kFloat32);
  for (int i = 0; i < K && i < static_cast<int>(v.size()); ++i) t[i] = v[i];
  return t;
}

std::vector<float> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

nlohmann::json optimizer_json(const OptimizerParams& o) {
  return {{"kind", to_string(o.kind)}, {"lr", o.lr}, {"decay_every", o.decay_every},
          {"decay_gamma", o.decay_gamma}};
}

}  // namespace

GenerateReport run_generate(const GenerateParams& p, const RunControl& control) {
  const auto t0 = std::chrono::steady_clock::now();
  if (p.out.empty()) throw Error("generate: --out is required");
  if (!p.run_geometry && !p.run_texture) throw Error("generate: no stage selected");
  const bool target_mode = p.guidance == GuidanceMode::kTarget;
  if (!target_mode && p.prompt.empty()) throw Error("generate: --prompt is required (or --guidance target)");
  if (target_mode && p.target_project.empty())
    throw Error("generate --guidance target needs --target PROJECT_DIR (made by `faceg2e-cli new`)");
  const torch::Device device = parse_device(p.device);
  control.throw_if_cancelled();

  const fs::path model_path = require_face_model(p.face_model);
  const face::FaceModel model = face::load_f3dm(model_path);
  const face::UvAtlas atlas = face::build_uv_atlas(model);
  FaceScene scene(model, device);
  const int K = scene.num_identity();

  // The starting state and, for the analytic target, the face to recover.
  std::optional<TargetFace> target;
  int albedo_size = p.albedo_size;
  if (target_mode) {
    session::ProjectState tp = session::load_project(p.target_project);
    session::check_coefficients(tp.face.coeffs, model, "target project " + p.target_project.string());
    TargetFace tf;
    tf.identity = coefficients_tensor(tp.face.coeffs.identity, K);
    if (!tp.face.albedo.empty()) {
      tf.albedo = from_image8(session::to_image8(tp.face.albedo));
      albedo_size = tp.face.albedo.width;
    } else {
      tf.albedo = default_albedo_tensor(model, atlas, albedo_size);
    }
    target = tf;
  }
  torch::Tensor identity = torch::zeros({K});
  torch::Tensor albedo = default_albedo_tensor(model, atlas, albedo_size);

  nlohmann::json gen = {{"command", "generate"},
                        {"prompt", p.prompt},
                        {"negative_prompt", p.negative_prompt},
                        {"seed", p.seed},
                        {"device", p.device},
                        {"guidance", target_mode ? "target" : "sd"},
                        {"face_model", model_path.string()}};
  if (target_mode) gen["target"] = fs::absolute(p.target_project).string();
  nlohmann::json stages = nlohmann::json::array();
  nlohmann::json models = nlohmann::json::object();
  nlohmann::json timings = nlohmann::json::object();
  nlohmann::json losses = nlohmann::json::object();
  ResolvedModels resolved;
  if (!target_mode) resolved = resolve_models(p.models);
  for (const auto& n : resolved.notes) gen["model_notes"].push_back(n);
  std::optional<fs::path> clip_vocab;
  if (!target_mode) {
    const fs::path v = find_clip_vocab(p.models.clip_vocab);
    if (!v.empty()) clip_vocab = v;
  }

  if (p.run_geometry) {
    control.throw_if_cancelled();
    std::shared_ptr<guidance::Guidance> g;
    guidance::LoadedSd sd;
    if (target_mode) {
      g = std::make_shared<guidance::AnalyticTargetGuidance>(guidance::AnalyticTargetParams{}, nullptr);
    } else {
      guidance::SdLoadOptions o;
      o.checkpoint = require_role(resolved.geometry_sd, ModelRole::kGeometrySd);
      o.prompt = p.prompt;
      o.negative_prompt = p.negative_prompt;
      o.device = device;
      o.clip_vocab = clip_vocab;
      o.params.guidance_scale = p.cfg_scale_geometry;
      o.params.vae_image_size = p.vae_image_size;
      sd = guidance::load_text_sds(o);
      g = sd.guidance;
      models["geometry"] = o.checkpoint.string();
    }
    StageResult r = run_geometry_stage(p.geometry, scene, *g, identity, target ? &*target : nullptr,
                                       p.seed, control);
    g->release();  // free this stage's models before the next loads
    identity = r.identity;
    stages.push_back("geometry");
    timings["geometry_s"] = r.seconds;
    losses["geometry"] = r.final_loss;
    gen["geometry"] = {{"steps", r.steps}, {"render_size", p.geometry.render_size},
                       {"optimizer", optimizer_json(p.geometry.optimizer)},
                       {"timesteps", to_string(p.geometry.timesteps.kind)}};
  }
  if (p.run_texture) {
    control.throw_if_cancelled();
    std::shared_ptr<guidance::Guidance> g;
    std::shared_ptr<guidance::LatentCodec> codec;
    std::shared_ptr<guidance::Guidance> uv_prior;
    guidance::LoadedSd sd;
    if (target_mode) {
      g = std::make_shared<guidance::AnalyticTargetGuidance>(guidance::AnalyticTargetParams{}, nullptr);
    } else {
      guidance::SdLoadOptions o;
      o.checkpoint = require_role(resolved.texture_sd, ModelRole::kTextureSd);
      o.controlnet = require_role(resolved.controlnet_depth, ModelRole::kControlNetDepth);
      o.prompt = p.prompt;
      o.negative_prompt = p.negative_prompt;
      o.device = device;
      o.clip_vocab = clip_vocab;
      o.params.guidance_scale = p.cfg_scale_texture;
      o.params.vae_image_size = p.vae_image_size;
      sd = guidance::load_text_sds(o);
      g = sd.guidance;
      codec = sd.codec;
      models["texture"] = o.checkpoint.string();
      models["controlnet_depth"] = o.controlnet->string();
      if (resolved.texture_prior) {
        guidance::TextSdsParams pp = o.params;
        pp.guidance_scale = p.cfg_scale_uv_prior;
        uv_prior = guidance::load_uv_prior(*resolved.texture_prior, sd, pp, device);
        models["texture_prior"] = resolved.texture_prior->string();
      }
    }
    StageResult r = run_texture_stage(p.texture, scene, *g, codec.get(), uv_prior.get(), identity,
                                      albedo, target ? &*target : nullptr, p.seed, control);
    g->release();
    if (uv_prior) uv_prior->release();
    albedo = r.albedo;
    stages.push_back("texture");
    timings["texture_s"] = r.seconds;
    losses["texture"] = r.final_loss;
    gen["texture"] = {{"steps", r.steps}, {"render_size", p.texture.render_size},
                      {"atlas_size", p.texture.atlas_size},
                      {"space", codec ? "latent" : "rgb"},
                      {"uv_prior", uv_prior ? nlohmann::json{{"weight", p.texture.uv_prior_weight},
                                                             {"yuv", p.texture.uv_prior_yuv}}
                                            : nlohmann::json(nullptr)},
                      {"optimizer", optimizer_json(p.texture.optimizer)},
                      {"timesteps", to_string(p.texture.timesteps.kind)}};
  }
  control.throw_if_cancelled();

  GenerateReport report;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  timings["total_s"] = report.seconds;
  gen["stages"] = stages;
  gen["models"] = models;
  gen["timings"] = timings;
  gen["final_losses"] = losses;
  report.generation = gen;

  session::ProjectState state;
  state.face.coeffs.identity = to_vector(identity);
  state.face.albedo = session::to_float_image(to_image8(albedo));
  state.face_model_name = session::face_model_name(model);
  state.generation = gen;
  session::save_project(p.out, state);
  return report;
}

}  // namespace faceg2e::pipeline
