// Finite-difference checks (float64) of the gradients through barycentrics, normals, SH shading,
// depth, texture sampling and render_mesh. Visibility is discrete, so the position checks either
// hold the triangle ids fixed (the differentiable part) or verify that the perturbation left them
// unchanged.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <functional>

#include "core/raster/barycentrics.h"
#include "core/raster/camera.h"
#include "core/raster/image_maps.h"
#include "core/raster/interpolate.h"
#include "core/raster/render_mesh.h"
#include "core/raster/sh_lighting.h"
#include "core/raster/texture_sample.h"
#include "tests/raster/raster_test_util.h"

namespace faceg2e::raster {
namespace {

// Central differences of a scalar function over every element of x (float64).
torch::Tensor numeric_grad(const std::function<double(const torch::Tensor&)>& f,
                           const torch::Tensor& x, double h) {
  torch::Tensor g = torch::zeros_like(x);
  torch::Tensor flat = x.detach().clone().reshape({-1});
  auto gf = g.reshape({-1});
  for (int64_t i = 0; i < flat.numel(); ++i) {
    const double orig = flat[i].item<double>();
    flat[i] = orig + h;
    const double fp = f(flat.view(x.sizes()));
    flat[i] = orig - h;
    const double fm = f(flat.view(x.sizes()));
    flat[i] = orig;
    gf[i] = (fp - fm) / (2.0 * h);
  }
  return g;
}

void expect_grad_close(const torch::Tensor& analytic, const torch::Tensor& numeric, double tol) {
  const double scale = std::max(1.0, numeric.abs().max().item<double>());
  const double err = (analytic - numeric).abs().max().item<double>();
  EXPECT_LT(err, tol * scale) << "max |autograd - finite difference| = " << err << " (scale "
                              << scale << ")";
  EXPECT_GT(numeric.abs().sum().item<double>(), 0.0) << "gradient is trivially zero";
}

struct Scene {
  torch::Tensor positions, triangles;
  Camera camera;
};

Scene small_scene() {
  Scene s;
  test::grid_mesh(3, 0.8, 0.0, 0.3, &s.positions, &s.triangles);
  torch::manual_seed(5);
  s.positions.select(1, 2).copy_(torch::rand({s.positions.size(0)}, torch::kFloat64) * 0.4);
  PerspectiveParams pp;
  pp.fov_y_deg = 50.0;
  pp.near = 0.5;
  pp.far = 10.0;
  s.camera = make_orbit_camera({ViewAngles{20.0, 10.0, 3.0}}, {0, 0, 0}, pp);
  s.camera.view = s.camera.view.to(torch::kFloat64);
  s.camera.projection = s.camera.projection.to(torch::kFloat64);
  return s;
}

TEST(Gradients, PositionsThroughBarycentricsNormalsAndShading) {
  const Scene s = small_scene();
  const torch::Tensor vp = s.camera.view_projection();
  RasterizeParams rp;
  rp.height = rp.width = 14;
  const torch::Tensor ids =
      rasterize(transform_points(s.positions, vp), s.triangles, rp).triangle_id;
  ASSERT_GT(ids.ge(0).sum().item<int64_t>(), 40);
  torch::manual_seed(9);
  const torch::Tensor weights = torch::rand({1, 14, 14, 4}, torch::kFloat64);
  const torch::Tensor gamma = sh_light_preset(6).to(torch::kFloat64);
  auto loss = [&](const torch::Tensor& pos) {
    const torch::Tensor clip = transform_points(pos, vp);
    Fragments f;
    f.triangle_id = ids;
    f.barycentrics = perspective_barycentrics(clip, s.triangles, ids);
    f.mask = ids.ge(0).unsqueeze(-1).to(torch::kFloat64);
    const torch::Tensor n = interpolate(vertex_normals(pos, s.triangles), s.triangles, f).image;
    const torch::Tensor nn = n / n.norm(2, -1, true).clamp_min(1e-12);
    const torch::Tensor rad = sh_radiance(nn, gamma) * f.mask;
    const torch::Tensor depth = interpolate(clip.narrow(2, 3, 1), s.triangles, f).image;
    return (torch::cat({rad, depth}, -1) * weights).sum();
  };
  torch::Tensor pos = s.positions.clone().requires_grad_(true);
  loss(pos).backward();
  const torch::Tensor numeric = numeric_grad(
      [&](const torch::Tensor& p) { return loss(p).item<double>(); }, s.positions, 1e-6);
  expect_grad_close(pos.grad(), numeric, 1e-6);
}

TEST(Gradients, TextureAndUv) {
  torch::manual_seed(13);
  const torch::Tensor tex = torch::rand({2, 3, 5, 6}, torch::kFloat64);
  const torch::Tensor uv = torch::rand({2, 4, 5, 2}, torch::kFloat64) * 1.4 - 0.2;
  const torch::Tensor weights = torch::rand({2, 3, 4, 5}, torch::kFloat64);
  for (TextureAddress mode : {TextureAddress::kClamp, TextureAddress::kWrap}) {
    TextureSampleParams p;
    p.address = mode;
    torch::Tensor t = tex.clone().requires_grad_(true), u = uv.clone().requires_grad_(true);
    (sample_texture(t, u, p) * weights).sum().backward();
    const auto f_tex = [&](const torch::Tensor& x) {
      return (sample_texture(x, uv, p) * weights).sum().item<double>();
    };
    const auto f_uv = [&](const torch::Tensor& x) {
      return (sample_texture(tex, x, p) * weights).sum().item<double>();
    };
    expect_grad_close(t.grad(), numeric_grad(f_tex, tex, 1e-6), 1e-7);
    expect_grad_close(u.grad(), numeric_grad(f_uv, uv, 1e-7), 1e-5);
  }
}

TEST(Gradients, RenderMeshTexturedForwardBackward) {
  const Scene s = small_scene();
  MeshInputs mesh;
  mesh.positions = s.positions;
  mesh.triangles = s.triangles;
  // Per-corner UVs from the vertex xy (as if each triangle had its own corners).
  const torch::Tensor corner = s.triangles.reshape({-1}).to(torch::kInt64);
  mesh.uvs = s.positions.narrow(1, 0, 2).index_select(0, corner) * 0.5 + 0.5;
  mesh.faces_uv = torch::arange(corner.numel(), torch::kInt32).reshape({-1, 3});
  torch::manual_seed(17);
  mesh.texture = torch::rand({3, 8, 8}, torch::kFloat64);
  mesh.sh_gamma = sh_light_preset(3).to(torch::kFloat64);
  RenderMeshParams params;
  params.mode = ShadingMode::kTextured;
  params.height = params.width = 12;
  params.background = 0.25;
  const torch::Tensor weights = torch::rand({1, 3, 12, 12}, torch::kFloat64);
  const torch::Tensor ids0 = render_mesh(mesh, s.camera, params).fragments.triangle_id;

  MeshInputs m = mesh;
  m.positions = s.positions.clone().requires_grad_(true);
  m.texture = mesh.texture.clone().requires_grad_(true);
  const RenderOutput out = render_mesh(m, s.camera, params);
  (out.image * weights).sum().backward();

  const auto f_tex = [&](const torch::Tensor& x) {
    MeshInputs mm = mesh;
    mm.texture = x;
    return (render_mesh(mm, s.camera, params).image * weights).sum().item<double>();
  };
  expect_grad_close(m.texture.grad(), numeric_grad(f_tex, mesh.texture, 1e-6), 1e-7);

  bool ids_stable = true;
  const auto f_pos = [&](const torch::Tensor& x) {
    MeshInputs mm = mesh;
    mm.positions = x;
    const RenderOutput o = render_mesh(mm, s.camera, params);
    ids_stable = ids_stable && o.fragments.triangle_id.equal(ids0);
    return (o.image * weights).sum().item<double>();
  };
  const torch::Tensor numeric = numeric_grad(f_pos, s.positions, 1e-7);
  ASSERT_TRUE(ids_stable) << "a perturbation changed the visibility; pick another h";
  expect_grad_close(m.positions.grad(), numeric, 1e-5);
}

TEST(Gradients, DepthAndNormalMaps) {
  const Scene s = small_scene();
  for (ShadingMode mode : {ShadingMode::kDepthMap, ShadingMode::kNormalMap}) {
    MeshInputs mesh;
    mesh.positions = s.positions;
    mesh.triangles = s.triangles;
    RenderMeshParams params;
    params.mode = mode;
    params.height = params.width = 12;
    const torch::Tensor ids0 = render_mesh(mesh, s.camera, params).fragments.triangle_id;
    torch::manual_seed(23);
    const int channels = mode == ShadingMode::kDepthMap ? 1 : 3;
    const torch::Tensor weights = torch::rand({1, channels, 12, 12}, torch::kFloat64);
    MeshInputs m = mesh;
    m.positions = s.positions.clone().requires_grad_(true);
    (render_mesh(m, s.camera, params).image * weights).sum().backward();
    bool ids_stable = true;
    const auto f = [&](const torch::Tensor& x) {
      MeshInputs mm = mesh;
      mm.positions = x;
      const RenderOutput o = render_mesh(mm, s.camera, params);
      ids_stable = ids_stable && o.fragments.triangle_id.equal(ids0);
      return (o.image * weights).sum().item<double>();
    };
    const torch::Tensor numeric = numeric_grad(f, s.positions, 1e-7);
    ASSERT_TRUE(ids_stable);
    expect_grad_close(m.positions.grad(), numeric, 1e-5);
  }
}

}  // namespace
}  // namespace faceg2e::raster
