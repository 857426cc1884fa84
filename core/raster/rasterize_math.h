#pragma once
// The arithmetic of one triangle's coverage and depth, shared verbatim by the CPU backend
// (rasterize_cpu.cpp) and the CUDA kernel (rasterize_cuda.cu) so that both give bit-identical
// results. Plain C++ (no torch, no std:: calls that CUDA lacks); host/device when compiled by
// nvcc. The conventions are documented in rasterize.h.
//
// Determinism: coverage is decided in exact 64-bit integer arithmetic on snapped positions; the
// depth is one fixed sequence of IEEE double operations (the CUDA object is compiled with
// -fmad=false and the CPU object with -ffp-contract=off, so no fused multiply-adds change the
// rounding) converted to float with round-to-nearest.
#include <cstdint>

#if defined(__CUDACC__)
#define FACEG2E_HD __host__ __device__ __forceinline__
#else
#define FACEG2E_HD inline
#endif

namespace faceg2e::raster::detail {

// Sub-pixel precision of the snapped screen positions: 1/256 pixel.
constexpr int kSubpixelBits = 8;
constexpr long long kSubpixelScale = 1LL << kSubpixelBits;
constexpr long long kHalfPixel = kSubpixelScale / 2;
// Largest |screen coordinate| in pixels the integer edge functions stay exact for (products of
// two 31-bit differences, summed, fit in 63 bits).
constexpr double kMaxScreenPixels = 4194304.0;  // 2^22

// Cull codes passed to the CUDA launcher as int (the enum lives in the torch-side header).
constexpr int kCullNone = 0;
constexpr int kCullBack = 1;
constexpr int kCullFront = 2;

// Packed z-buffer entry: float depth bits (depth >= 0, so its bits order like the value) in the
// high word, triangle id in the low word. The smallest key wins: nearer first, then lower id.
constexpr unsigned long long kEmptyKey = ~0ULL;

struct TriangleSetup {
  long long x[3], y[3];  // snapped screen positions (fixed point, y down), counter-clockwise on
                         // screen after normalisation (area > 0)
  double depth[3];       // window depth 0.5 z/w + 0.5 per vertex, in the normalised order
  long long area;        // twice the signed area in fixed point squared units, > 0
  bool top_left[3];      // edge i (opposite vertex i) is a top or left edge
  int col_min, col_max, row_min, row_max;  // pixel bounding box clipped to the image
};

FACEG2E_HD long long floor_div(long long a, long long b) {
  // b > 0
  long long q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

FACEG2E_HD long long snap(double v) {
  // floor(v + 0.5) without calling floor(), identical on host and device.
  double s = v * static_cast<double>(kSubpixelScale) + 0.5;
  long long t = static_cast<long long>(s);  // truncates toward zero
  if (static_cast<double>(t) > s) --t;
  return t;
}

FACEG2E_HD long long edge_function(long long ax, long long ay, long long bx, long long by,
                                   long long px, long long py) {
  return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

// Top-left rule in y-down screen space for an edge a -> b of a triangle with positive area
// (interior where edge_function > 0): a top edge is horizontal with the interior below (dx > 0),
// a left edge goes up the screen (dy < 0).
FACEG2E_HD bool is_top_left(long long ax, long long ay, long long bx, long long by) {
  long long dx = bx - ax, dy = by - ay;
  return (dy == 0 && dx > 0) || dy < 0;
}

// One vertex projected to the snapped screen grid. Projection is per vertex, so the CPU can do
// it once per vertex and the GPU once per triangle corner with identical results.
struct ProjectedVertex {
  long long x, y;  // fixed-point screen position (y down)
  double depth;    // window depth 0.5 z/w + 0.5
  bool valid;      // w > w_epsilon, inside the guard band, finite
};

FACEG2E_HD ProjectedVertex project_vertex(const double clip[4], int width, int height,
                                          double w_epsilon, double guard_band) {
  ProjectedVertex p;
  p.x = p.y = 0;
  p.depth = 0.0;
  p.valid = false;
  const double w = clip[3];
  if (!(w > w_epsilon)) return p;  // also rejects NaN
  const double nx = clip[0] / w, ny = clip[1] / w, nz = clip[2] / w;
  if (!(nx >= -guard_band && nx <= guard_band && ny >= -guard_band && ny <= guard_band)) return p;
  if (!(nz == nz)) return p;
  p.x = snap((nx + 1.0) * 0.5 * static_cast<double>(width));
  p.y = snap((1.0 - ny) * 0.5 * static_cast<double>(height));
  p.depth = 0.5 * nz + 0.5;
  p.valid = true;
  return p;
}

// Returns false when the triangle draws nothing: a vertex that failed projection (w at or below
// w_epsilon, beyond the guard band), zero area, culled, or a bounding box that misses every pixel
// centre.
FACEG2E_HD bool setup_projected_triangle(const ProjectedVertex v[3], int width, int height,
                                         int cull, TriangleSetup* out) {
  if (!v[0].valid || !v[1].valid || !v[2].valid) return false;
  long long sx[3] = {v[0].x, v[1].x, v[2].x}, sy[3] = {v[0].y, v[1].y, v[2].y};
  double d[3] = {v[0].depth, v[1].depth, v[2].depth};
  long long area = edge_function(sx[0], sy[0], sx[1], sy[1], sx[2], sy[2]);
  if (area == 0) return false;
  // In y-down screen space a triangle that is counter-clockwise in NDC (OpenGL front face) has
  // negative area.
  bool front = area < 0;
  if (cull == kCullBack && !front) return false;
  if (cull == kCullFront && front) return false;
  int order[3] = {0, 1, 2};
  if (area < 0) {
    order[1] = 2;
    order[2] = 1;
    area = -area;
  }
  for (int i = 0; i < 3; ++i) {
    out->x[i] = sx[order[i]];
    out->y[i] = sy[order[i]];
    out->depth[i] = d[order[i]];
  }
  out->area = area;
  for (int i = 0; i < 3; ++i) {
    int j = (i + 1) % 3, k = (i + 2) % 3;
    out->top_left[i] = is_top_left(out->x[j], out->y[j], out->x[k], out->y[k]);
  }
  long long xmin = out->x[0], xmax = out->x[0], ymin = out->y[0], ymax = out->y[0];
  for (int i = 1; i < 3; ++i) {
    xmin = out->x[i] < xmin ? out->x[i] : xmin;
    xmax = out->x[i] > xmax ? out->x[i] : xmax;
    ymin = out->y[i] < ymin ? out->y[i] : ymin;
    ymax = out->y[i] > ymax ? out->y[i] : ymax;
  }
  // Pixel c has its sample at c * scale + half; keep the columns whose sample lies in [min, max].
  long long c0 = floor_div(xmin - kHalfPixel + kSubpixelScale - 1, kSubpixelScale);
  long long c1 = floor_div(xmax - kHalfPixel, kSubpixelScale);
  long long r0 = floor_div(ymin - kHalfPixel + kSubpixelScale - 1, kSubpixelScale);
  long long r1 = floor_div(ymax - kHalfPixel, kSubpixelScale);
  if (c0 < 0) c0 = 0;
  if (r0 < 0) r0 = 0;
  if (c1 > width - 1) c1 = width - 1;
  if (r1 > height - 1) r1 = height - 1;
  if (c0 > c1 || r0 > r1) return false;
  out->col_min = static_cast<int>(c0);
  out->col_max = static_cast<int>(c1);
  out->row_min = static_cast<int>(r0);
  out->row_max = static_cast<int>(r1);
  return true;
}

// clip: the three vertices' (x, y, z, w); see setup_projected_triangle.
FACEG2E_HD bool setup_triangle(const double clip[3][4], int width, int height, int cull,
                               double w_epsilon, double guard_band, TriangleSetup* out) {
  ProjectedVertex v[3];
  for (int i = 0; i < 3; ++i) v[i] = project_vertex(clip[i], width, height, w_epsilon, guard_band);
  return setup_projected_triangle(v, width, height, cull, out);
}

// Window depth from the three edge values of a covered sample (one fixed sequence of double
// operations). Returns false when the depth is clipped by the near/far planes.
FACEG2E_HD bool depth_from_edges(const TriangleSetup& t, long long e0, long long e1, long long e2,
                                 float* depth_out) {
  double num = static_cast<double>(e0) * t.depth[0];
  num = num + static_cast<double>(e1) * t.depth[1];
  num = num + static_cast<double>(e2) * t.depth[2];
  double d = num / static_cast<double>(t.area);
  if (!(d >= 0.0 && d <= 1.0)) return false;
  float f = static_cast<float>(d);
  if (f == 0.0f) f = 0.0f;  // no negative zero: its bits would sort after every other depth
  *depth_out = f;
  return true;
}

// Coverage and depth of pixel (col, row). Returns false when the sample is outside the triangle
// (fill rule) or its depth is clipped by the near/far planes; else writes the window depth.
// (The CPU backend evaluates the same integers incrementally; integer steps are exact.)
FACEG2E_HD bool sample_triangle(const TriangleSetup& t, int col, int row, float* depth_out) {
  long long px = static_cast<long long>(col) * kSubpixelScale + kHalfPixel;
  long long py = static_cast<long long>(row) * kSubpixelScale + kHalfPixel;
  long long e[3];
  for (int i = 0; i < 3; ++i) {
    int j = (i + 1) % 3, k = (i + 2) % 3;
    e[i] = edge_function(t.x[j], t.y[j], t.x[k], t.y[k], px, py);
    if (e[i] < 0 || (e[i] == 0 && !t.top_left[i])) return false;
  }
  return depth_from_edges(t, e[0], e[1], e[2], depth_out);
}

FACEG2E_HD unsigned long long pack_key(float depth, int triangle) {
  union {
    float f;
    unsigned int u;
  } bits;
  bits.f = depth;
  return (static_cast<unsigned long long>(bits.u) << 32) |
         static_cast<unsigned long long>(static_cast<unsigned int>(triangle));
}

FACEG2E_HD void unpack_key(unsigned long long key, int* triangle, float* depth) {
  if (key == kEmptyKey) {
    *triangle = -1;
    *depth = 1.0f;
    return;
  }
  union {
    float f;
    unsigned int u;
  } bits;
  bits.u = static_cast<unsigned int>(key >> 32);
  *depth = bits.f;
  *triangle = static_cast<int>(static_cast<unsigned int>(key & 0xffffffffULL));
}

}  // namespace faceg2e::raster::detail
