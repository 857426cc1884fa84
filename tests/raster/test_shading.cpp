// SH lighting, normal maps, depth maps, vertex normals and texture lookups against hand values.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/raster/image_maps.h"
#include "core/raster/sh_lighting.h"
#include "core/raster/texture_sample.h"
#include "core/util/error.h"
#include "tests/raster/raster_test_util.h"

namespace faceg2e::raster {
namespace {

// The reference SH formula (FaceG2E compute_color) written out per term for one normal.
double reference_radiance(const double n[3], const double g[9], double init_lit) {
  const double pi = 3.14159265358979323846;
  const double a0 = pi, a1 = 2 * pi / std::sqrt(3.0), a2 = 2 * pi / std::sqrt(8.0);
  const double c0 = 1 / std::sqrt(4 * pi), c1 = std::sqrt(3.0) / std::sqrt(4 * pi),
               c2 = 3 * std::sqrt(5.0) / std::sqrt(12 * pi);
  const double x = n[0], y = n[1], z = n[2];
  const double Y[9] = {a0 * c0,
                       -a1 * c1 * y,
                       a1 * c1 * z,
                       -a1 * c1 * x,
                       a2 * c2 * x * y,
                       -a2 * c2 * y * z,
                       0.5 * a2 * c2 / std::sqrt(3.0) * (3 * z * z - 1),
                       -a2 * c2 * x * z,
                       0.5 * a2 * c2 * (x * x - y * y)};
  double r = 0;
  for (int j = 0; j < 9; ++j) r += Y[j] * (g[j] + (j == 0 ? init_lit : 0.0));
  return r;
}

TEST(Sh, SixteenPresetsFromTheReference) {
  const torch::Tensor all = sh_light_presets();
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{16, 27}));
  EXPECT_EQ(kShLightPresets, 16);
  // Spot checks against util/render_util.py (strength 0.2 as the StageFitter uses).
  const std::vector<float> p0 = {0.2f, -0.2f, 0.25f, -0.5f, 0, 0, 0, 0, 0};
  const std::vector<float> p9 = {0.2f, -0.2f, 0.25f, 0, 0.9f, 0, 0, 0, 0};
  const std::vector<float> p15 = {0.2f, -0.2f, 0.25f, 0, 0, -0.7f, 0, 0, 0};
  for (int k = 0; k < 3; ++k)
    for (int j = 0; j < 9; ++j) {
      EXPECT_FLOAT_EQ(all[0][k * 9 + j].item<float>(), p0[j]);
      EXPECT_FLOAT_EQ(all[9][k * 9 + j].item<float>(), p9[j]);
      EXPECT_FLOAT_EQ(all[15][k * 9 + j].item<float>(), p15[j]);
    }
  EXPECT_FLOAT_EQ(sh_light_preset(4, 0.6)[9].item<float>(), 0.6f);
  EXPECT_FLOAT_EQ(sh_light_preset(4, 0.6)[10].item<float>(), 0.2f);
  EXPECT_THROW(sh_light_preset(16), Error);
  EXPECT_THROW(sh_light_preset(-1), Error);
}

TEST(Sh, RadianceMatchesTheFormula) {
  torch::manual_seed(2);
  const torch::Tensor gamma = torch::randn({2, 27}, torch::kFloat64) * 0.3;
  torch::Tensor n = torch::randn({2, 5, 3}, torch::kFloat64);
  n = n / n.norm(2, -1, true);
  const torch::Tensor rad = sh_radiance(n, gamma);
  ASSERT_EQ(rad.sizes(), (std::vector<int64_t>{2, 5, 3}));
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 5; ++i)
      for (int k = 0; k < 3; ++k) {
        double nn[3], g[9];
        for (int d = 0; d < 3; ++d) nn[d] = n[b][i][d].item<double>();
        for (int j = 0; j < 9; ++j) g[j] = gamma[b][k * 9 + j].item<double>();
        EXPECT_NEAR(rad[b][i][k].item<double>(), reference_radiance(nn, g, 0.8), 1e-12);
      }
  // A known normal: facing +z under the plain ambient term gives a0 c0 (g0 + 0.8) + the z^2 term.
  const double up[3] = {0, 0, 1};
  const double g0[9] = {0.2, 0, 0, 0, 0, 0, 0, 0, 0};
  const double expect = std::sqrt(M_PI) / 2.0 * 1.0;  // pi / (2 sqrt(pi)) * (0.2 + 0.8)
  EXPECT_NEAR(reference_radiance(up, g0, 0.8), expect, 1e-12);
  torch::Tensor gt = torch::zeros({27}, torch::kFloat64);
  gt[0] = gt[9] = gt[18] = 0.2;
  const torch::Tensor r = sh_radiance(test::f64({0, 0, 1}, {1, 3}), gt);
  EXPECT_NEAR(r[0][1].item<double>(), expect, 1e-12);
}

