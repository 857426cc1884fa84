#include "core/pipeline/stages.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <deque>

#include "core/raster/sh_lighting.h"
#include "core/util/error.h"

namespace faceg2e::pipeline {

namespace F = torch::nn::functional;
using guidance::GuidanceStep;
using guidance::ViewPrompt;

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

Image8 to_image8(const torch::Tensor& image) {
  torch::Tensor x = image.detach().to(torch::kCPU, torch::kFloat32);
  if (x.dim() == 4) x = x[0];
  FACEG2E_CHECK(x.dim() == 3 && (x.size(0) == 1 || x.size(0) == 3), "to_image8 expects [C,H,W]");
  x = (x.clamp(0, 1) * 255.0 + 0.5).floor().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  Image8 out;
  out.channels = static_cast<int>(x.size(2));
  out.height = static_cast<int>(x.size(0));
  out.width = static_cast<int>(x.size(1));
  out.pixels.assign(x.data_ptr<uint8_t>(), x.data_ptr<uint8_t>() + x.numel());
  return out;
}

torch::Tensor from_image8(const Image8& image) {
  FACEG2E_CHECK(!image.empty(), "empty image");
  torch::Tensor t = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()),
                                     {image.height, image.width, image.channels}, torch::kUInt8)
                        .clone();
  t = t.permute({2, 0, 1}).to(torch::kFloat32) / 255.0;
  if (t.size(0) == 1) t = t.repeat({3, 1, 1});
  if (t.size(0) == 4) t = t.slice(0, 0, 3);
  return t.contiguous();
}

namespace {

// Mean of the reported loss over the last 10% of the steps (at least one).
class TailMean {
 public:
  explicit TailMean(int steps) : keep_(std::max(1, steps / 10)) {}
  void add(double v) {
    values_.push_back(v);
    if (static_cast<int>(values_.size()) > keep_) values_.pop_front();
  }
  double mean() const {
    double s = 0;
    for (double v : values_) s += v;
    return values_.empty() ? 0 : s / values_.size();
  }

 private:
  int keep_;
  std::deque<double> values_;
};

raster::ViewAngles front_view() { return raster::ViewAngles{0.0, 0.0, 1.0}; }

void report(const RunControl& control, ProgressMeter& meter, int step, int t, double loss) {
  if (control.on_progress) control.on_progress(meter.finish_step(step, t, loss));
}

bool preview_due(const RunControl& control, int step, int total) {
  return control.on_preview && control.preview_every > 0 &&
         (step % control.preview_every == 0 || step == total);
}

}  // namespace

