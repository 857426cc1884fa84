#include "core/pipeline/edit_stage.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>

#include "core/face/face_torch.h"
#include "core/guidance/guidance.h"
#include "core/guidance/latent_codec.h"
#include "core/pipeline/face_scene.h"
#include "core/pipeline/region_lock.h"
#include "core/pipeline/stages.h"
#include "core/pipeline/state_tensors.h"
#include "core/raster/interpolate.h"
#include "core/raster/rasterize.h"
#include "core/raster/sh_lighting.h"
#include "core/util/error.h"

namespace faceg2e::pipeline {

namespace F = torch::nn::functional;

std::string to_string(EditScope scope) {
  switch (scope) {
    case EditScope::kTexture:
      return "texture";
    case EditScope::kGeometry:
      return "geometry";
    case EditScope::kExpression:
      return "expression";
  }
  return "?";
}

EditScope parse_edit_scope(const std::string& name) {
  if (name == "texture") return EditScope::kTexture;
  if (name == "geometry") return EditScope::kGeometry;
  if (name == "expression") return EditScope::kExpression;
  throw Error("unknown edit scope '" + name + "' (expected texture, geometry or expression)");
}

// Geometry and expression consistency weight: T is the UV map of vertex positions in cm, whose
// squared changes are ~(0.1 cm)^2 for a visible edit, against ~0.1 for a colour change of the
// texture; see bench/RESULTS.md ("edit: geometry lambda") for the sweep that chose it.
constexpr double kGeometryLambda = 1000.0;

EditParams edit_defaults(EditScope scope) {
  EditParams p;
  p.scope = scope;
  if (scope == EditScope::kTexture) {
    p.optimizer = texture_optimizer_defaults();  // reference: the texture stage's AdamW lr 0.05
    p.lambda = 15000;                            // demo_editing.sh w_reg_diffuse
    p.render_modes = {EditRenderMode::kTextured};
  } else {
    // Reference geometry edits: Adan lr 0.05 on the identity (as the geometry stage), views
    // x in {0, -10, -20}, y in {0, 60, 300, 30, 330}, t_z 1.5, render modes drawn per step.
    p.optimizer = OptimizerParams{};
    p.lambda = kGeometryLambda;
    p.elevations_deg = {0, 10, 20};
    p.distances = {0.85};
    p.render_modes = {EditRenderMode::kTextured, EditRenderMode::kGreyShaded,
                      EditRenderMode::kNormalMap};
    if (scope == EditScope::kExpression) p.optimizer.lr = 0.02;  // weights live in [0, 1]
  }
  return p;
}

EditParams target_edit_defaults(EditScope scope) {
  EditParams p = edit_defaults(scope);
  // The analytic target is a weighted L2 pull, not a noisy score: Adam converges where AdamW's
  // weight decay would pull texels toward 0 (as target_texture_defaults).
  p.optimizer.kind = OptimizerKind::Adam;
  p.optimizer.adam_eps = 1e-8;
  p.optimizer.weight_decay = 0;
  p.optimizer.lr = scope == EditScope::kTexture ? 0.02 : 0.05;
  return p;
}

namespace {

torch::Tensor resize_to(const torch::Tensor& x, int64_t h, int64_t w) {
  if (x.size(-2) == h && x.size(-1) == w) return x;
  if (x.size(-2) % h == 0 && x.size(-1) % w == 0 && x.size(-2) / h == x.size(-1) / w)
    return F::avg_pool2d(x, F::AvgPool2dFuncOptions(x.size(-2) / h));
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

// [1, C, H, W] or [C, H, W] -> FloatImage (HWC), optionally resampled to size x size.
session::FloatImage host_image(const torch::Tensor& x, int size = 0) {
  torch::Tensor t = x.detach().to(torch::kCPU, torch::kFloat32);
  if (t.dim() == 3) t = t.unsqueeze(0);
  if (size > 0) t = resize_to(t, size, size);
  t = t[0].permute({1, 2, 0}).contiguous();
  session::FloatImage out;
  out.height = static_cast<int>(t.size(0));
  out.width = static_cast<int>(t.size(1));
  out.channels = static_cast<int>(t.size(2));
  out.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  return out;
}

}  // namespace

struct EditStage::Impl {
  EditParams params;
  std::shared_ptr<const FaceScene> scene_owner;
  const FaceScene& scene;
  const face::FaceAssets& assets;
  EditModels models;
  session::FaceState baseline;
  std::optional<session::FaceState> target_state;
  StageRng rng;
  TimestepSchedule schedule;
  std::unique_ptr<StepOptimizer> optimizer;
  torch::Tensor presets;
  std::vector<raster::ViewAngles> views;
  TailLoss tail;
  int step = 0;
  int last_t = 0;
  double last_loss = 0;
  double seconds = 0;
  EditPhaseSeconds phases;
  bool has_attention = false;
  int S = 512;

