// antialias_silhouettes: triangles against the background, judged by the exact covered area
// (shoelace formula, in pixels) and by finite differences.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "core/raster/antialias.h"
#include "core/raster/rasterize.h"
#include "core/util/error.h"
#include "tests/raster/raster_test_util.h"

namespace faceg2e::raster {
namespace {

constexpr int kSize = 48;

// A counter-clockwise triangle in NDC, well inside the image.
torch::Tensor random_triangle_clip(torch::Generator& gen) {
  for (;;) {
    torch::Tensor xy = torch::rand({3, 2}, gen, torch::kFloat64) * 1.4 - 0.7;
    auto a = xy.accessor<double, 2>();
    const double cross =
        (a[1][0] - a[0][0]) * (a[2][1] - a[0][1]) - (a[1][1] - a[0][1]) * (a[2][0] - a[0][0]);
    if (std::abs(cross) < 0.3) continue;  // not too thin
    if (cross < 0) xy = xy.index({torch::tensor({0, 2, 1})});
    return torch::cat({xy, torch::zeros({3, 1}, torch::kFloat64), torch::ones({3, 1}, torch::kFloat64)}, 1)
        .unsqueeze(0);  // [1, 3, 4]
  }
}

// Exact area in pixels of a triangle given in NDC.
double area_pixels(const torch::Tensor& clip) {
  const torch::Tensor c2 = clip.detach().squeeze(0).contiguous();
  auto c = c2.accessor<double, 2>();
  double s[3][2];
  for (int i = 0; i < 3; ++i) {
    const auto p = test::to_screen(&c[i][0], kSize, kSize);
    s[i][0] = p[0];
    s[i][1] = p[1];
  }
  return 0.5 * std::abs((s[1][0] - s[0][0]) * (s[2][1] - s[0][1]) -
                        (s[1][1] - s[0][1]) * (s[2][0] - s[0][0]));
}

struct Rendered {
  torch::Tensor raw, aa, tid;
};

// A white triangle on black, before and after antialiasing.
Rendered render_white(const torch::Tensor& clip) {
  RasterizeParams rp;
  rp.height = rp.width = kSize;
  const torch::Tensor tris = test::tris({0, 1, 2});
  const RasterOutput r = rasterize(clip.detach(), tris, rp);
  const torch::Tensor raw = (r.triangle_id >= 0).to(torch::kFloat64).unsqueeze(1);  // [1,1,H,W]
  return {raw, antialias_silhouettes(raw, clip, tris, r.triangle_id), r.triangle_id};
}

TEST(Antialias, CoveredAreaIsCloserToTheExactArea) {
  torch::Generator gen = at::detail::createCPUGenerator(7);
  double err_raw = 0, err_aa = 0;
  const int n = 24;
  for (int k = 0; k < n; ++k) {
    const torch::Tensor clip = random_triangle_clip(gen);
    const Rendered r = render_white(clip);
    const double exact = area_pixels(clip);
    err_raw += std::abs(r.raw.sum().item<double>() - exact);
    err_aa += std::abs(r.aa.sum().item<double>() - exact);
    // Only pixels next to the outline change.
    const torch::Tensor c = r.raw[0][0];
    torch::Tensor near = torch::zeros_like(c, torch::kBool);
    near.narrow(1, 0, kSize - 1) |= c.narrow(1, 0, kSize - 1) != c.narrow(1, 1, kSize - 1);
    near.narrow(1, 1, kSize - 1) |= c.narrow(1, 0, kSize - 1) != c.narrow(1, 1, kSize - 1);
    near.narrow(0, 0, kSize - 1) |= c.narrow(0, 0, kSize - 1) != c.narrow(0, 1, kSize - 1);
    near.narrow(0, 1, kSize - 1) |= c.narrow(0, 0, kSize - 1) != c.narrow(0, 1, kSize - 1);
    const torch::Tensor changed = (r.aa[0][0] - c).abs() > 0;
    EXPECT_FALSE((changed & ~near).any().item<bool>()) << "triangle " << k;
    EXPECT_TRUE(changed.any().item<bool>()) << "triangle " << k;
  }
  err_raw /= n;
  err_aa /= n;
  EXPECT_LT(err_aa, 0.5 * err_raw) << "mean |coverage - exact area|: raw " << err_raw << " px, antialiased "
                                   << err_aa << " px";
}

TEST(Antialias, GradientMatchesFiniteDifferences) {
  torch::Generator gen = at::detail::createCPUGenerator(11);
  const torch::Tensor weights = torch::rand({1, 1, kSize, kSize}, gen, torch::kFloat64);
  int checked = 0;
  for (int k = 0; k < 6; ++k) {
    const torch::Tensor clip0 = random_triangle_clip(gen);
    torch::Tensor clip = clip0.clone().requires_grad_(true);
    const Rendered r = render_white(clip);
    (r.aa * weights).sum().backward();
    const torch::Tensor grad = clip.grad();
    const double eps = 1e-5;
    for (int v = 0; v < 3; ++v)
      for (int d = 0; d < 2; ++d) {
        torch::Tensor cp = clip0.clone(), cm = clip0.clone();
        cp[0][v][d] += eps;
        cm[0][v][d] -= eps;
        const Rendered rp = render_white(cp), rm = render_white(cm);
        // A pixel centre crossed by the outline: the discrete part jumps, skip this coordinate.
        if (!torch::equal(rp.tid, r.tid) || !torch::equal(rm.tid, r.tid)) continue;
        const double fd = ((rp.aa * weights).sum().item<double>() - (rm.aa * weights).sum().item<double>()) /
                          (2 * eps);
        EXPECT_NEAR(grad[0][v][d].item<double>(), fd, 1e-5 * (1.0 + std::abs(fd)))
            << "triangle " << k << " vertex " << v << " axis " << d;
        ++checked;
      }
    // Depth and w do not move a w = 1, z = 0 outline in this pass.
    EXPECT_EQ(grad.select(2, 2).abs().max().item<double>(), 0.0);
  }
  EXPECT_GE(checked, 30);
}

TEST(Antialias, GrowingTheTriangleGrowsItsCoverageAtTheRightRate) {
  // Scaling about the centroid by s: area(s) = s^2 area(1), so d area / d s = 2 area at s = 1.
  // Raw coverage has no gradient at all; the antialiased one follows the exact rate.
  torch::Generator gen = at::detail::createCPUGenerator(5);
  for (int k = 0; k < 5; ++k) {
    const torch::Tensor clip0 = random_triangle_clip(gen);
    const torch::Tensor xy = clip0.index({torch::indexing::Slice(), torch::indexing::Slice(),
                                          torch::indexing::Slice(0, 2)});
    const torch::Tensor centroid = xy.mean(1, true);
    torch::Tensor s = torch::ones({}, torch::kFloat64).requires_grad_(true);
    const torch::Tensor scaled_xy = centroid + s * (xy - centroid);
    const torch::Tensor clip = torch::cat(
        {scaled_xy, clip0.index({torch::indexing::Slice(), torch::indexing::Slice(),
                                 torch::indexing::Slice(2, 4)})},
        2);
    const Rendered r = render_white(clip);
    r.aa.sum().backward();
    const double rate = 2.0 * area_pixels(clip0);
    EXPECT_NEAR(s.grad().item<double>(), rate, 0.15 * rate) << "triangle " << k;
  }
}

TEST(Antialias, ImageWithoutOutlineIsUnchanged) {
  // Background only, and a triangle covering the whole image: nothing to blend.
  const torch::Tensor img = torch::rand({1, 3, 8, 8}, torch::kFloat64);
  const torch::Tensor clip = test::f64({-3, -3, 0, 1, 3, -3, 0, 1, 0, 3, 0, 1}, {1, 3, 4});
  const torch::Tensor tris = test::tris({0, 1, 2});
  const torch::Tensor none = torch::full({1, 8, 8}, -1, torch::kInt32);
  const torch::Tensor all = torch::zeros({1, 8, 8}, torch::kInt32);
  EXPECT_TRUE(torch::equal(antialias_silhouettes(img, clip, tris, none), img));
  EXPECT_TRUE(torch::equal(antialias_silhouettes(img, clip, tris, all), img));
}

TEST(Antialias, BadShapesAreRejected) {
  const torch::Tensor img = torch::zeros({1, 3, 8, 8}, torch::kFloat64);
  const torch::Tensor clip = torch::zeros({1, 3, 4}, torch::kFloat64);
  const torch::Tensor tris = test::tris({0, 1, 2});
  const torch::Tensor tid = torch::full({1, 8, 8}, -1, torch::kInt32);
  EXPECT_THROW(antialias_silhouettes(img.squeeze(0), clip, tris, tid), Error);
  EXPECT_THROW(antialias_silhouettes(img, clip, tris, tid.narrow(1, 0, 4)), Error);
  EXPECT_THROW(antialias_silhouettes(img, clip.narrow(2, 0, 3), tris, tid), Error);
  EXPECT_THROW(antialias_silhouettes(img, clip, tris.view({1, 3}).narrow(1, 0, 2), tid), Error);
}

}  // namespace
}  // namespace faceg2e::raster