StageResult run_geometry_stage(const GeometryParams& params, const FaceScene& scene,
                               guidance::Guidance& guidance, const torch::Tensor& init_identity,
                               const TargetFace* target, std::uint64_t seed,
                               const RunControl& control) {
  FACEG2E_CHECK(params.use_normal_maps || params.use_grey_shading,
                "geometry stage needs at least one render mode");
  if (guidance.needs_target() && (!target || !target->identity.defined()))
    throw Error("geometry stage: the analytic target needs a target face");
  const torch::Device dev = scene.device();
  const int K = scene.num_identity();
  torch::Tensor a = torch::zeros({K}, torch::kFloat32);
  if (init_identity.defined() && init_identity.numel() > 0) {
    const int64_t n = std::min<int64_t>(K, init_identity.numel());
    a.slice(0, 0, n).copy_(init_identity.reshape({-1}).slice(0, 0, n));
  }
  a = a.to(dev).requires_grad_(true);
  torch::Tensor target_verts;
  if (target && target->identity.defined()) {
    torch::NoGradGuard ng;
    target_verts = scene.vertices(target->identity.to(dev, torch::kFloat32));
  }
  auto optimizer = make_optimizer(params.optimizer, {a});
  TimestepSchedule schedule(params.timesteps, params.steps);
  StageRng rng(seed);
  raster::ViewSampler views(params.views, seed * 2654435761ull + 1);
  torch::Tensor presets = raster::sh_light_presets(params.light_strength).to(dev);
  ProgressMeter meter("geometry", params.steps);
  TailMean tail(params.steps);

  const int nv = std::max(1, params.views_per_step);
  const int average_from =
      params.steps - static_cast<int>(std::lround(params.steps * std::clamp(params.average_last, 0.0, 1.0)));
  torch::Tensor a_sum;
  int a_count = 0;
  for (int i = 0; i < params.steps; ++i) {
    control.throw_if_cancelled();
    std::vector<raster::ViewAngles> vlist;
    std::vector<int64_t> lights;
    for (int k = 0; k < nv; ++k) {
      vlist.push_back(views.sample());
      lights.push_back(views.sample_index(raster::kShLightPresets));
    }
    const raster::ViewAngles view = vlist.front();
    torch::Tensor gamma = presets.index_select(0, torch::tensor(lights).to(dev));
    bool normal_mode = params.use_normal_maps;
    if (params.use_normal_maps && params.use_grey_shading) normal_mode = rng.coin();
    const int t = schedule.at(i, rng.engine);

    raster::RenderMeshParams rp;
    rp.mode = normal_mode ? raster::ShadingMode::kNormalMap : raster::ShadingMode::kGreyShaded;
    rp.height = rp.width = params.render_size;
    rp.background = params.background;
    const bool antialias = params.antialias && i < params.antialias_until * params.steps;
    rp.antialias = antialias;
    const raster::Camera cam = scene.camera(vlist);

    optimizer->zero_grad();
    raster::MeshInputs mesh = scene.mesh(scene.vertices(a));
    mesh.sh_gamma = gamma;
    raster::RenderOutput out = raster::render_mesh(mesh, cam, rp);

    GuidanceStep step;
    step.t = t;
    step.view = view_prompt(view.azimuth_deg);
    step.generator = &rng.noise;
    if (guidance.needs_target()) {
      // Pixels that are background in either render say nothing about the shape (they only push
      // the shading of the covered side), so the target compares the common coverage; with
      // antialiasing, also the band along this render's outline (weighted), whose pixels move it.
      step.input_mask = out.mask.detach();
      if (antialias) {
        torch::NoGradGuard ng;
        const torch::Tensor m = out.mask.detach().to(torch::kFloat32);
        step.outline_mask =
            (torch::max_pool2d(m, 3, 1, 1) + torch::max_pool2d(-m, 3, 1, 1)) * params.outline_weight;
      }
      step.render_target = [&]() -> guidance::TargetRender {
        raster::MeshInputs tm = scene.mesh(target_verts);
        tm.sh_gamma = gamma;
        raster::RenderOutput o = raster::render_mesh(tm, cam, rp);
        return {o.image, o.mask};
      };
    }
    guidance::GuidanceResult g = guidance.compute(out.image, false, step);
    torch::Tensor loss = g.loss;
    if (params.prior_weight > 0) loss = loss + params.prior_weight * a.pow(2).mean();
    loss.backward();
    if (params.modes_start > 0 && params.modes_start < K) {
      const double full = std::max(1.0, params.modes_full_at * params.steps);
      const int free_modes = std::min<int>(
          K, params.modes_start + static_cast<int>((K - params.modes_start) * (i / full)));
      if (free_modes < K && a.grad().defined()) {
        torch::NoGradGuard ng;
        a.mutable_grad().slice(0, free_modes).zero_();
      }
    }
    optimizer->step();
    if (i >= average_from) {
      torch::NoGradGuard ng;
      a_sum = a_sum.defined() ? a_sum + a.detach() : a.detach().clone();
      ++a_count;
    }
    tail.add(g.report);
    report(control, meter, i + 1, t, g.report);

    if (preview_due(control, i + 1, params.steps)) {
      torch::NoGradGuard ng;
      raster::RenderMeshParams pp;
      pp.mode = raster::ShadingMode::kGreyShaded;
      pp.height = pp.width = 256;
      raster::MeshInputs pm = scene.mesh(scene.vertices(a.detach()));
      pm.sh_gamma = presets[0];
      control.on_preview({"geometry", i + 1,
                          to_image8(raster::render_mesh(pm, scene.camera(front_view()), pp).image)});
    }
  }
  StageResult r;
  r.identity = (a_count > 0 ? a_sum / a_count : a.detach()).to(torch::kCPU).clone();
  r.final_loss = tail.mean();
  r.seconds = meter.elapsed_s();
  r.steps = params.steps;
  return r;
}

