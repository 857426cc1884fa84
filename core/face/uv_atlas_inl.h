#pragma once
// Template body of for_each_texel_in_triangle (uv_atlas.h).
#include <algorithm>
#include <cmath>

namespace faceg2e::face {

template <typename Fn>
void for_each_texel_in_triangle(const float u[3], const float v[3], int size, Fn&& fn) {
  // Texel space: x = u*size, y = (1-v)*size; texel (x,y) has its centre at (x+0.5, y+0.5).
  double px[3], py[3];
  for (int i = 0; i < 3; ++i) {
    px[i] = double(u[i]) * size;
    py[i] = (1.0 - double(v[i])) * size;
  }
  const double area = (px[1] - px[0]) * (py[2] - py[0]) - (px[2] - px[0]) * (py[1] - py[0]);
  if (area == 0.0 || !std::isfinite(area)) return;
  const int x0 = std::max(0, int(std::floor(std::min({px[0], px[1], px[2]}) - 0.5)));
  const int x1 = std::min(size - 1, int(std::ceil(std::max({px[0], px[1], px[2]}) - 0.5)));
  const int y0 = std::max(0, int(std::floor(std::min({py[0], py[1], py[2]}) - 0.5)));
  const int y1 = std::min(size - 1, int(std::ceil(std::max({py[0], py[1], py[2]}) - 0.5)));
  for (int y = y0; y <= y1; ++y) {
    const double cy = y + 0.5;
    for (int x = x0; x <= x1; ++x) {
      const double cx = x + 0.5;
      const double w0 = ((px[1] - cx) * (py[2] - cy) - (px[2] - cx) * (py[1] - cy)) / area;
      const double w1 = ((px[2] - cx) * (py[0] - cy) - (px[0] - cx) * (py[2] - cy)) / area;
      const double w2 = 1.0 - w0 - w1;
      // Small negative tolerance: texels exactly on a shared edge belong to both triangles.
      constexpr double kEdge = -1e-9;
      if (w0 >= kEdge && w1 >= kEdge && w2 >= kEdge) fn(x, y, float(w0), float(w1), float(w2));
    }
  }
}

}  // namespace faceg2e::face
