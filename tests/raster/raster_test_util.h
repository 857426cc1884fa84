#pragma once
// Small helpers shared by the raster tests: meshes and independent (float64, scalar) reference
// computations.
#include <torch/torch.h>

#include <array>
#include <cmath>
#include <vector>

namespace faceg2e::raster::test {

// Pixel centre of (row, col) in NDC, written out independently of the library.
inline double ndc_x(int col, int width) { return (2.0 * col + 1.0) / width - 1.0; }
inline double ndc_y(int row, int height) { return 1.0 - (2.0 * row + 1.0) / height; }

// Screen-space (pixels, y down) position of a clip-space vertex.
inline std::array<double, 2> to_screen(const double* clip, int width, int height) {
  const double x = clip[0] / clip[3], y = clip[1] / clip[3];
  return {(x + 1.0) * 0.5 * width, (1.0 - y) * 0.5 * height};
}

inline torch::Tensor f64(std::vector<double> v, std::vector<int64_t> shape) {
  return torch::tensor(v, torch::kFloat64).reshape(shape);
}

inline torch::Tensor tris(std::vector<int32_t> v) {
  return torch::tensor(v, torch::kInt32).reshape({-1, 3});
}

// A regular grid of (n + 1)^2 vertices over [-extent, extent]^2 at z, with 2 n^2 triangles,
// counter-clockwise seen from +z. Interior vertices jittered by up to `jitter` of a cell with a
// fixed seed.
inline void grid_mesh(int n, double extent, double z, double jitter, torch::Tensor* positions,
                      torch::Tensor* triangles) {
  torch::manual_seed(1234);
  std::vector<double> p;
  const double cell = 2.0 * extent / n;
  const torch::Tensor noise = torch::rand({(n + 1) * (n + 1), 2}, torch::kFloat64) - 0.5;
  auto nz = noise.accessor<double, 2>();
  for (int j = 0; j <= n; ++j)
    for (int i = 0; i <= n; ++i) {
      double x = -extent + i * cell, y = -extent + j * cell;
      if (i > 0 && i < n && j > 0 && j < n) {
        x += jitter * cell * nz[j * (n + 1) + i][0];
        y += jitter * cell * nz[j * (n + 1) + i][1];
      }
      p.insert(p.end(), {x, y, z});
    }
  std::vector<int32_t> t;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const int a = j * (n + 1) + i, b = a + 1, c = a + n + 1, d = c + 1;
      t.insert(t.end(), {a, b, d, a, d, c});
    }
  *positions = f64(p, {-1, 3});
  *triangles = tris(t);
}

}  // namespace faceg2e::raster::test