TEST(Maps, NormalMapAndBackground) {
  const torch::Tensor n = test::f64({0, 0, 2, 1, 0, 0}, {1, 1, 2, 3});
  const torch::Tensor mask = test::f64({1, 0}, {1, 1, 2, 1});
  const torch::Tensor img = normal_map(n, mask, 0.25);
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{1, 3, 1, 2}));
  EXPECT_NEAR(img[0][0][0][0].item<double>(), 0.5, 1e-12);
  EXPECT_NEAR(img[0][1][0][0].item<double>(), 0.5, 1e-12);
  EXPECT_NEAR(img[0][2][0][0].item<double>(), 1.0, 1e-12);
  for (int c = 0; c < 3; ++c) EXPECT_EQ(img[0][c][0][1].item<double>(), 0.25);
}

TEST(Maps, DepthMapIsNearBrightAndNormalisedPerImage) {
  // Image 0: depths 2 (near), 3, 4 (far), one background; image 1: flat.
  const torch::Tensor d = test::f64({2, 3, 4, 9, 5, 5, 5, 5}, {2, 1, 4, 1});
  const torch::Tensor m = test::f64({1, 1, 1, 0, 1, 1, 0, 0}, {2, 1, 4, 1});
  DepthMapParams p;
  p.min_value = 0.5;
  const torch::Tensor img = depth_map(d, m, p);
  ASSERT_EQ(img.sizes(), (std::vector<int64_t>{2, 1, 1, 4}));
  EXPECT_NEAR(img[0][0][0][0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(img[0][0][0][1].item<double>(), 0.75, 1e-12);
  EXPECT_NEAR(img[0][0][0][2].item<double>(), 0.5, 1e-12);
  EXPECT_EQ(img[0][0][0][3].item<double>(), 0.0);
  EXPECT_NEAR(img[1][0][0][0].item<double>(), 1.0, 1e-12);
  EXPECT_EQ(img[1][0][0][2].item<double>(), 0.0);
}

TEST(Maps, VertexNormalsAreAreaWeighted) {
  // A roof: two unit right triangles, one in the z = 0 plane (normal +z, area 1/2) and one
  // twice as large tilted to face +x. The shared vertices' normals are the area-weighted mean.
  const torch::Tensor p = test::f64({0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, -2}, {4, 3});
  const torch::Tensor t = test::tris({0, 1, 2, 0, 2, 3});
  const torch::Tensor n = vertex_normals(p, t);
  // Triangle 0: (1,0,0) x (0,1,0) = (0,0,1) (twice area 1). Triangle 1: (0,1,0) x (0,0,-2) =
  // (-2,0,0) (twice area 2). Vertex 0 and 2: (-2, 0, 1) / sqrt 5.
  EXPECT_NEAR(n[0][0].item<double>(), -2 / std::sqrt(5.0), 1e-12);
  EXPECT_NEAR(n[0][2].item<double>(), 1 / std::sqrt(5.0), 1e-12);
  EXPECT_NEAR(n[1][2].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(n[3][0].item<double>(), -1.0, 1e-12);
  // An unused vertex gets zero, not NaN.
  const torch::Tensor p5 = torch::cat({p, test::f64({5, 5, 5}, {1, 3})});
  EXPECT_EQ(vertex_normals(p5, t)[4].abs().sum().item<double>(), 0.0);
}

TEST(Texture, BilinearLookupWithVUp) {
  // 2 x 2 texture, row 0 (top) = [1, 2], row 1 (bottom) = [3, 4].
  const torch::Tensor tex = test::f64({1, 2, 3, 4}, {1, 2, 2});
  auto at = [&](double u, double v, TextureAddress mode) {
    TextureSampleParams p;
    p.address = mode;
    return sample_texture(tex, test::f64({u, v}, {1, 1, 1, 2}), p).item<double>();
  };
  // Texel centres: (0.25, 0.75) is the top-left texel (v up), (0.75, 0.25) the bottom right.
  EXPECT_NEAR(at(0.25, 0.75, TextureAddress::kClamp), 1.0, 1e-12);
  EXPECT_NEAR(at(0.75, 0.75, TextureAddress::kClamp), 2.0, 1e-12);
  EXPECT_NEAR(at(0.25, 0.25, TextureAddress::kClamp), 3.0, 1e-12);
  EXPECT_NEAR(at(0.5, 0.5, TextureAddress::kClamp), 2.5, 1e-12);
  // Clamp: beyond the left edge reads the border texels.
  EXPECT_NEAR(at(-3.0, 0.75, TextureAddress::kClamp), 1.0, 1e-12);
  // Wrap: u = 0 sits between the last and the first column.
  EXPECT_NEAR(at(0.0, 0.75, TextureAddress::kWrap), 1.5, 1e-12);
  EXPECT_NEAR(at(1.25, 0.75, TextureAddress::kWrap), 1.0, 1e-12);
  EXPECT_NEAR(at(0.25, 1.0, TextureAddress::kWrap), 2.0, 1e-12);  // (1 + 3) / 2
  // Any channel count (a 4-channel latent).
  const torch::Tensor latent = torch::rand({4, 3, 3}, torch::kFloat64);
  EXPECT_EQ(sample_texture(latent, torch::rand({2, 5, 5, 2}, torch::kFloat64)).sizes(),
            (std::vector<int64_t>{2, 4, 5, 5}));
  EXPECT_THROW(sample_texture(latent, torch::rand({5, 5, 2}, torch::kFloat64)), Error);
}

}  // namespace
}  // namespace faceg2e::raster