  // Baseline.
  torch::Tensor id0, ex0;          // [K], [E] on the device
  torch::Tensor verts0, normals0;  // [V, 3]
  torch::Tensor albedo_full;       // [1, 3, Hf, Wf] T0 at its own size
  torch::Tensor albedo0;           // [1, 3, S, S] T0 at the optimised size
  // Parameters.
  torch::Tensor param;     // texture: latent [1,4,S/8,S/8] or delta [1,3,S,S]; geometry:
                           // identity [K]; expression: weights [E]
  torch::Tensor decoded0;  // latent texture: decode(z0)
  // Position maps (geometry scopes).
  raster::Fragments uv_frags;
  torch::Tensor posmap0;  // [1, 3, S, S]
  // Target (analytic target).
  torch::Tensor target_verts, target_albedo;
  // Weights.
  torch::Tensor W;                // [1, 1, S, S] self-guided
  torch::Tensor membership;       // [1, 1, S, S] region lock, or undefined
  torch::Tensor membership_full;  // the same at the baseline atlas size (texture results)
  torch::Tensor attention_uv;     // [1, 1, S, S] last projected attention, or undefined

  Impl(EditParams p, std::shared_ptr<const FaceScene> s, EditModels m, session::FaceState b,
       std::optional<session::FaceState> t, std::uint64_t seed)
      : params(std::move(p)),
        scene_owner(std::move(s)),
        scene(*scene_owner),
        assets(scene.assets()),
        models(std::move(m)),
        baseline(std::move(b)),
        target_state(std::move(t)),
        rng(seed + 104723),
        schedule(params.timesteps, params.steps),
        tail(params.steps) {}

  bool texture_scope() const { return params.scope == EditScope::kTexture; }
  bool latent_texture() const { return texture_scope() && models.codec != nullptr; }

  torch::Tensor vertices(const torch::Tensor& id, const torch::Tensor& ex) const {
    return face::assemble_vertices(scene.tensors(), id, ex);
  }
  torch::Tensor current_vertices() const {
    if (params.scope == EditScope::kGeometry) return vertices(param, ex0);
    if (params.scope == EditScope::kExpression) return vertices(id0, param);
    return verts0;
  }
  // The current texture at S x S (differentiable for the texture scope).
  torch::Tensor current_texture() const {
    if (!texture_scope()) return albedo0;
    torch::Tensor delta = latent_texture() ? models.codec->decode(param) - decoded0 : param;
    // The region lock is hard for textures: outside the regions nothing can change at all.
    if (membership.defined()) delta = delta * membership;
    return (albedo0 + delta).clamp(0, 1);
  }
  // [1, 3, S, S] UV map of the vertex positions.
  torch::Tensor position_map(const torch::Tensor& verts) const {
    return raster::interpolate(verts, scene.tensors().faces, uv_frags).image.permute({0, 3, 1, 2});
  }

