#include "core/session/texture_padding.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace faceg2e::session {

std::size_t dilate_texture(Image8& img, const std::vector<std::uint8_t>& coverage,
                           const std::vector<std::int8_t>& cells, const PaddingParams& params) {
  const int w = img.width, h = img.height, ch = img.channels;
  const std::size_t n = std::size_t(w) * h;
  FACEG2E_CHECK(img.pixels.size() == n * ch, "dilate_texture: image size mismatch");
  FACEG2E_CHECK(coverage.size() == n, "dilate_texture: coverage size mismatch");
  FACEG2E_CHECK(cells.empty() || cells.size() == n, "dilate_texture: cell map size mismatch");
  std::vector<std::uint8_t> filled(coverage.begin(), coverage.end());
  std::vector<std::uint8_t> queued(n, 0);
  std::vector<std::uint32_t> sums(static_cast<std::size_t>(ch));
  auto same_cell = [&](std::size_t a, std::size_t b) {
    return cells.empty() || cells[a] == cells[b];
  };
  // Ring 1 candidates: unfilled neighbours of filled texels. Later rings only look around the
  // previous ring, so the cost follows the padded area, not the image size times rings.
  std::vector<std::size_t> frontier, last;
  for (std::size_t i = 0; i < n; ++i)
    if (filled[i]) last.push_back(i);
  std::size_t total = 0;
  for (int ring = 0; ring < params.rings && !last.empty(); ++ring) {
    frontier.clear();
    for (std::size_t i : last) {
      const int x = int(i % w), y = int(i / w);
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const std::size_t j = std::size_t(yy) * w + xx;
          if (filled[j] || queued[j] || !same_cell(i, j)) continue;
          queued[j] = 1;
          frontier.push_back(j);
        }
    }
    if (frontier.empty()) break;
    // Compute every new texel from the texels filled before this ring, then mark them: the
    // result does not depend on scan order.
    std::vector<std::uint8_t> values(frontier.size() * ch);
    for (std::size_t f = 0; f < frontier.size(); ++f) {
      const std::size_t i = frontier[f];
      const int x = int(i % w), y = int(i / w);
      std::fill(sums.begin(), sums.end(), 0u);
      std::uint32_t count = 0;
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx, yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const std::size_t j = std::size_t(yy) * w + xx;
          if (!filled[j] || !same_cell(i, j)) continue;
          for (int c = 0; c < ch; ++c) sums[c] += img.pixels[j * ch + c];
          ++count;
        }
      for (int c = 0; c < ch; ++c)
        values[f * ch + c] = static_cast<std::uint8_t>((sums[c] + count / 2) / count);
    }
    for (std::size_t f = 0; f < frontier.size(); ++f) {
      std::copy_n(&values[f * ch], ch, &img.pixels[frontier[f] * ch]);
      filled[frontier[f]] = 1;
    }
    total += frontier.size();
    last.swap(frontier);
  }
  return total;
}

Image8 resample_bilinear(const Image8& in, int size) {
  FACEG2E_CHECK(size > 0 && in.width > 0 && in.height > 0,
                "resample_bilinear: empty image or size");
  if (in.width == size && in.height == size) return in;
  Image8 out;
  out.width = out.height = size;
  out.channels = in.channels;
  out.pixels.resize(std::size_t(size) * size * in.channels);
  const int ch = in.channels;
  for (int y = 0; y < size; ++y) {
    const double sy = std::clamp((y + 0.5) * in.height / size - 0.5, 0.0, double(in.height - 1));
    const int y0 = int(sy), y1 = std::min(y0 + 1, in.height - 1);
    const double fy = sy - y0;
    for (int x = 0; x < size; ++x) {
      const double sx = std::clamp((x + 0.5) * in.width / size - 0.5, 0.0, double(in.width - 1));
      const int x0 = int(sx), x1 = std::min(x0 + 1, in.width - 1);
      const double fx = sx - x0;
      for (int c = 0; c < ch; ++c) {
        auto p = [&](int xx, int yy) {
          return double(in.pixels[(std::size_t(yy) * in.width + xx) * ch + c]);
        };
        const double v = (1 - fy) * ((1 - fx) * p(x0, y0) + fx * p(x1, y0)) +
                         fy * ((1 - fx) * p(x0, y1) + fx * p(x1, y1));
        out.pixels[(std::size_t(y) * size + x) * ch + c] =
            static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
      }
    }
  }
  return out;
}

}  // namespace faceg2e::session