namespace {

torch::Tensor resize_square(const torch::Tensor& x, int64_t h, int64_t w) {
  if (x.size(-2) == h && x.size(-1) == w) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

}  // namespace

StageResult run_texture_stage(const TextureParams& params, const FaceScene& scene,
                              guidance::Guidance& guidance, guidance::LatentCodec* codec,
                              guidance::Guidance* uv_prior, const torch::Tensor& identity,
                              const torch::Tensor& init_albedo, const TargetFace* target,
                              std::uint64_t seed, const RunControl& control) {
  FACEG2E_CHECK(init_albedo.defined() && init_albedo.dim() == 3 && init_albedo.size(0) == 3,
                "texture stage: initial albedo must be [3, H, W]");
  if (guidance.needs_target() && (!target || !target->identity.defined() ||
                                  !target->albedo.defined()))
    throw Error("texture stage: the analytic target needs a target face with an albedo");
  const torch::Device dev = scene.device();
  const int64_t out_h = init_albedo.size(1), out_w = init_albedo.size(2);
  const int S = params.atlas_size;
  const bool latent_texture = codec != nullptr;

  torch::Tensor verts, normals, target_verts, target_albedo, target_latent;
  {
    torch::NoGradGuard ng;
    verts = scene.vertices(identity.to(dev, torch::kFloat32));
    normals = face::vertex_normals(verts, scene.tensors().faces);
    if (target) {
      target_verts = scene.vertices(target->identity.to(dev, torch::kFloat32));
      target_albedo = target->albedo.to(dev, torch::kFloat32).unsqueeze(0);
      if (latent_texture) target_latent = codec->encode(resize_square(target_albedo, S, S));
    }
  }
  torch::Tensor base = init_albedo.to(dev, torch::kFloat32).unsqueeze(0);
  torch::Tensor param;
  if (latent_texture) {
    torch::NoGradGuard ng;
    param = codec->encode(resize_square(base, S, S)).detach().clone();
  } else {
    // RGB texels: a correction on top of the initial atlas at atlas_size, so texels no view
    // sees keep the initial (full-resolution) albedo.
    param = torch::zeros({1, 3, S, S}, base.options());
  }
  param.requires_grad_(true);
  auto rgb_atlas = [&](const torch::Tensor& p) {
    if (latent_texture) return codec->decode(p).clamp(0, 1);
    return (base + resize_square(p, out_h, out_w)).clamp(0, 1);
  };

  auto optimizer = make_optimizer(params.optimizer, {param});
  TimestepSchedule schedule(params.timesteps, params.steps);
  StageRng rng(seed + 7919);
  raster::ViewSampler views(params.views, seed * 2654435761ull + 104729);
  torch::Tensor presets = raster::sh_light_presets(params.light_strength).to(dev);
  const int latent_steps =
      latent_texture ? static_cast<int>(std::lround(params.steps * params.latent_fraction)) : 0;
  ProgressMeter meter("texture", params.steps);
  TailMean tail(params.steps);

  for (int i = 0; i < params.steps; ++i) {
    control.throw_if_cancelled();
    const raster::ViewAngles view = views.sample();
    const int light = views.sample_index(raster::kShLightPresets);
    const int t = schedule.at(i, rng.engine);
    const bool latent_phase = i < latent_steps;
    const raster::Camera cam = scene.camera(view);

    optimizer->zero_grad();
    raster::RenderMeshParams rp;
    rp.background = params.background;
    raster::MeshInputs mesh = scene.mesh(verts);
    mesh.vertex_normals = normals;
    torch::Tensor texture;
    if (latent_phase) {
      rp.mode = raster::ShadingMode::kLatent;
      rp.height = rp.width = params.latent_render_size;
      texture = param;
    } else {
      rp.mode = raster::ShadingMode::kTextured;
      rp.height = rp.width = params.render_size;
      texture = rgb_atlas(param);
      mesh.sh_gamma = presets[light];
    }
    mesh.texture = texture;
    raster::RenderOutput out = raster::render_mesh(mesh, cam, rp);

    GuidanceStep step;
    step.t = t;
    step.view = view_prompt(view.azimuth_deg);
    step.generator = &rng.noise;
    if (guidance.wants_control()) {
      torch::NoGradGuard ng;
      raster::RenderMeshParams dp;
      dp.mode = raster::ShadingMode::kDepthMap;
      dp.height = dp.width = params.control_size;
      step.control = raster::render_mesh(scene.mesh(verts), cam, dp).image.repeat({1, 3, 1, 1});
    }
    if (guidance.needs_target()) {
      step.input_mask = out.mask.detach();
      step.render_target = [&]() -> guidance::TargetRender {
        raster::MeshInputs tm = scene.mesh(target_verts);
        tm.texture = latent_phase ? target_latent : target_albedo;
        if (!latent_phase) tm.sh_gamma = presets[light];
        raster::RenderOutput o = raster::render_mesh(tm, cam, rp);
        return {o.image, o.mask};
      };
    }
    guidance::GuidanceResult g = guidance.compute(out.image, latent_phase, step);
    torch::Tensor loss = g.loss;
    if (uv_prior) {
      GuidanceStep ps;
      ps.t = t;
      ps.generator = &rng.noise;  // bare prompt: the UV map has no view
      torch::Tensor uv_input;
      bool uv_is_latent = false;
      if (params.uv_prior_yuv) {
        // A YUV-trained prior sees the atlas converted to YUV, re-encoded by the VAE.
        uv_input = rgb_to_yuv(resize_square(latent_phase ? rgb_atlas(param) : texture, S, S));
      } else if (latent_phase) {
        uv_input = param;  // the latent texture is the UV map's latent
        uv_is_latent = true;
      } else {
        uv_input = resize_square(texture, S, S);
      }
      loss = loss + params.uv_prior_weight * uv_prior->compute(uv_input, uv_is_latent, ps).loss;
    }
    loss.backward();
    optimizer->step();
    tail.add(g.report);
    report(control, meter, i + 1, t, g.report);

    if (preview_due(control, i + 1, params.steps)) {
      torch::NoGradGuard ng;
      raster::RenderMeshParams pp;
      pp.mode = raster::ShadingMode::kTextured;
      pp.height = pp.width = 256;
      raster::MeshInputs pm = scene.mesh(verts);
      pm.vertex_normals = normals;
      pm.texture = rgb_atlas(param.detach());
      pm.sh_gamma = presets[0];
      control.on_preview({"texture", i + 1,
                          to_image8(raster::render_mesh(pm, scene.camera(front_view()), pp).image)});
    }
  }
  StageResult r;
  {
    torch::NoGradGuard ng;
    r.albedo = resize_square(rgb_atlas(param.detach()), out_h, out_w)[0].to(torch::kCPU).contiguous();
  }
  r.identity = identity.to(torch::kCPU, torch::kFloat32).clone();
  r.final_loss = tail.mean();
  r.seconds = meter.elapsed_s();
  r.steps = params.steps;
  return r;
}

}  // namespace faceg2e::pipeline