  void init();
  StepReport do_step(bool read_loss);
  torch::Tensor effective_w() const { return effective_weights(W, membership, has_attention); }
  raster::RenderOutput render(const torch::Tensor& verts, const torch::Tensor& normals,
                              const torch::Tensor& texture, const raster::Camera& cam,
                              EditRenderMode mode, int light) const;
};

void EditStage::Impl::init() {
  FACEG2E_CHECK(models.guidance != nullptr, "edit stage: no guidance");
  FACEG2E_CHECK(params.steps > 0, "edit stage: steps must be positive");
  FACEG2E_CHECK(params.atlas_size >= 8 && params.atlas_size % 8 == 0,
                "edit stage: atlas size must be a multiple of 8");
  FACEG2E_CHECK(!params.render_modes.empty() && !params.azimuths_deg.empty() &&
                    !params.elevations_deg.empty() && !params.distances.empty(),
                "edit stage: empty view or render-mode choices");
  if (models.guidance->needs_target() && !target_state)
    throw Error("edit: the analytic target guidance needs a target face (--target PROJECT_DIR)");
  if (models.codec && !texture_scope())
    throw Error("edit: a VAE texture latent only applies to texture edits");
  S = params.atlas_size;
  has_attention = models.guidance->has_attention();
  const torch::Device dev = scene.device();
  const auto& tens = scene.tensors();
  const int K = tens.num_identity(), E = tens.num_expression();
  {
    torch::NoGradGuard ng;
    id0 = coefficients_tensor(baseline.coeffs.identity, K, "identity").to(dev);
    ex0 = coefficients_tensor(baseline.coeffs.expression, E, "expression").to(dev);
    verts0 = vertices(id0, ex0);
    normals0 = face::vertex_normals(verts0, tens.faces);
    if (baseline.albedo.empty()) {
      baseline.albedo = session::to_float_image(assets.default_albedo(params.default_albedo_size));
      albedo_full = image_tensor(baseline.albedo).unsqueeze(0).to(dev);
      baseline.albedo = session::FloatImage{};  // unchanged parts stay "default" in the result
    } else {
      FACEG2E_CHECK(baseline.albedo.channels == 3, "edit: the baseline albedo must be RGB");
      albedo_full = image_tensor(baseline.albedo).unsqueeze(0).to(dev);
    }
    albedo0 = resize_to(albedo_full, S, S).contiguous();
  }
  for (double e : params.elevations_deg)
    for (double az : params.azimuths_deg)
      for (double d : params.distances) views.push_back(raster::ViewAngles{az, e, d});
  presets = raster::sh_light_presets(params.light_strength).to(dev);

  switch (params.scope) {
    case EditScope::kTexture:
      if (latent_texture()) {
        torch::NoGradGuard ng;
        const auto& L = baseline.latent;
        if (!L.empty() && L.height == S / 8 && L.width == S / 8) {
          param = torch::from_blob(const_cast<float*>(L.data.data()),
                                   {1, L.channels, L.height, L.width}, torch::kFloat32)
                      .clone()
                      .to(dev);
        } else {
          param = models.codec->encode(albedo0).detach().clone();
        }
        decoded0 = models.codec->decode(param).detach();
        FACEG2E_CHECK(decoded0.sizes() == albedo0.sizes(),
                      "edit: the VAE decodes to another size than the atlas");
      } else {
        param = torch::zeros({1, 3, S, S}, albedo0.options());
      }
      break;
    case EditScope::kGeometry:
      param = id0.clone();
      break;
    case EditScope::kExpression:
      param = ex0.clone();
      break;
  }
  param.requires_grad_(true);
  optimizer = make_optimizer(params.optimizer, {param});

  if (!texture_scope()) {
    // The UV layout of the drawn, atlas-textured triangles, rasterized once.
    torch::NoGradGuard ng;
    const raster::MeshInputs m = scene.mesh(verts0);
    const torch::Tensor u = m.uvs.select(1, 0), v = m.uvs.select(1, 1);
    const torch::Tensor uv_clip =
        torch::stack({u * 2.0 - 1.0, v * 2.0 - 1.0, torch::zeros_like(u), torch::ones_like(u)}, 1);
    std::vector<std::uint8_t> keep(assets.drawn);
    for (std::size_t f = 0; f < keep.size(); ++f)
      keep[f] = keep[f] && assets.atlas.face_in_atlas[f];
    const torch::Tensor mask =
        torch::from_blob(keep.data(), {static_cast<int64_t>(keep.size())}, torch::kUInt8)
            .clone()
            .to(torch::kBool)
            .to(dev);
    raster::RasterizeParams rp;
    rp.height = rp.width = S;
    uv_frags = raster::rasterize_fragments(uv_clip, m.faces_uv, rp, mask);
    uv_frags.barycentrics = uv_frags.barycentrics.detach();
    posmap0 = position_map(verts0).detach();
  }

  if (target_state) {
    torch::NoGradGuard ng;
    const session::FaceState& ts = *target_state;
    const torch::Tensor tid = coefficients_tensor(ts.coeffs.identity, K, "target identity").to(dev);
    const torch::Tensor tex =
        coefficients_tensor(ts.coeffs.expression, E, "target expression").to(dev);
    switch (params.scope) {
      case EditScope::kTexture:
        target_verts = verts0;
        target_albedo = ts.albedo.empty()
                            ? resize_to(image_tensor(session::to_float_image(assets.default_albedo(
                                                         params.default_albedo_size)))
                                            .to(dev),
                                        S, S)
                            : resize_to(image_tensor(ts.albedo).unsqueeze(0).to(dev), S, S);
        break;
      case EditScope::kGeometry:
        target_verts = vertices(tid, ex0);
        target_albedo = albedo0;
        break;
      case EditScope::kExpression:
        target_verts = vertices(id0, tex);
        target_albedo = albedo0;
        break;
    }
  }

  W = torch::ones({1, 1, S, S}, albedo0.options());
  if (!params.lock_regions.empty()) {
    const face::RegionLabels* labels = assets.region_labels();
    if (!labels)
      throw Error("edit: --regions needs region labels for the face model (regions.json)");
    const std::vector<int> ids = region_ids(*labels, params.lock_regions);
    const int feather =
        std::max(0, static_cast<int>(std::lround(params.feather_texels * S / 512.0)));
    std::vector<float> m = region_membership(atlas_region_labels(assets, S), S, ids, feather);
    membership = torch::from_blob(m.data(), {1, 1, S, S}, torch::kFloat32).clone().to(dev);
    const int full = static_cast<int>(albedo_full.size(2));
    if (texture_scope() && full == albedo_full.size(3) && full != S) {
      // The feather scales with the atlas so the lock has the same shape at both sizes.
      const int ff = static_cast<int>(std::lround(static_cast<double>(feather) * full / S));
      std::vector<float> mf = region_membership(atlas_region_labels(assets, full), full, ids, ff);
      membership_full =
          torch::from_blob(mf.data(), {1, 1, full, full}, torch::kFloat32).clone().to(dev);
    }
  }
}

raster::RenderOutput EditStage::Impl::render(const torch::Tensor& verts,
                                             const torch::Tensor& normals,
                                             const torch::Tensor& texture,
                                             const raster::Camera& cam, EditRenderMode mode,
                                             int light) const {
  raster::RenderMeshParams rp;
  rp.height = rp.width = params.render_size;
  rp.background = params.background;
  raster::MeshInputs mesh = scene.mesh(verts);
  if (normals.defined()) mesh.vertex_normals = normals;
  mesh.sh_gamma = presets[light];
  switch (mode) {
    case EditRenderMode::kTextured:
      rp.mode = raster::ShadingMode::kTextured;
      mesh.texture = texture;
      break;
    case EditRenderMode::kGreyShaded:
      rp.mode = raster::ShadingMode::kGreyShaded;
      break;
    case EditRenderMode::kNormalMap:
      rp.mode = raster::ShadingMode::kNormalMap;
      break;
  }
  return raster::render_mesh(mesh, cam, rp);
}

StepReport EditStage::Impl::do_step(bool read_loss) {
  using Clock = std::chrono::steady_clock;
  auto lap = [last = Clock::now()](double& into) mutable {
    const auto now = Clock::now();
    into += std::chrono::duration<double>(now - last).count();
    last = now;
  };
  const int i = step;
  const int t = schedule.at(i, rng.engine);
  const int vi = rng.index(static_cast<int>(views.size()));
  const int light = rng.index(std::clamp(params.light_presets, 1, raster::kShLightPresets));
  const EditRenderMode mode =
      params.render_modes[rng.index(static_cast<int>(params.render_modes.size()))];
  const raster::Camera cam = scene.camera(views[vi]);

  optimizer->zero_grad();
  const torch::Tensor verts = current_vertices();
  const torch::Tensor texture = current_texture();
  const raster::RenderOutput out =
      render(verts, texture_scope() ? normals0 : torch::Tensor(), texture, cam, mode, light);
  lap(phases.render);

  guidance::GuidanceStep gs;
  gs.t = t;
  gs.generator = &rng.noise;
  if (models.guidance->needs_condition()) {
    gs.condition_key = std::to_string(vi) + "/" + std::to_string(light) + "/" +
                       std::to_string(static_cast<int>(mode));
    gs.render_condition = [&]() {
      torch::NoGradGuard ng;
      return render(verts0, normals0, albedo0, cam, mode, light).image;
    };
  }
  if (models.guidance->needs_target()) {
    gs.input_mask = out.mask.detach();
    gs.render_target = [&]() -> guidance::TargetRender {
      torch::NoGradGuard ng;
      raster::RenderOutput o = render(target_verts, texture_scope() ? normals0 : torch::Tensor(),
                                      target_albedo, cam, mode, light);
      return {o.image, o.mask};
    };
  }
  guidance::GuidanceResult g = models.guidance->compute(out.image, false, gs);
  torch::Tensor loss = g.loss;
  lap(phases.guidance);

  // UV-domain consistency lambda * mean(W (T - T0)^2).
  const torch::Tensor w_eff = effective_w();
  torch::Tensor diff;
  if (texture_scope()) {
    diff = texture - albedo0;
  } else {
    diff = position_map(verts) - posmap0;
  }
  loss = loss + params.lambda * (w_eff * diff.pow(2)).mean();

  if (texture_scope() && models.uv_prior) {
    guidance::GuidanceStep ps;
    ps.t = t;
    ps.generator = &rng.noise;
    loss = loss + params.uv_prior_weight * models.uv_prior->compute(texture, false, ps).loss;
  }
  lap(phases.consistency);
  loss.backward();
  optimizer->step();
  if (params.scope == EditScope::kExpression) {
    torch::NoGradGuard ng;
    param.clamp_(0.0, 1.0);  // ARKit blendshape weights
  }
  lap(phases.backward);

  if (g.attention.defined()) {
    torch::NoGradGuard ng;
    const torch::Tensor clip = raster::transform_points(verts.detach(), cam.view_projection());
    const raster::UvProjection proj = project_attention(g.attention, clip, scene, out.fragments, S);
    attention_uv = proj.image.amax(0, true);
    if (i >= params.warmup_steps)
      W = update_weights(W, proj, params.weight_update, params.weight_momentum);
  }
  lap(phases.weights);

  tail.add(i, g.report);
  last_t = t;
  ++step;
  StepReport r;
  r.step = step;
  r.total = params.steps;
  r.t = t;
  if (read_loss && g.report.defined()) {
    last_loss = g.report.item<double>();  // the one read-back, every few steps
    r.loss = last_loss;
  }
  return r;
}

EditStage::EditStage(EditParams params, std::shared_ptr<const FaceScene> scene, EditModels models,
                     session::FaceState baseline, std::optional<session::FaceState> target,
                     std::uint64_t seed)
    : impl_(std::make_unique<Impl>(std::move(params), std::move(scene), std::move(models),
                                   std::move(baseline), std::move(target), seed)) {
  impl_->init();
}

EditStage::~EditStage() = default;

int EditStage::total_steps() const { return impl_->params.steps; }
int EditStage::steps_done() const { return impl_->step; }
const EditParams& EditStage::params() const { return impl_->params; }
double EditStage::seconds() const { return impl_->seconds; }
const EditPhaseSeconds& EditStage::phase_seconds() const { return impl_->phases; }
double EditStage::final_loss() { return impl_->tail.value(); }

StepReport EditStage::step(bool read_loss) {
  FACEG2E_CHECK(!done(), "edit stage: all steps are done");
  const auto t0 = std::chrono::steady_clock::now();
  StepReport r = impl_->do_step(read_loss);
  impl_->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

session::FloatImage EditStage::weights() const { return host_image(impl_->effective_w()); }

session::FloatImage EditStage::attention() const {
  if (!impl_->attention_uv.defined()) return {};
  return host_image(impl_->attention_uv);
}

FaceSnapshot EditStage::snapshot(int albedo_size) {
  torch::NoGradGuard ng;
  Impl& m = *impl_;
  FaceSnapshot s;
  s.stage = "edit";
  s.step = m.step;
  s.total = m.params.steps;
  s.t = m.last_t;
  s.loss = m.last_loss;
  s.it_per_s = m.seconds > 0 ? m.step / m.seconds : 0;
  s.eta_s = s.it_per_s > 0 ? (m.params.steps - m.step) / s.it_per_s : 0;
  const torch::Tensor v = m.current_vertices().detach();
  s.positions = to_vector(v);
  s.normals = to_vector(face::vertex_normals(v, m.scene.tensors().faces));
  if (m.texture_scope()) s.albedo = host_image(m.current_texture(), albedo_size);
  s.weights = weights();
  s.attention = attention();
  return s;
}

Image8 EditStage::preview(int size) {
  torch::NoGradGuard ng;
  Impl& m = *impl_;
  raster::RenderMeshParams pp;
  pp.mode = raster::ShadingMode::kTextured;
  pp.height = pp.width = size;
  raster::MeshInputs pm = m.scene.mesh(m.current_vertices().detach());
  pm.texture = m.current_texture();
  pm.sh_gamma = m.presets[0];
  return to_image8(
      raster::render_mesh(pm, m.scene.camera(raster::ViewAngles{0.0, 0.0, 1.0}), pp).image);
}

session::FaceState EditStage::finish() {
  torch::NoGradGuard ng;
  Impl& m = *impl_;
  session::FaceState out = m.baseline;
  switch (m.params.scope) {
    case EditScope::kTexture: {
      const torch::Tensor delta = m.current_texture() - m.albedo0;
      torch::Tensor up = resize_to(delta, m.albedo_full.size(2), m.albedo_full.size(3));
      // Upsampling must not carry the change across the lock's border.
      if (m.membership_full.defined()) up = up * m.membership_full.gt(0).to(up.dtype());
      const torch::Tensor full = (m.albedo_full + up).clamp(0, 1);
      out.albedo = host_image(full);
      if (m.latent_texture()) {
        const torch::Tensor z = m.param.detach().to(torch::kCPU).contiguous();
        out.latent.channels = static_cast<int>(z.size(1));
        out.latent.height = static_cast<int>(z.size(2));
        out.latent.width = static_cast<int>(z.size(3));
        out.latent.data.assign(z.data_ptr<float>(), z.data_ptr<float>() + z.numel());
      }
      break;
    }
    case EditScope::kGeometry:
      out.coeffs.identity = to_vector(m.param);
      break;
    case EditScope::kExpression:
      out.coeffs.expression = to_vector(m.param);
      break;
  }
  return out;
}

}  // namespace faceg2e::pipeline
