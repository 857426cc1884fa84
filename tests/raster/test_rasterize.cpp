// Rasterizer correctness against independent per-pixel computations.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/raster/rasterize.h"
#include "core/util/error.h"
#include "tests/raster/raster_test_util.h"

namespace faceg2e::raster {
namespace {

using test::f64;
using test::tris;

// Per-pixel brute force over all triangles in float64, without snapping: returns, per pixel, the
// nearest triangle whose interior robustly contains the sample, or -2 where the answer is
// ambiguous (a sample within `margin` pixels of some triangle's edge, or two depths too close).
struct BruteForce {
  std::vector<int> id;
  std::vector<double> depth;
};

BruteForce brute_force(const torch::Tensor& clip, const torch::Tensor& triangles, int height,
                       int width, double margin) {
  auto c = clip.accessor<double, 2>();
  auto t = triangles.accessor<int32_t, 2>();
  BruteForce out;
  out.id.assign(static_cast<size_t>(height) * width, -1);
  out.depth.assign(static_cast<size_t>(height) * width, 1.0);
  for (int r = 0; r < height; ++r)
    for (int col = 0; col < width; ++col) {
      const double px = col + 0.5, py = r + 0.5;
      int best = -1;
      double best_d = 2.0, second_d = 2.0;
      bool ambiguous = false;
      for (int f = 0; f < triangles.size(0); ++f) {
        double sx[3], sy[3], d[3];
        for (int i = 0; i < 3; ++i) {
          const int v = t[f][i];
          const double w = c[v][3];
          sx[i] = (c[v][0] / w + 1.0) * 0.5 * width;
          sy[i] = (1.0 - c[v][1] / w) * 0.5 * height;
          d[i] = 0.5 * c[v][2] / w + 0.5;
        }
        const double area = (sx[1] - sx[0]) * (sy[2] - sy[0]) - (sy[1] - sy[0]) * (sx[2] - sx[0]);
        if (std::abs(area) < 1e-9) continue;
        double lambda[3];
        bool inside = true, outside = false;
        for (int i = 0; i < 3; ++i) {
          const int j = (i + 1) % 3, k = (i + 2) % 3;
          const double e = ((sx[k] - sx[j]) * (py - sy[j]) - (sy[k] - sy[j]) * (px - sx[j])) /
                           area;  // barycentric of vertex i
          lambda[i] = e;
          const double edge_len = std::hypot(sx[k] - sx[j], sy[k] - sy[j]);
          const double dist = e * std::abs(area) / edge_len;  // signed distance in pixels
          if (dist < margin) inside = false;
          if (dist < -margin) outside = true;
        }
        if (!inside && !outside) {
          ambiguous = true;
          continue;
        }
        if (!inside) continue;
        const double depth = lambda[0] * d[0] + lambda[1] * d[1] + lambda[2] * d[2];
        if (depth < best_d) {
          second_d = best_d;
          best_d = depth;
          best = f;
        } else if (depth < second_d) {
          second_d = depth;
        }
      }
      const size_t o = static_cast<size_t>(r) * width + col;
      if (ambiguous || (best >= 0 && second_d - best_d < 2e-3)) {
        out.id[o] = -2;
      } else {
        out.id[o] = best;
        out.depth[o] = best >= 0 ? best_d : 1.0;
      }
    }
  return out;
}

RasterizeParams params_hw(int h, int w) {
  RasterizeParams p;
  p.height = h;
  p.width = w;
  return p;
}

TEST(Rasterize, MatchesBruteForceOnRandomTriangles) {
  torch::manual_seed(7);
  const int height = 29, width = 37, num_tris = 25;
  // Random triangles in front of the camera: NDC x, y in [-1.2, 1.2], z/w in [-0.8, 0.8],
  // w in [0.5, 2].
  const torch::Tensor ndc = torch::rand({num_tris * 3, 3}, torch::kFloat64) * 2.0 - 1.0;
  const torch::Tensor w = torch::rand({num_tris * 3, 1}, torch::kFloat64) * 1.5 + 0.5;
  const torch::Tensor scaled = ndc * torch::tensor({1.2, 1.2, 0.8}, torch::kFloat64);
  const torch::Tensor clip = torch::cat({scaled * w, w}, 1);
  const torch::Tensor triangles = torch::arange(num_tris * 3, torch::kInt32).reshape({-1, 3});
  const RasterOutput out = rasterize(clip, triangles, params_hw(height, width));
  ASSERT_EQ(out.triangle_id.sizes(), (std::vector<int64_t>{1, height, width}));
  const BruteForce ref = brute_force(clip, triangles, height, width, 0.02);
  auto ids = out.triangle_id.accessor<int32_t, 3>();
  auto depth = out.depth.accessor<float, 3>();
  int compared = 0, covered = 0;
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      const int expect = ref.id[static_cast<size_t>(r) * width + c];
      if (expect == -2) continue;
      ++compared;
      covered += expect >= 0;
      ASSERT_EQ(ids[0][r][c], expect)
          << "pixel row " << r << " col " << c << " depth " << depth[0][r][c] << " expected depth "
          << ref.depth[static_cast<size_t>(r) * width + c];
      EXPECT_NEAR(depth[0][r][c], ref.depth[static_cast<size_t>(r) * width + c], 2e-3);
    }
  EXPECT_GT(compared, height * width * 3 / 4);
  EXPECT_GT(covered, 100);
}

// A fan of 8 triangles around a pixel centre whose edges run horizontally, vertically and
// diagonally through pixel centres: every sample inside the fan lies on at most one or more
// shared edges, and must be covered by exactly one triangle.
TEST(Rasterize, SharedEdgesAreWatertight) {
  const int size = 32;
  auto clip_of = [&](double sx, double sy) {  // pixel coordinates -> clip with w = 1
    return std::vector<double>{2.0 * sx / size - 1.0, 1.0 - 2.0 * sy / size, 0.0, 1.0};
  };
  const double cx = 16.5, cy = 16.5, r = 8.0;
  std::vector<double> v = clip_of(cx, cy);
  const double ring[8][2] = {{r, 0}, {r, r}, {0, r}, {-r, r}, {-r, 0}, {-r, -r}, {0, -r}, {r, -r}};
  for (auto& o : ring) {
    auto p = clip_of(cx + o[0], cy + o[1]);
    v.insert(v.end(), p.begin(), p.end());
  }
  std::vector<int32_t> t;
  for (int i = 0; i < 8; ++i) {
    // Mixed winding on purpose: coverage must not depend on it.
    if (i % 2 == 0)
      t.insert(t.end(), {0, 1 + i, 1 + (i + 1) % 8});
    else
      t.insert(t.end(), {0, 1 + (i + 1) % 8, 1 + i});
  }
  const torch::Tensor clip = f64(v, {-1, 4});
  const torch::Tensor triangles = tris(t);
  torch::Tensor count = torch::zeros({size, size}, torch::kInt32);
  for (int f = 0; f < 8; ++f) {
    torch::Tensor mask = torch::zeros({8}, torch::kBool);
    mask[f] = true;
    const RasterOutput out = rasterize(clip, triangles, params_hw(size, size), mask);
    count += out.triangle_id[0].eq(f).to(torch::kInt32);
  }
  // Pixels whose centre is strictly inside the fan's outer square.
  auto cnt = count.accessor<int32_t, 2>();
  for (int row = 0; row < size; ++row)
    for (int col = 0; col < size; ++col) {
      const double px = col + 0.5, py = row + 0.5;
      const bool interior = std::abs(px - cx) < r && std::abs(py - cy) < r;
      if (interior) {
        EXPECT_EQ(cnt[row][col], 1) << "row " << row << " col " << col;
      }
      if (std::abs(px - cx) > r || std::abs(py - cy) > r) {
        EXPECT_EQ(cnt[row][col], 0);
      }
    }
  // And together, in one pass, the fan has no hole.
  const RasterOutput all = rasterize(clip, triangles, params_hw(size, size));
  const torch::Tensor inner = all.triangle_id[0].slice(0, 9, 24).slice(1, 9, 24);
  EXPECT_TRUE(inner.ge(0).all().item<bool>());
}

TEST(Rasterize, JitteredGridCoversEachPixelOnce) {
  torch::Tensor pos, triangles;
  test::grid_mesh(7, 0.8, 0.0, 0.6, &pos, &triangles);
  const torch::Tensor clip = torch::cat({pos, torch::ones({pos.size(0), 1}, torch::kFloat64)}, 1);
  const int size = 48;
  torch::Tensor count = torch::zeros({size, size}, torch::kInt32);
  const int64_t num_tris = triangles.size(0);
  for (int64_t f = 0; f < num_tris; ++f) {
    torch::Tensor mask = torch::zeros({num_tris}, torch::kBool);
    mask[f] = true;
    count += rasterize(clip, triangles, params_hw(size, size), mask)
                 .triangle_id[0]
                 .ge(0)
                 .to(torch::kInt32);
  }
  // The grid spans NDC [-0.8, 0.8]: pixel centres inside it are covered once, outside never.
  auto cnt = count.accessor<int32_t, 2>();
  for (int row = 0; row < size; ++row)
    for (int col = 0; col < size; ++col) {
      const double x = test::ndc_x(col, size), y = test::ndc_y(row, size);
      if (std::abs(x) < 0.79 && std::abs(y) < 0.79) {
        EXPECT_EQ(cnt[row][col], 1);
      }
      if (std::abs(x) > 0.81 || std::abs(y) > 0.81) {
        EXPECT_EQ(cnt[row][col], 0);
      }
    }
}

TEST(Rasterize, DepthTestKeepsTheNearerTriangle) {
  // Two full-screen-ish triangles; the second is nearer (smaller z/w). Order must not matter.
  const std::vector<double> far_tri = {-1, -1, 0.5, 1, 3, -1, 0.5, 1, -1, 3, 0.5, 1};
  const std::vector<double> near_tri = {-2, -2, -0.5, 2, 6, -2, -0.5, 2, -2, 6, -0.5, 2};
  for (int order = 0; order < 2; ++order) {
    std::vector<double> v = order == 0 ? far_tri : near_tri;
    const std::vector<double>& second = order == 0 ? near_tri : far_tri;
    v.insert(v.end(), second.begin(), second.end());
    const RasterOutput out = rasterize(f64(v, {6, 4}), tris({0, 1, 2, 3, 4, 5}), params_hw(8, 8));
    const int near_id = order == 0 ? 1 : 0;
    EXPECT_TRUE(out.triangle_id.eq(near_id).all().item<bool>());
    // Window depth of z/w = -0.25 is 0.375 (the near triangle has z/w = -0.5 / 2).
    EXPECT_TRUE(torch::allclose(out.depth, torch::full_like(out.depth, 0.375)));
  }
}

TEST(Rasterize, BackgroundIsMinusOneWithDepthOne) {
  const RasterOutput out = rasterize(f64({0.5, 0.5, 0, 1, 0.9, 0.5, 0, 1, 0.5, 0.9, 0, 1}, {3, 4}),
                                     tris({0, 1, 2}), params_hw(16, 16));
  EXPECT_EQ(out.triangle_id[0][15][0].item<int>(), -1);
  EXPECT_EQ(out.depth[0][15][0].item<float>(), 1.0f);
  EXPECT_GT(out.triangle_id.eq(0).sum().item<int64_t>(), 0);
  EXPECT_LT(out.triangle_id.eq(0).sum().item<int64_t>(), 16);
  // Coverage sits in the top right (NDC y up, row 0 = top).
  EXPECT_EQ(out.triangle_id[0][3][12].item<int>(), 0);
}

TEST(Rasterize, NearPlaneCullingAndMask) {
  const std::vector<double> front = {-1, -1, 0, 1, 1, -1, 0, 1, -1, 1, 0, 1};  // CCW in NDC
  RasterizeParams p = params_hw(8, 8);
  // A vertex with w <= epsilon rejects the whole triangle.
  std::vector<double> behind = front;
  behind[11] = 0.0;
  EXPECT_TRUE(
      rasterize(f64(behind, {3, 4}), tris({0, 1, 2}), p).triangle_id.eq(-1).all().item<bool>());
  // Back-face culling: CCW is front.
  p.cull = CullMode::kBack;
  EXPECT_GT(
      rasterize(f64(front, {3, 4}), tris({0, 1, 2}), p).triangle_id.eq(0).sum().item<int64_t>(), 0);
  EXPECT_TRUE(
      rasterize(f64(front, {3, 4}), tris({0, 2, 1}), p).triangle_id.eq(-1).all().item<bool>());
  p.cull = CullMode::kFront;
  EXPECT_TRUE(
      rasterize(f64(front, {3, 4}), tris({0, 1, 2}), p).triangle_id.eq(-1).all().item<bool>());
  // Mask leaves triangles out.
  p.cull = CullMode::kNone;
  const torch::Tensor mask = torch::tensor({0}, torch::kUInt8);
  EXPECT_TRUE(rasterize(f64(front, {3, 4}), tris({0, 1, 2}), p, mask)
                  .triangle_id.eq(-1)
                  .all()
                  .item<bool>());
  // Depth outside [0, 1] (beyond the far plane) is clipped per sample.
  std::vector<double> beyond = front;
  for (int i = 0; i < 3; ++i) beyond[i * 4 + 2] = 1.5;
  EXPECT_TRUE(
      rasterize(f64(beyond, {3, 4}), tris({0, 1, 2}), p).triangle_id.eq(-1).all().item<bool>());
}

TEST(Rasterize, BatchThreadsAndDtypesAgree) {
  torch::manual_seed(3);
  torch::Tensor pos, triangles;
  test::grid_mesh(6, 0.9, 0.0, 0.4, &pos, &triangles);
  const int64_t v = pos.size(0);
  std::vector<torch::Tensor> clips;
  for (int b = 0; b < 3; ++b) {
    torch::Tensor p = pos.clone();
    p.select(1, 2).copy_(torch::rand({v}, torch::kFloat64) - 0.5);
    clips.push_back(torch::cat({p * (1.0 + b), torch::full({v, 1}, 1.0 + b, torch::kFloat64)}, 1));
  }
  const torch::Tensor batch = torch::stack(clips).to(torch::kFloat32);
  RasterizeParams p = params_hw(40, 52);
  p.num_threads = 1;
  const RasterOutput one = rasterize(batch, triangles, p);
  p.num_threads = 2;
  const RasterOutput two = rasterize(batch, triangles.to(torch::kInt64), p);
  EXPECT_TRUE(one.triangle_id.equal(two.triangle_id));
  EXPECT_TRUE(one.depth.equal(two.depth));
  for (int b = 0; b < 3; ++b) {
    const RasterOutput single = rasterize(batch[b].to(torch::kFloat64), triangles, p);
    EXPECT_TRUE(single.triangle_id[0].equal(one.triangle_id[b]));
    EXPECT_TRUE(single.depth[0].equal(one.depth[b]));
  }
}

TEST(Rasterize, RejectsBadInput) {
  const torch::Tensor clip = f64({0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1}, {3, 4});
  const RasterizeParams p = params_hw(4, 4);
  EXPECT_THROW(rasterize(clip.to(torch::kInt32), tris({0, 1, 2}), p), Error);
  EXPECT_THROW(rasterize(clip.narrow(1, 0, 3), tris({0, 1, 2}), p), Error);
  EXPECT_THROW(rasterize(clip, tris({0, 1, 3}), p), Error);
  EXPECT_THROW(rasterize(clip, tris({0, 1, -1}), p), Error);
  EXPECT_THROW(rasterize(clip, tris({0, 1, 2}).to(torch::kFloat32), p), Error);
  EXPECT_THROW(rasterize(clip, torch::zeros({1, 4}, torch::kInt32), p), Error);
  EXPECT_THROW(rasterize(clip, tris({0, 1, 2}), p, torch::ones({2}, torch::kBool)), Error);
  RasterizeParams bad = p;
  bad.height = 0;
  EXPECT_THROW(rasterize(clip, tris({0, 1, 2}), bad), Error);
  bad = p;
  bad.w_epsilon = 0.0;
  EXPECT_THROW(rasterize(clip, tris({0, 1, 2}), bad), Error);
  bad = p;
  bad.backend = RasterBackend::kCuda;
  EXPECT_THROW(rasterize(clip, tris({0, 1, 2}), bad), Error);
  // Non-contiguous input is fine.
  const torch::Tensor wide = torch::zeros({3, 8}, torch::kFloat64);
  wide.narrow(1, 0, 4).copy_(clip);
  EXPECT_NO_THROW(rasterize(wide.narrow(1, 0, 4), tris({0, 1, 2}), p));
}

TEST(Rasterize, CudaMatchesCpu) {
  if (!rasterize_cuda_available()) GTEST_SKIP() << "no CUDA rasterizer in this build/machine";
  torch::manual_seed(11);
  const int num_tris = 400;
  const torch::Tensor ndc = torch::rand({num_tris * 3, 3}, torch::kFloat64) * 2.0 - 1.0;
  const torch::Tensor w = torch::rand({num_tris * 3, 1}, torch::kFloat64) * 1.5 + 0.5;
  const torch::Tensor clip = torch::cat({ndc * w, w}, 1).to(torch::kFloat32);
  const torch::Tensor triangles = torch::arange(num_tris * 3, torch::kInt32).reshape({-1, 3});
  const RasterOutput cpu = rasterize(clip, triangles, params_hw(123, 97));
  const RasterOutput gpu = rasterize(clip.cuda(), triangles.cuda(), params_hw(123, 97));
  EXPECT_TRUE(cpu.triangle_id.equal(gpu.triangle_id.cpu()));
  EXPECT_TRUE(cpu.depth.equal(gpu.depth.cpu()));
}

}  // namespace
}  // namespace faceg2e::raster
