// Perspective-correct barycentrics and attribute interpolation.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/raster/barycentrics.h"
#include "core/raster/interpolate.h"
#include "core/util/error.h"
#include "tests/raster/raster_test_util.h"

namespace faceg2e::raster {
namespace {

// A tilted grid mesh in front of a perspective camera, as clip positions with varying w.
torch::Tensor tilted_clip(const torch::Tensor& pos) {
  // Eye space: z from -2 to -4 across the mesh; a simple projection (f = 1.5, near 0.5, far 10).
  const torch::Tensor x = pos.select(1, 0), y = pos.select(1, 1);
  const torch::Tensor ze = -3.0 + 0.8 * x + 0.4 * y;
  const double f = 1.5, n = 0.5, fa = 10.0;
  return torch::stack({f * x, f * y, (fa + n) / (n - fa) * ze + 2 * fa * n / (n - fa), -ze}, 1);
}

RasterizeParams params_hw(int h, int w) {
  RasterizeParams p;
  p.height = h;
  p.width = w;
  return p;
}

TEST(Interpolate, ClipPositionsReprojectToThePixelCentre) {
  // Interpolating the clip coordinates themselves with perspective-correct barycentrics gives a
  // point on the triangle whose projection is exactly the pixel centre: an independent check of
  // the barycentric formula.
  torch::Tensor pos, triangles;
  test::grid_mesh(5, 1.0, 0.0, 0.3, &pos, &triangles);
  const torch::Tensor clip = tilted_clip(pos);
  const Fragments frags = rasterize_fragments(clip, triangles, params_hw(24, 30));
  const InterpolateOutput out = interpolate(clip, triangles, frags);
  ASSERT_EQ(out.image.sizes(), (std::vector<int64_t>{1, 24, 30, 4}));
  auto img = out.image.accessor<double, 4>();
  auto ids = frags.triangle_id.accessor<int32_t, 3>();
  auto bary = frags.barycentrics.accessor<double, 4>();
  int covered = 0;
  for (int r = 0; r < 24; ++r)
    for (int c = 0; c < 30; ++c) {
      if (ids[0][r][c] < 0) {
        EXPECT_EQ(img[0][r][c][3], 0.0);
        EXPECT_EQ(out.mask[0][r][c][0].item<double>(), 0.0);
        continue;
      }
      ++covered;
      EXPECT_NEAR(img[0][r][c][0] / img[0][r][c][3], test::ndc_x(c, 30), 1e-12);
      EXPECT_NEAR(img[0][r][c][1] / img[0][r][c][3], test::ndc_y(r, 24), 1e-12);
      EXPECT_NEAR(bary[0][r][c][0] + bary[0][r][c][1] + bary[0][r][c][2], 1.0, 1e-12);
      for (int i = 0; i < 3; ++i) EXPECT_GT(bary[0][r][c][i], -1e-2);
    }
  EXPECT_GT(covered, 200);
}

TEST(Interpolate, LinearAttributeIsExact) {
  // An affine function of the eye-space position, given per vertex, interpolates to the same
  // affine function of the surface point hit by the pixel's ray (the ray/plane intersection
  // computed here in closed form for each triangle's plane: the mesh is planar).
  torch::Tensor pos, triangles;
  test::grid_mesh(4, 1.0, 0.0, 0.2, &pos, &triangles);
  const torch::Tensor clip = tilted_clip(pos);
  const torch::Tensor x = pos.select(1, 0), y = pos.select(1, 1);
  const torch::Tensor ze = -3.0 + 0.8 * x + 0.4 * y;
  const torch::Tensor attr = torch::stack({2.0 * x - y + 0.5 * ze + 1.0, x * 0.0 + 3.0}, 1);
  const Fragments frags = rasterize_fragments(clip, triangles, params_hw(20, 20));
  const torch::Tensor image = interpolate(attr, triangles, frags).image;
  auto img = image.accessor<double, 4>();
  auto ids = frags.triangle_id.accessor<int32_t, 3>();
  for (int r = 0; r < 20; ++r)
    for (int c = 0; c < 20; ++c) {
      if (ids[0][r][c] < 0) continue;
      // Ray: eye-space point (X, Y, Z) with 1.5 X / -Z = px, 1.5 Y / -Z = py, on the plane
      // Z = -3 + 0.8 X + 0.4 Y.
      const double px = test::ndc_x(c, 20), py = test::ndc_y(r, 20);
      const double kx = -px / 1.5, ky = -py / 1.5;  // X = kx Z, Y = ky Z
      const double z = -3.0 / (1.0 - 0.8 * kx - 0.4 * ky);
      const double xs = kx * z, ys = ky * z;
      EXPECT_NEAR(img[0][r][c][0], 2.0 * xs - ys + 0.5 * z + 1.0, 1e-10);
      EXPECT_NEAR(img[0][r][c][1], 3.0, 1e-12);
    }
}

TEST(Interpolate, PerCornerAttributesThroughTheirOwnIndex) {
  // UV-style attributes: every corner has its own entry (split seams); the same values given per
  // vertex must interpolate identically.
  torch::Tensor pos, triangles;
  test::grid_mesh(3, 0.9, 0.0, 0.2, &pos, &triangles);
  const torch::Tensor clip = tilted_clip(pos);
  const torch::Tensor per_vertex = torch::rand({pos.size(0), 2}, torch::kFloat64);
  const torch::Tensor corner_index =
      torch::arange(triangles.numel(), torch::kInt64).reshape({-1, 3});
  const torch::Tensor per_corner =
      per_vertex.index_select(0, triangles.reshape({-1}).to(torch::kInt64));
  const Fragments frags = rasterize_fragments(clip, triangles, params_hw(16, 16));
  const torch::Tensor a = interpolate(per_vertex, triangles, frags).image;
  const torch::Tensor b = interpolate(per_corner, corner_index, frags).image;
  EXPECT_TRUE(torch::allclose(a, b, 0, 1e-14));
  // Batched attributes: each batch item uses its own values.
  const torch::Tensor batched = torch::stack({per_vertex, per_vertex * 2.0});
  const Fragments frags2 =
      rasterize_fragments(torch::stack({clip, clip}), triangles, params_hw(16, 16));
  const torch::Tensor c = interpolate(batched, triangles, frags2).image;
  EXPECT_TRUE(torch::allclose(c[0], a[0], 0, 1e-14));
  EXPECT_TRUE(torch::allclose(c[1], a[0] * 2.0, 0, 1e-14));
}

TEST(Interpolate, RejectsBadInput) {
  torch::Tensor pos, triangles;
  test::grid_mesh(2, 0.9, 0.0, 0.0, &pos, &triangles);
  const torch::Tensor clip = tilted_clip(pos);
  const Fragments frags = rasterize_fragments(clip, triangles, params_hw(8, 8));
  EXPECT_THROW(interpolate(pos.to(torch::kInt64), triangles, frags), Error);
  EXPECT_THROW(interpolate(pos.narrow(0, 0, 3), triangles, frags), Error);  // index range
  EXPECT_THROW(interpolate(pos, triangles.narrow(0, 0, 2), frags), Error);  // too few rows
  EXPECT_THROW(interpolate(torch::stack({pos, pos, pos}), triangles, frags), Error);  // batch
  EXPECT_THROW(perspective_barycentrics(clip, triangles, frags.triangle_id.to(torch::kInt64)),
               Error);
}

}  // namespace
}  // namespace faceg2e::raster
