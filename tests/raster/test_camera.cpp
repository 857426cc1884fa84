// Camera matrices, view sampling and prompt suffixes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/raster/camera.h"
#include "core/util/error.h"
#include "tests/raster/raster_test_util.h"

namespace faceg2e::raster {
namespace {

TEST(Camera, PerspectiveMatrixByHand) {
  PerspectiveParams p;
  p.fov_y_deg = 90.0;  // tan(45) = 1
  p.aspect = 2.0;
  p.near = 1.0;
  p.far = 3.0;
  const torch::Tensor m = perspective_matrix(p);
  const torch::Tensor expect = test::f64({0.5, 0, 0, 0,  //
                                          0, 1, 0, 0,    //
                                          0, 0, -2, -3,  // (f + n) / (n - f), 2 f n / (n - f)
                                          0, 0, -1, 0},
                                         {4, 4});
  EXPECT_TRUE(torch::allclose(m, expect, 0, 1e-12));
  // Near and far map to NDC z = -1 and +1.
  const torch::Tensor near_pt = torch::matmul(m, test::f64({0, 0, -1, 1}, {4}));
  const torch::Tensor far_pt = torch::matmul(m, test::f64({0, 0, -3, 1}, {4}));
  EXPECT_NEAR((near_pt[2] / near_pt[3]).item<double>(), -1.0, 1e-12);
  EXPECT_NEAR((far_pt[2] / far_pt[3]).item<double>(), 1.0, 1e-12);
  p.near = 0.0;
  EXPECT_THROW(perspective_matrix(p), Error);
  p.near = 1.0;
  p.fov_y_deg = 180.0;
  EXPECT_THROW(perspective_matrix(p), Error);
}

TEST(Camera, LookAtByHand) {
  // From +z looking at the origin: a pure translation by -5 along z.
  const torch::Tensor front = look_at_matrix({0, 0, 5}, {0, 0, 0});
  EXPECT_TRUE(torch::allclose(
      front, test::f64({1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, -5, 0, 0, 0, 1}, {4, 4}), 0, 1e-12));
  // From +x: eye-space x (right) is world -z, eye z (toward the viewer) is world +x.
  const torch::Tensor side = look_at_matrix({3, 0, 0}, {0, 0, 0});
  EXPECT_TRUE(torch::allclose(
      side, test::f64({0, 0, -1, 0, 0, 1, 0, 0, 1, 0, 0, -3, 0, 0, 0, 1}, {4, 4}), 0, 1e-12));
  EXPECT_THROW(look_at_matrix({0, 0, 0}, {0, 0, 0}), Error);
  EXPECT_THROW(look_at_matrix({0, 5, 0}, {0, 0, 0}), Error);  // up parallel to the view
}

TEST(Camera, OrbitEyeAndProjection) {
  const Vec3 e = orbit_eye({90.0, 0.0, 2.0}, {1, 0, 0});
  EXPECT_NEAR(e[0], 3.0, 1e-12);
  EXPECT_NEAR(e[1], 0.0, 1e-12);
  EXPECT_NEAR(e[2], 0.0, 1e-12);
  const Vec3 up = orbit_eye({0.0, 30.0, 2.0}, {0, 0, 0});
  EXPECT_NEAR(up[1], 1.0, 1e-12);
  EXPECT_NEAR(up[2], std::sqrt(3.0), 1e-12);
  // The target projects to the image centre; a point 1 unit to the subject's left (+x) seen from
  // the front lands right of centre at x_ndc = f / (aspect * distance).
  PerspectiveParams pp;
  pp.fov_y_deg = 60.0;
  pp.near = 0.1;
  pp.far = 100.0;
  const Camera cam =
      make_orbit_camera({ViewAngles{0.0, 0.0, 10.0}, ViewAngles{45.0, 0.0, 10.0}}, {0, 0, 0}, pp);
  EXPECT_EQ(cam.view.sizes(), (std::vector<int64_t>{2, 4, 4}));
  const torch::Tensor clip = transform_points(test::f64({0, 0, 0, 1, 0, 0}, {2, 3}),
                                              cam.view_projection().to(torch::kFloat64));
  const double f = 1.0 / std::tan(30.0 * M_PI / 180.0);
  EXPECT_NEAR((clip[0][0][0] / clip[0][0][3]).item<double>(), 0.0, 1e-6);
  EXPECT_NEAR((clip[0][1][0] / clip[0][1][3]).item<double>(), f / 10.0, 1e-6);
  EXPECT_NEAR(clip[0][0][3].item<double>(), 10.0, 1e-5);  // w = distance along the view axis
  EXPECT_NEAR((clip[1][0][0] / clip[1][0][3]).item<double>(), 0.0, 1e-6);
  EXPECT_THROW(orbit_eye({0.0, 90.0, 1.0}, {0, 0, 0}), Error);
}

TEST(ViewSampling, RangesAndDeterminism) {
  ViewSamplingParams p;
  p.azimuth_min_deg = -30;
  p.azimuth_max_deg = 60;
  p.elevation_min_deg = -10;
  p.elevation_max_deg = 5;
  p.distance_min = 70;
  p.distance_max = 100;
  ViewSampler a(p, 42), b(p, 42), c(p, 43);
  const auto va = a.sample(2000), vb = b.sample(2000), vc = c.sample(2000);
  double mean_az = 0;
  bool differs = false;
  for (size_t i = 0; i < va.size(); ++i) {
    EXPECT_EQ(va[i].azimuth_deg, vb[i].azimuth_deg);
    EXPECT_EQ(va[i].elevation_deg, vb[i].elevation_deg);
    EXPECT_EQ(va[i].distance, vb[i].distance);
    differs = differs || va[i].azimuth_deg != vc[i].azimuth_deg;
    EXPECT_GE(va[i].azimuth_deg, -30);
    EXPECT_LT(va[i].azimuth_deg, 60);
    EXPECT_GE(va[i].elevation_deg, -10);
    EXPECT_LT(va[i].elevation_deg, 5);
    EXPECT_GE(va[i].distance, 70);
    EXPECT_LT(va[i].distance, 100);
    mean_az += va[i].azimuth_deg / va.size();
  }
  EXPECT_TRUE(differs);
  EXPECT_NEAR(mean_az, 15.0, 2.0);  // uniform: mean 15, sd of the mean ~0.6
  int hist[16] = {0};
  for (int i = 0; i < 1600; ++i) ++hist[a.sample_index(16)];
  for (int h : hist) EXPECT_GT(h, 50);
  // The reference defaults.
  const ViewSamplingParams d;
  EXPECT_EQ(d.azimuth_min_deg, -45);
  EXPECT_EQ(d.azimuth_max_deg, 45);
  EXPECT_EQ(d.elevation_min_deg, -20);
  EXPECT_EQ(d.elevation_max_deg, 20);
  p.distance_min = 0;
  EXPECT_THROW(ViewSampler(p, 1), Error);
}

TEST(PromptSuffix, ReferenceThresholds) {
  EXPECT_EQ(prompt_suffix(0), ", front view");
  EXPECT_EQ(prompt_suffix(45), ", front view");
  EXPECT_EQ(prompt_suffix(45.001), ", side view");
  EXPECT_EQ(prompt_suffix(135), ", side view");
  EXPECT_EQ(prompt_suffix(135.001), ", back view");
  EXPECT_EQ(prompt_suffix(180), ", back view");
  EXPECT_EQ(prompt_suffix(224.999), ", back view");
  EXPECT_EQ(prompt_suffix(225), ", side view");
  EXPECT_EQ(prompt_suffix(314.999), ", side view");
  EXPECT_EQ(prompt_suffix(315), ", front view");
  EXPECT_EQ(prompt_suffix(360), ", front view");
  EXPECT_EQ(prompt_suffix(-45), ", front view");
  EXPECT_EQ(prompt_suffix(-46), ", side view");
  EXPECT_EQ(prompt_suffix(-180), ", back view");
  EXPECT_EQ(prompt_suffix(-1e-13), ", front view");
  EXPECT_EQ(prompt_suffix(405), ", front view");
  EXPECT_EQ(view_direction(90), ViewDirection::kSide);
  EXPECT_THROW(prompt_suffix(std::nan("")), Error);
}

}  // namespace
}  // namespace faceg2e::raster
