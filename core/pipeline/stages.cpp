#include "core/pipeline/stages.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/pipeline/state_tensors.h"
#include "core/raster/sh_lighting.h"
#include "core/util/error.h"

namespace faceg2e::pipeline {

namespace F = torch::nn::functional;
using guidance::GuidanceStep;
using guidance::ViewPrompt;
using Clock = std::chrono::steady_clock;

torch::Tensor rgb_to_yuv(const torch::Tensor& rgb) {
  FACEG2E_CHECK(rgb.dim() == 4 && rgb.size(1) == 3, "rgb_to_yuv: expected [B, 3, H, W]");
  // Full-range BT.601 (JPEG / JFIF), chroma offset to 0.5 so every channel stays in [0, 1].
  const auto r = rgb.select(1, 0), g = rgb.select(1, 1), b = rgb.select(1, 2);
  const auto y = 0.299 * r + 0.587 * g + 0.114 * b;
  const auto u = 0.5 - 0.168736 * r - 0.331264 * g + 0.5 * b;
  const auto v = 0.5 + 0.5 * r - 0.418688 * g - 0.081312 * b;
  return torch::stack({y, u, v}, 1);
}

guidance::ViewPrompt view_prompt(double azimuth_deg) {
  switch (raster::view_direction(azimuth_deg)) {
    case raster::ViewDirection::kFront: return ViewPrompt::kFront;
    case raster::ViewDirection::kSide: return ViewPrompt::kSide;
    case raster::ViewDirection::kBack: return ViewPrompt::kBack;
  }
  return ViewPrompt::kDefault;
}

void TailLoss::add(int step_index, const torch::Tensor& report) {
  if (step_index < steps_ - keep_ || !report.defined()) return;
  torch::Tensor r = report.detach().to(torch::kFloat64);
  sum_ = sum_.defined() ? sum_ + r : r;
  ++count_;
}

double TailLoss::value() const { return count_ ? sum_.item<double>() / count_ : 0.0; }

StepReport StageBase::finish_step(const torch::Tensor& report, int t, bool read_loss,
                                  double step_seconds) {
  tail_.add(done_, report);
  ++done_;
  seconds_ += step_seconds;
  last_t_ = t;
  StepReport r;
  r.step = done_;
  r.total = total_;
  r.t = t;
  if (read_loss && report.defined()) {
    last_loss_ = report.item<double>();
    r.loss = last_loss_;
  }
  return r;
}

namespace {

raster::ViewAngles front_view() { return raster::ViewAngles{0.0, 0.0, 1.0}; }

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

torch::Tensor resize_square(const torch::Tensor& x, int64_t h, int64_t w) {
  if (x.size(-2) == h && x.size(-1) == w) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

// Positions and normals of a snapshot, on the host.
void fill_geometry(FaceSnapshot& s, const FaceScene& scene, const torch::Tensor& verts) {
  torch::NoGradGuard ng;
  const torch::Tensor v = verts.detach();
  s.positions = to_vector(v);
  s.normals = to_vector(face::vertex_normals(v, scene.tensors().faces));
}

void fill_progress(FaceSnapshot& s, const Stage& stage, int t, double loss) {
  s.stage = stage.name();
  s.step = stage.steps_done();
  s.total = stage.total_steps();
  s.t = t;
  s.loss = loss;
  const double secs = stage.seconds();
  s.it_per_s = secs > 0 ? s.step / secs : 0;
  s.eta_s = s.it_per_s > 0 ? (s.total - s.step) / s.it_per_s : 0;
}

torch::Tensor expression_tensor(const session::FaceState& state, const FaceScene& scene) {
  const int E = static_cast<int>(scene.tensors().expression_basis.size(0));
  if (state.coeffs.expression.empty()) return torch::Tensor();
  return coefficients_tensor(state.coeffs.expression, E, "expression").to(scene.device());
}

}  // namespace

// ---------------------------------------------------------------------------------- geometry

GeometryStage::GeometryStage(const GeometryParams& params, std::shared_ptr<const FaceScene> scene,
                             std::shared_ptr<guidance::Guidance> guidance,
                             const session::FaceState& init, std::optional<TargetFace> target,
                             std::uint64_t seed)
    : StageBase(params.steps),
      params_(params),
      scene_(std::move(scene)),
      guidance_(std::move(guidance)),
      init_(init),
      schedule_(params.timesteps, params.steps),
      rng_(seed),
      views_(params.views, seed * 2654435761ull + 1) {
  FACEG2E_CHECK(params.steps >= 1, "geometry stage needs at least one step");
  FACEG2E_CHECK(params.use_normal_maps || params.use_grey_shading,
                "geometry stage needs at least one render mode");
  FACEG2E_CHECK(scene_ && guidance_, "geometry stage needs a scene and a guidance");
  if (guidance_->needs_target() && (!target || !target->identity.defined()))
    throw Error("geometry stage: the analytic target needs a target face");
  const torch::Device dev = scene_->device();
  const int K = scene_->num_identity();
  a_ = coefficients_tensor(init.coeffs.identity, K, "identity").to(dev).requires_grad_(true);
  expression_ = expression_tensor(init, *scene_);
  if (target && target->identity.defined()) {
    torch::NoGradGuard ng;
    target_verts_ = scene_->vertices(target->identity.to(dev, torch::kFloat32), expression_);
  }
  optimizer_ = make_optimizer(params.optimizer, {a_});
  presets_ = raster::sh_light_presets(params.light_strength).to(dev);
  average_from_ = params.steps - static_cast<int>(std::lround(
                                     params.steps * std::clamp(params.average_last, 0.0, 1.0)));
}

StepReport GeometryStage::step(bool read_loss) {
  FACEG2E_CHECK(!done(), "geometry stage: no steps left");
  const auto start = Clock::now();
  const int i = done_;
  const torch::Device dev = scene_->device();
  const int K = scene_->num_identity();
  const FaceScene& scene = *scene_;
  const int nv = std::max(1, params_.views_per_step);
  std::vector<raster::ViewAngles> vlist;
  std::vector<int64_t> lights;
  for (int k = 0; k < nv; ++k) {
    vlist.push_back(views_.sample());
    lights.push_back(views_.sample_index(raster::kShLightPresets));
  }
  const raster::ViewAngles view = vlist.front();
  torch::Tensor gamma = presets_.index_select(0, torch::tensor(lights).to(dev));
  bool normal_mode = params_.use_normal_maps;
  if (params_.use_normal_maps && params_.use_grey_shading) normal_mode = rng_.coin();
  const int t = schedule_.at(i, rng_.engine);

  raster::RenderMeshParams rp;
  rp.mode = normal_mode ? raster::ShadingMode::kNormalMap : raster::ShadingMode::kGreyShaded;
  rp.height = rp.width = params_.render_size;
  rp.background = params_.background;
  const bool antialias = params_.antialias && i < params_.antialias_until * params_.steps;
  rp.antialias = antialias;
  const raster::Camera cam = scene.camera(vlist);

  optimizer_->zero_grad();
  raster::MeshInputs mesh = scene.mesh(scene.vertices(a_, expression_));
  mesh.sh_gamma = gamma;
  raster::RenderOutput out = raster::render_mesh(mesh, cam, rp);

  GuidanceStep step;
  step.t = t;
  step.view = view_prompt(view.azimuth_deg);
  step.generator = &rng_.noise;
  if (guidance_->needs_target()) {
    // Pixels that are background in either render say nothing about the shape (they only push
    // the shading of the covered side), so the target compares the common coverage; with
    // antialiasing, also the band along this render's outline (weighted), whose pixels move it.
    step.input_mask = out.mask.detach();
    if (antialias) {
      torch::NoGradGuard ng;
      const torch::Tensor m = out.mask.detach().to(torch::kFloat32);
      step.outline_mask =
          (torch::max_pool2d(m, 3, 1, 1) + torch::max_pool2d(-m, 3, 1, 1)) * params_.outline_weight;
    }
    step.render_target = [&]() -> guidance::TargetRender {
      raster::MeshInputs tm = scene.mesh(target_verts_);
      tm.sh_gamma = gamma;
      raster::RenderOutput o = raster::render_mesh(tm, cam, rp);
      return {o.image, o.mask};
    };
  }
  guidance::GuidanceResult g = guidance_->compute(out.image, false, step);
  torch::Tensor loss = g.loss;
  if (params_.prior_weight > 0) loss = loss + params_.prior_weight * a_.pow(2).mean();
  loss.backward();
  if (params_.modes_start > 0 && params_.modes_start < K) {
    const double full = std::max(1.0, params_.modes_full_at * params_.steps);
    const int free_modes = std::min<int>(
        K, params_.modes_start + static_cast<int>((K - params_.modes_start) * (i / full)));
    if (free_modes < K && a_.grad().defined()) {
      torch::NoGradGuard ng;
      a_.mutable_grad().slice(0, free_modes).zero_();
    }
  }
  optimizer_->step();
  if (i >= average_from_) {
    torch::NoGradGuard ng;
    a_sum_ = a_sum_.defined() ? a_sum_ + a_.detach() : a_.detach().clone();
    ++a_count_;
  }
  return finish_step(g.report, t, read_loss, since(start));
}

torch::Tensor GeometryStage::current_identity() const {
  return (a_count_ > 0 ? a_sum_ / a_count_ : a_.detach());
}

FaceSnapshot GeometryStage::snapshot(int /*albedo_size*/) {
  FaceSnapshot s;
  fill_progress(s, *this, last_t_, last_loss_);
  torch::NoGradGuard ng;
  fill_geometry(s, *scene_, scene_->vertices(current_identity(), expression_));
  return s;
}

Image8 GeometryStage::preview(int size) {
  torch::NoGradGuard ng;
  raster::RenderMeshParams pp;
  pp.mode = raster::ShadingMode::kGreyShaded;
  pp.height = pp.width = size;
  raster::MeshInputs pm = scene_->mesh(scene_->vertices(current_identity(), expression_));
  pm.sh_gamma = presets_[0];
  return to_image8(raster::render_mesh(pm, scene_->camera(front_view()), pp).image);
}

session::FaceState GeometryStage::finish() {
  session::FaceState s = init_;
  s.coeffs.identity = to_vector(current_identity());
  return s;
}

// ----------------------------------------------------------------------------------- texture

TextureStage::TextureStage(const TextureParams& params, std::shared_ptr<const FaceScene> scene,
                           std::shared_ptr<guidance::Guidance> guidance,
                           std::shared_ptr<guidance::LatentCodec> codec,
                           std::shared_ptr<guidance::Guidance> uv_prior,
                           const session::FaceState& init, std::optional<TargetFace> target,
                           std::uint64_t seed)
    : StageBase(params.steps),
      params_(params),
      scene_(std::move(scene)),
      guidance_(std::move(guidance)),
      codec_(std::move(codec)),
      uv_prior_(std::move(uv_prior)),
      init_(init),
      target_(std::move(target)),
      schedule_(params.timesteps, params.steps),
      rng_(seed + 7919),
      views_(params.views, seed * 2654435761ull + 104729) {
  FACEG2E_CHECK(params.steps >= 1, "texture stage needs at least one step");
  FACEG2E_CHECK(scene_ && guidance_, "texture stage needs a scene and a guidance");
  if (guidance_->needs_target() &&
      (!target_ || !target_->identity.defined() || !target_->albedo.defined()))
    throw Error("texture stage: the analytic target needs a target face with an albedo");
  const torch::Device dev = scene_->device();
  const int K = scene_->num_identity();
  const int S = params.atlas_size;
  torch::Tensor init_albedo =
      init.albedo.empty()
          ? from_image8(scene_->assets().default_albedo(params.default_albedo_size))
          : image_tensor(init.albedo).slice(0, 0, 3);
  FACEG2E_CHECK(init_albedo.size(0) == 3, "texture stage: the initial albedo must be RGB");
  out_h_ = init_albedo.size(1);
  out_w_ = init_albedo.size(2);
  const torch::Tensor expression = expression_tensor(init, *scene_);
  {
    torch::NoGradGuard ng;
    verts_ = scene_->vertices(coefficients_tensor(init.coeffs.identity, K, "identity").to(dev),
                              expression);
    normals_ = face::vertex_normals(verts_, scene_->tensors().faces);
    if (target_) {
      target_verts_ = scene_->vertices(target_->identity.to(dev, torch::kFloat32), expression);
      target_albedo_ = target_->albedo.to(dev, torch::kFloat32).unsqueeze(0);
      if (codec_) target_latent_ = codec_->encode(resize_square(target_albedo_, S, S));
    }
  }
  base_ = init_albedo.to(dev, torch::kFloat32).unsqueeze(0);
  if (codec_) {
    torch::NoGradGuard ng;
    const bool latent_fits = !init.latent.empty() && init.latent.height * 8 == S &&
                             init.latent.width * 8 == S;
    param_ = latent_fits ? latent_tensor(init.latent).to(dev)
                         : codec_->encode(resize_square(base_, S, S)).detach().clone();
  } else {
    // RGB texels: a correction on top of the initial atlas at atlas_size, so texels no view
    // sees keep the initial (full-resolution) albedo.
    param_ = torch::zeros({1, 3, S, S}, base_.options());
  }
  param_.requires_grad_(true);
  optimizer_ = make_optimizer(params.optimizer, {param_});
  presets_ = raster::sh_light_presets(params.light_strength).to(dev);
  latent_steps_ =
      codec_ ? static_cast<int>(std::lround(params.steps * params.latent_fraction)) : 0;
}

torch::Tensor TextureStage::rgb_atlas(const torch::Tensor& p) {
  if (codec_) return codec_->decode(p).clamp(0, 1);
  return (base_ + resize_square(p, out_h_, out_w_)).clamp(0, 1);
}

StepReport TextureStage::step(bool read_loss) {
  FACEG2E_CHECK(!done(), "texture stage: no steps left");
  const auto start = Clock::now();
  const int i = done_;
  const int S = params_.atlas_size;
  const FaceScene& scene = *scene_;
  const raster::ViewAngles view = views_.sample();
  const int light = views_.sample_index(raster::kShLightPresets);
  const int t = schedule_.at(i, rng_.engine);
  const bool latent_phase = i < latent_steps_;
  const raster::Camera cam = scene.camera(view);

  optimizer_->zero_grad();
  raster::RenderMeshParams rp;
  rp.background = params_.background;
  raster::MeshInputs mesh = scene.mesh(verts_);
  mesh.vertex_normals = normals_;
  torch::Tensor texture;
  if (latent_phase) {
    rp.mode = raster::ShadingMode::kLatent;
    rp.height = rp.width = params_.latent_render_size;
    texture = param_;
  } else {
    rp.mode = raster::ShadingMode::kTextured;
    rp.height = rp.width = params_.render_size;
    texture = rgb_atlas(param_);
    mesh.sh_gamma = presets_[light];
  }
  mesh.texture = texture;
  raster::RenderOutput out = raster::render_mesh(mesh, cam, rp);

  GuidanceStep step;
  step.t = t;
  step.view = view_prompt(view.azimuth_deg);
  step.generator = &rng_.noise;
  if (guidance_->wants_control()) {
    torch::NoGradGuard ng;
    raster::RenderMeshParams dp;
    dp.mode = raster::ShadingMode::kDepthMap;
    dp.height = dp.width = params_.control_size;
    step.control = raster::render_mesh(scene.mesh(verts_), cam, dp).image.repeat({1, 3, 1, 1});
  }
  if (guidance_->needs_target()) {
    step.input_mask = out.mask.detach();
    step.render_target = [&]() -> guidance::TargetRender {
      raster::MeshInputs tm = scene.mesh(target_verts_);
      tm.texture = latent_phase ? target_latent_ : target_albedo_;
      if (!latent_phase) tm.sh_gamma = presets_[light];
      raster::RenderOutput o = raster::render_mesh(tm, cam, rp);
      return {o.image, o.mask};
    };
  }
  guidance::GuidanceResult g = guidance_->compute(out.image, latent_phase, step);
  torch::Tensor loss = g.loss;
  if (uv_prior_) {
    GuidanceStep ps;
    ps.t = t;
    ps.generator = &rng_.noise;  // bare prompt: the UV map has no view
    torch::Tensor uv_input;
    bool uv_is_latent = false;
    if (params_.uv_prior_yuv) {
      // A YUV-trained prior sees the atlas converted to YUV, re-encoded by the VAE.
      uv_input = rgb_to_yuv(resize_square(latent_phase ? rgb_atlas(param_) : texture, S, S));
    } else if (latent_phase) {
      uv_input = param_;  // the latent texture is the UV map's latent
      uv_is_latent = true;
    } else {
      uv_input = resize_square(texture, S, S);
    }
    loss = loss + params_.uv_prior_weight * uv_prior_->compute(uv_input, uv_is_latent, ps).loss;
  }
  loss.backward();
  optimizer_->step();
  return finish_step(g.report, t, read_loss, since(start));
}

FaceSnapshot TextureStage::snapshot(int albedo_size) {
  FaceSnapshot s;
  fill_progress(s, *this, last_t_, last_loss_);
  fill_geometry(s, *scene_, verts_);
  if (albedo_size >= 0) {
    torch::NoGradGuard ng;
    torch::Tensor a = rgb_atlas(param_.detach());
    if (albedo_size > 0) a = resize_square(a, albedo_size, albedo_size);
    s.albedo = to_float_image(a[0]);
  }
  return s;
}

Image8 TextureStage::preview(int size) {
  torch::NoGradGuard ng;
  raster::RenderMeshParams pp;
  pp.mode = raster::ShadingMode::kTextured;
  pp.height = pp.width = size;
  raster::MeshInputs pm = scene_->mesh(verts_);
  pm.vertex_normals = normals_;
  pm.texture = rgb_atlas(param_.detach());
  pm.sh_gamma = presets_[0];
  return to_image8(raster::render_mesh(pm, scene_->camera(front_view()), pp).image);
}

session::FaceState TextureStage::finish() {
  session::FaceState s = init_;
  torch::NoGradGuard ng;
  s.albedo = to_float_image(resize_square(rgb_atlas(param_.detach()), out_h_, out_w_)[0]);
  s.latent = codec_ ? to_texture_latent(param_.detach()) : session::TextureLatent{};
  return s;
}

}  // namespace faceg2e::pipeline
