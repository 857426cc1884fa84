#include "core/face/atlas_seams.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <unordered_map>

#include "core/util/error.h"

namespace faceg2e::face {
namespace {

// One side of a cross-cell edge: the triangle, its UV indices at the edge's two vertices (in
// the order of the edge key) and the UV index of its third corner.
struct Side {
  int face = -1, ta = -1, tb = -1, tc = -1;
};

struct SeamEdge {
  Side a, b;
};

std::vector<SeamEdge> cross_cell_edges(const FaceModel& m, const UvAtlas& atlas) {
  std::unordered_map<std::uint64_t, std::vector<Side>> by_edge;
  by_edge.reserve(std::size_t(m.num_faces) * 2);
  for (int f = 0; f < m.num_faces; ++f) {
    if (!atlas.face_in_atlas[f]) continue;
    for (int k = 0; k < 3; ++k) {
      const int k1 = (k + 1) % 3, k2 = (k + 2) % 3;
      int va = m.faces[3 * f + k], vb = m.faces[3 * f + k1];
      int ta = m.faces_uv[3 * f + k], tb = m.faces_uv[3 * f + k1];
      if (va > vb) {
        std::swap(va, vb);
        std::swap(ta, tb);
      }
      const std::uint64_t key = (std::uint64_t(std::uint32_t(va)) << 32) | std::uint32_t(vb);
      by_edge[key].push_back({f, ta, tb, m.faces_uv[3 * f + k2]});
    }
  }
  std::vector<SeamEdge> out;
  for (const auto& [key, sides] : by_edge) {
    (void)key;
    for (std::size_t i = 0; i < sides.size(); ++i)
      for (std::size_t j = i + 1; j < sides.size(); ++j)
        if (atlas.face_cell[sides[i].face] != atlas.face_cell[sides[j].face])
          out.push_back({sides[i], sides[j]});
  }
  // Deterministic order (the hash map's is not).
  std::sort(out.begin(), out.end(), [](const SeamEdge& x, const SeamEdge& y) {
    return std::tie(x.a.face, x.a.ta, x.b.face) < std::tie(y.a.face, y.a.ta, y.b.face);
  });
  return out;
}

// Bilinear sample at atlas coordinates (u, v) (OBJ convention) of a size x size image whose
// row 0 is v = 1; fetch(x, y, c) reads one channel of one texel.
template <typename Fetch>
std::array<double, 3> bilinear(double u, double v, int size, Fetch&& fetch) {
  const double x = u * size - 0.5, y = (1.0 - v) * size - 0.5;
  const int x0 = int(std::floor(x)), y0 = int(std::floor(y));
  const double fx = x - x0, fy = y - y0;
  std::array<double, 3> out{0, 0, 0};
  for (int dy = 0; dy < 2; ++dy)
    for (int dx = 0; dx < 2; ++dx) {
      const int xi = std::clamp(x0 + dx, 0, size - 1), yi = std::clamp(y0 + dy, 0, size - 1);
      const double w = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
      for (int c = 0; c < 3; ++c) out[c] += w * fetch(xi, yi, c);
    }
  return out;
}

// The point at parameter s along a side's edge, moved `inset` (atlas units) toward the third
// corner, at most a third of the way.
std::array<double, 2> inset_point(const UvAtlas& atlas, const Side& s, double t, double inset) {
  const float* uv = atlas.uvs.data();
  const double u = uv[2 * s.ta] + t * (uv[2 * s.tb] - uv[2 * s.ta]);
  const double v = uv[2 * s.ta + 1] + t * (uv[2 * s.tb + 1] - uv[2 * s.ta + 1]);
  const double du = uv[2 * s.tc] - u, dv = uv[2 * s.tc + 1] - v;
  const double len = std::hypot(du, dv);
  if (len <= 0) return {u, v};
  const double step = std::min(inset, len / 3.0);
  return {u + du / len * step, v + dv / len * step};
}

}  // namespace

SeamReport measure_atlas_seams(const FaceModel& m, const UvAtlas& atlas, const Image8& img,
                               const SeamMeasureParams& p) {
  if (img.width != img.height || img.width < 2 || (img.channels != 3 && img.channels != 4) ||
      img.pixels.size() != std::size_t(img.width) * img.height * img.channels)
    throw Error("measure_atlas_seams: the albedo must be a square RGB or RGBA image");
  if (p.samples_per_edge < 1) throw Error("measure_atlas_seams: samples_per_edge must be >= 1");
  const int size = img.width;
  auto fetch = [&](int x, int y, int c) {
    return double(img.pixels[(std::size_t(y) * size + x) * img.channels + c]);
  };
  const double inset = p.inset_texels / size;
  const auto edges = cross_cell_edges(m, atlas);
  SeamReport r;
  r.edges = edges.size();
  std::vector<double> per_sample;
  per_sample.reserve(edges.size() * p.samples_per_edge);
  double sum = 0;
  for (const SeamEdge& e : edges)
    for (int i = 0; i < p.samples_per_edge; ++i) {
      const double t = (i + 1.0) / (p.samples_per_edge + 1.0);
      const auto pa = inset_point(atlas, e.a, t, inset), pb = inset_point(atlas, e.b, t, inset);
      const auto ca = bilinear(pa[0], pa[1], size, fetch), cb = bilinear(pb[0], pb[1], size, fetch);
      double d = 0;
      for (int c = 0; c < 3; ++c) d += std::abs(ca[c] - cb[c]);
      per_sample.push_back(d / 3.0);
      sum += d / 3.0;
    }
  r.samples = per_sample.size();
  if (per_sample.empty()) return r;
  r.mean_abs = sum / double(per_sample.size());
  std::sort(per_sample.begin(), per_sample.end());
  r.max_abs = per_sample.back();
  r.p95_abs =
      per_sample[std::min(per_sample.size() - 1, std::size_t(0.95 * double(per_sample.size())))];
  return r;
}

void level_atlas_seams(const FaceModel& m, const UvAtlas& atlas, int size, std::vector<float>& rgb,
                       const SeamLevelParams& p) {
  FACEG2E_CHECK(rgb.size() == std::size_t(size) * size * 3, "level_atlas_seams: image size");
  const auto edges = cross_cell_edges(m, atlas);
  if (edges.empty()) return;
  auto fetch = [&](int x, int y, int c) {
    return double(rgb[(std::size_t(y) * size + x) * 3 + c]);
  };
  const double inset = p.sampling.inset_texels / size;
  const std::size_t T = std::size_t(m.num_uvs);

  // The colour each seam UV shows at its vertex (mean of the inset samples of its seam sides).
  std::vector<std::array<double, 3>> colour(T, {0, 0, 0});
  std::vector<int> count(T, 0);
  std::vector<int> vertex_of_uv(T, -1);
  auto add = [&](const Side& s, double t, int uv_index, int vertex) {
    const auto pt = inset_point(atlas, s, t, inset);
    const auto c = bilinear(pt[0], pt[1], size, fetch);
    for (int k = 0; k < 3; ++k) colour[uv_index][k] += c[k];
    ++count[uv_index];
    vertex_of_uv[uv_index] = vertex;
  };
  for (const SeamEdge& e : edges) {
    // The edge's vertices: any side's corners (same mesh vertices on both sides).
    int va = -1, vb = -1;
    for (int k = 0; k < 3; ++k) {
      if (m.faces_uv[3 * e.a.face + k] == e.a.ta) va = m.faces[3 * e.a.face + k];
      if (m.faces_uv[3 * e.a.face + k] == e.a.tb) vb = m.faces[3 * e.a.face + k];
    }
    for (const Side* s : {&e.a, &e.b}) {
      add(*s, 0.0, s->ta, va);
      add(*s, 1.0, s->tb, vb);
    }
  }
  // Target per vertex: the mean over its seam UVs (each UV weighted once).
  std::unordered_map<int, std::pair<std::array<double, 3>, int>> target;
  for (std::size_t t = 0; t < T; ++t) {
    if (!count[t]) continue;
    for (int k = 0; k < 3; ++k) colour[t][k] /= count[t];
    auto& acc = target[vertex_of_uv[t]];
    for (int k = 0; k < 3; ++k) acc.first[k] += colour[t][k];
    ++acc.second;
  }
  std::vector<std::array<float, 3>> offset(T, {0, 0, 0});
  std::vector<std::uint8_t> fixed(T, 0);
  for (std::size_t t = 0; t < T; ++t) {
    if (!count[t]) continue;
    const auto& acc = target[vertex_of_uv[t]];
    for (int k = 0; k < 3; ++k) offset[t][k] = float(acc.first[k] / acc.second - colour[t][k]);
    fixed[t] = 1;
  }

  // Fade the offsets out over the UV mesh (Jacobi steps, seam UVs held).
  std::vector<std::vector<int>> nbr(T);
  for (int f = 0; f < m.num_faces; ++f) {
    if (!atlas.face_in_atlas[f]) continue;
    for (int k = 0; k < 3; ++k) {
      const int a = m.faces_uv[3 * f + k], b = m.faces_uv[3 * f + (k + 1) % 3];
      nbr[a].push_back(b);
      nbr[b].push_back(a);
    }
  }
  for (auto& n : nbr) {
    std::sort(n.begin(), n.end());
    n.erase(std::unique(n.begin(), n.end()), n.end());
  }
  std::vector<std::array<float, 3>> next = offset;
  for (int it = 0; it < p.iterations; ++it) {
    for (std::size_t t = 0; t < T; ++t) {
      if (fixed[t] || nbr[t].empty()) continue;
      std::array<float, 3> s{0, 0, 0};
      for (int n : nbr[t])
        for (int k = 0; k < 3; ++k) s[k] += offset[n][k];
      for (int k = 0; k < 3; ++k) next[t][k] = p.keep * s[k] / float(nbr[t].size());
    }
    offset.swap(next);
    for (std::size_t t = 0; t < T; ++t)
      if (fixed[t]) next[t] = offset[t];
  }

  // Rasterise the offset field over the atlas triangles, then grow it into the gutters (inside
  // each cell only) so bilinear reads at island borders see corrected texels too.
  const std::size_t N = std::size_t(size) * size;
  std::vector<float> field(N * 3, 0.0f);
  std::vector<std::uint8_t> has(N, 0);
  for (int f = 0; f < m.num_faces; ++f) {
    if (!atlas.face_in_atlas[f]) continue;
    const int t0 = m.faces_uv[3 * f], t1 = m.faces_uv[3 * f + 1], t2 = m.faces_uv[3 * f + 2];
    bool any = false;
    for (int t : {t0, t1, t2})
      for (int k = 0; k < 3; ++k) any |= offset[t][k] != 0.0f;
    const float u[3] = {atlas.uvs[2 * t0], atlas.uvs[2 * t1], atlas.uvs[2 * t2]};
    const float v[3] = {atlas.uvs[2 * t0 + 1], atlas.uvs[2 * t1 + 1], atlas.uvs[2 * t2 + 1]};
    for_each_texel_in_triangle(u, v, size, [&](int x, int y, float b0, float b1, float b2) {
      const std::size_t i = std::size_t(y) * size + x;
      has[i] = 1;
      if (!any) return;
      for (int k = 0; k < 3; ++k)
        field[3 * i + k] = b0 * offset[t0][k] + b1 * offset[t1][k] + b2 * offset[t2][k];
    });
  }
  const auto cell = atlas_cell_map(atlas, size);
  for (int ring = 0; ring < p.dilate_texels; ++ring) {
    std::vector<std::uint8_t> grown = has;
    std::vector<float> out = field;
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        const std::size_t i = std::size_t(y) * size + x;
        if (has[i] || cell[i] < 0) continue;
        float s[3] = {0, 0, 0};
        int n = 0;
        const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int d = 0; d < 4; ++d) {
          const int xx = x + dx[d], yy = y + dy[d];
          if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
          const std::size_t j = std::size_t(yy) * size + xx;
          if (!has[j] || cell[j] != cell[i]) continue;
          for (int k = 0; k < 3; ++k) s[k] += field[3 * j + k];
          ++n;
        }
        if (!n) continue;
        for (int k = 0; k < 3; ++k) out[3 * i + k] = s[k] / n;
        grown[i] = 1;
      }
    has.swap(grown);
    field.swap(out);
  }
  for (std::size_t i = 0; i < N * 3; ++i) rgb[i] += field[i];
}

}  // namespace faceg2e::face
