// render_mesh end to end on a quad facing the camera, where every mode has a closed form.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/raster/render_mesh.h"
#include "core/raster/uv_projection.h"
#include "core/util/error.h"
#include "tests/raster/raster_test_util.h"

namespace faceg2e::raster {
namespace {

struct Quad {
  MeshInputs mesh;
  Camera camera;
};

// A square [-1, 1]^2 in the z = 0 plane (normal +z), seen from the front at distance 4 with a
// 60 degree fov: it covers the centre of a 32 x 32 image, NDC |x|, |y| < f / 4 = 0.433.
Quad make_quad() {
  Quad q;
  q.mesh.positions = test::f64({-1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 1, 0}, {4, 3});
  q.mesh.triangles = test::tris({0, 1, 2, 0, 2, 3});
  q.mesh.uvs = test::f64({0, 0, 1, 0, 1, 1, 0, 1}, {4, 2});
  q.mesh.faces_uv = test::tris({0, 1, 2, 0, 2, 3});
  PerspectiveParams pp;
  pp.fov_y_deg = 60;
  pp.near = 1;
  pp.far = 10;
  q.camera = make_orbit_camera({ViewAngles{0, 0, 4}}, {0, 0, 0}, pp);
  return q;
}

bool inside_quad(int row, int col, int size) {
  const double lim = 1.0 / std::tan(M_PI / 6) / 4.0;
  return std::abs(test::ndc_x(col, size)) < lim - 0.03 &&
         std::abs(test::ndc_y(row, size)) < lim - 0.03;
}
bool outside_quad(int row, int col, int size) {
  const double lim = 1.0 / std::tan(M_PI / 6) / 4.0;
  return std::abs(test::ndc_x(col, size)) > lim + 0.03 ||
         std::abs(test::ndc_y(row, size)) > lim + 0.03;
}

TEST(RenderMesh, GreyShadedNormalAndDepthModes) {
  Quad q = make_quad();
  torch::Tensor gamma = torch::zeros({27}, torch::kFloat64);
  gamma[0] = gamma[9] = gamma[18] = 0.2;
  gamma[2] = 0.1;  // a z-facing light term on the red channel
  q.mesh.sh_gamma = gamma;
  RenderMeshParams p;
  p.height = p.width = 32;
  p.background = 0.125;
  // n = (0, 0, 1): radiance = a0 c0 (g0 + 0.8) + a1 c1 g2 + a2 c2 / sqrt(3) * g6; here only g0, g2.
  const double a0c0 = std::sqrt(M_PI) / 2.0, a1c1 = std::sqrt(M_PI);
  const double red = 0.5 * (a0c0 * 1.0 + a1c1 * 0.1), green = 0.5 * a0c0 * 1.0;
  const RenderOutput grey = render_mesh(q.mesh, q.camera, p);
  ASSERT_EQ(grey.image.sizes(), (std::vector<int64_t>{1, 3, 32, 32}));
  p.mode = ShadingMode::kNormalMap;
  const RenderOutput normal = render_mesh(q.mesh, q.camera, p);
  p.mode = ShadingMode::kDepthMap;
  const RenderOutput depth = render_mesh(q.mesh, q.camera, p);
  ASSERT_EQ(depth.image.sizes(), (std::vector<int64_t>{1, 1, 32, 32}));
  int inside = 0;
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 32; ++c) {
      if (inside_quad(r, c, 32)) {
        ++inside;
        EXPECT_NEAR(grey.image[0][0][r][c].item<double>(), red, 1e-9);
        EXPECT_NEAR(grey.image[0][1][r][c].item<double>(), green, 1e-9);
        EXPECT_NEAR(normal.image[0][2][r][c].item<double>(), 1.0, 1e-9);
        EXPECT_NEAR(normal.image[0][0][r][c].item<double>(), 0.5, 1e-9);
        EXPECT_NEAR(depth.image[0][0][r][c].item<double>(), 1.0, 1e-9);  // flat: all nearest
        EXPECT_EQ(grey.mask[0][0][r][c].item<double>(), 1.0);
      } else if (outside_quad(r, c, 32)) {
        EXPECT_EQ(grey.image[0][1][r][c].item<double>(), 0.125);
        EXPECT_EQ(depth.image[0][0][r][c].item<double>(), 0.125);
        EXPECT_EQ(grey.mask[0][0][r][c].item<double>(), 0.0);
      }
    }
  EXPECT_GT(inside, 100);
  // Per-channel background.
  p.mode = ShadingMode::kNormalMap;
  p.background_color = test::f64({0.25, 0.25, 0.5}, {3});
  const RenderOutput bg = render_mesh(q.mesh, q.camera, p);
  EXPECT_EQ(bg.image[0][0][0][0].item<double>(), 0.25);
  EXPECT_EQ(bg.image[0][2][0][0].item<double>(), 0.5);
  EXPECT_NEAR(bg.image[0][2][16][16].item<double>(), 1.0, 1e-9);
  p.background_color = test::f64({0.25, 0.5}, {2});
  EXPECT_THROW(render_mesh(q.mesh, q.camera, p), Error);
}

TEST(RenderMesh, TexturedAlbedoAndLatent) {
  Quad q = make_quad();
  // Texture = u in channel 0, v in channel 1 (a linear ramp reproduces the UV exactly).
  const int n = 16;
  const torch::Tensor u = (torch::arange(n, torch::kFloat64) + 0.5) / n;
  const torch::Tensor tex =
      torch::stack({u.view({1, n}).expand({n, n}), (1.0 - u).view({n, 1}).expand({n, n}),
                    torch::ones({n, n}, torch::kFloat64), torch::zeros({n, n}, torch::kFloat64)});
  q.mesh.texture = tex;  // 4 channels, like a VAE latent
  RenderMeshParams p;
  p.height = p.width = 32;
  p.mode = ShadingMode::kLatent;
  const RenderOutput out = render_mesh(q.mesh, q.camera, p);
  ASSERT_EQ(out.image.sizes(), (std::vector<int64_t>{1, 4, 32, 32}));
  const double f4 = 1.0 / std::tan(M_PI / 6) / 4.0;
  for (int r = 0; r < 32; ++r)
    for (int c = 0; c < 32; ++c) {
      if (!inside_quad(r, c, 32)) continue;
      // The quad is parallel to the image plane: u, v are affine in NDC. Away from the border
      // texels (where the ramp clamps) the bilinear lookup is exact.
      const double uu = 0.5 + 0.5 * test::ndc_x(c, 32) / f4,
                   vv = 0.5 + 0.5 * test::ndc_y(r, 32) / f4;
      if (uu < 1.0 / n || uu > 1 - 1.0 / n || vv < 1.0 / n || vv > 1 - 1.0 / n) continue;
      EXPECT_NEAR(out.image[0][0][r][c].item<double>(), uu, 1e-6);  // float32 camera
      EXPECT_NEAR(out.image[0][1][r][c].item<double>(), vv, 1e-6);
      EXPECT_NEAR(out.image[0][2][r][c].item<double>(), 1.0, 1e-12);
    }
  // Lit texturing needs 3 channels and the SH coefficients.
  p.mode = ShadingMode::kTextured;
  EXPECT_THROW(render_mesh(q.mesh, q.camera, p), Error);
  q.mesh.sh_gamma = sh_light_preset(0).to(torch::kFloat64);
  EXPECT_THROW(render_mesh(q.mesh, q.camera, p), Error);
  q.mesh.texture = tex.narrow(0, 0, 3);
  EXPECT_NO_THROW(render_mesh(q.mesh, q.camera, p));
  q.mesh.uvs = torch::Tensor();
  EXPECT_THROW(render_mesh(q.mesh, q.camera, p), Error);
}

TEST(RenderMesh, BatchOfViewsAndCameraSpaceNormals) {
  Quad q = make_quad();
  PerspectiveParams pp;
  pp.fov_y_deg = 60;
  pp.near = 1;
  pp.far = 10;
  q.camera = make_orbit_camera({ViewAngles{0, 0, 4}, ViewAngles{30, 0, 4}}, {0, 0, 0}, pp);
  RenderMeshParams p;
  p.height = p.width = 16;
  p.mode = ShadingMode::kNormalMap;
  const RenderOutput world = render_mesh(q.mesh, q.camera, p);
  ASSERT_EQ(world.image.size(0), 2);
  p.normal_space = NormalSpace::kCamera;
  const RenderOutput cam = render_mesh(q.mesh, q.camera, p);
  // World normals are (0, 0, 1) in both views; seen from azimuth 30 the camera-space normal
  // points to the left of the image: x = -sin 30.
  const torch::Tensor centre_w = world.image.select(3, 8).select(2, 8);
  const torch::Tensor centre_c = cam.image.select(3, 8).select(2, 8);
  EXPECT_NEAR(centre_w[1][2].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(centre_c[0][2].item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(centre_c[1][0].item<double>(), 0.5 - 0.5 * std::sin(M_PI / 6), 1e-6);
  EXPECT_NEAR(centre_c[1][2].item<double>(), 0.5 + 0.5 * std::cos(M_PI / 6), 1e-6);
}

TEST(UvProjection, ScreenRampLandsOnTheTexelsAndHiddenTrianglesGetNothing) {
  Quad q = make_quad();
  const torch::Tensor vp = q.camera.view_projection().to(torch::kFloat64);
  const torch::Tensor clip = transform_points(q.mesh.positions, vp);
  RasterizeParams rp;
  rp.height = rp.width = 32;
  const Fragments view = rasterize_fragments(clip, q.mesh.triangles, rp);
  // The view image: a ramp in x, value (x_ndc + 1) / 2 at every pixel centre.
  const torch::Tensor ramp = ((torch::arange(32, torch::kFloat64) + 0.5) / 32.0)
                                 .view({1, 1, 1, 32})
                                 .expand({1, 1, 32, 32});
  UvProjectionParams up;
  up.uv_height = up.uv_width = 16;
  const UvProjection uv =
      project_image_to_uv(ramp, clip, q.mesh.triangles, q.mesh.uvs, q.mesh.faces_uv, view, up);
  ASSERT_EQ(uv.image.sizes(), (std::vector<int64_t>{1, 1, 16, 16}));
  EXPECT_TRUE(uv.mask.eq(1).all().item<bool>());
  const double f4 = 1.0 / std::tan(M_PI / 6) / 4.0;
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c) {
      // Texel (r, c): u = (c + 0.5) / 16, v = 1 - (r + 0.5) / 16 -> world x = 2u - 1 at z = 0,
      // seen from distance 4: x_ndc = f (2u - 1) / 4.
      const double u = (c + 0.5) / 16.0;
      EXPECT_NEAR(uv.image[0][0][r][c].item<double>(), (f4 * (2 * u - 1) + 1) / 2, 1e-6);
    }

  // A second, larger quad in front hides the first one completely.
  MeshInputs two = q.mesh;
  two.positions =
      torch::cat({q.mesh.positions * test::f64({1, 1, 1}, {1, 3}),
                  q.mesh.positions * test::f64({3, 3, 0}, {1, 3}) + test::f64({0, 0, 1}, {1, 3})});
  two.triangles = test::tris({0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7});
  // UVs: the hidden quad in u < 0.5, the front quad in u > 0.5.
  two.uvs = test::f64({0, 0, 0.5, 0, 0.5, 1, 0, 1, 0.5, 0, 1, 0, 1, 1, 0.5, 1}, {8, 2});
  two.faces_uv = two.triangles;
  const torch::Tensor clip2 = transform_points(two.positions, vp);
  const Fragments view2 = rasterize_fragments(clip2, two.triangles, rp);
  const UvProjection uv2 =
      project_image_to_uv(ramp, clip2, two.triangles, two.uvs, two.faces_uv, view2, up);
  EXPECT_TRUE(uv2.mask.narrow(3, 0, 8).eq(0).all().item<bool>());
  EXPECT_TRUE(uv2.image.narrow(3, 0, 8).eq(0).all().item<bool>());
  EXPECT_TRUE(uv2.mask.narrow(3, 8, 8).eq(1).all().item<bool>());
}

}  // namespace
}  // namespace faceg2e::raster
