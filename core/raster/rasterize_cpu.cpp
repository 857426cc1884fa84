#include "core/raster/rasterize_cpu.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "core/raster/rasterize_math.h"

namespace faceg2e::raster::detail {
namespace {

// Tiles of 32 x 32 pixels: small enough that a 512^2 image gives 256 tiles to balance over the
// threads, large enough that most of a face's small triangles touch a single tile.
constexpr int kTileSize = 32;

template <typename Fn>
void run_threads(int num_threads, Fn&& fn) {
  if (num_threads <= 1) {
    fn(0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(num_threads - 1);
  for (int t = 1; t < num_threads; ++t) pool.emplace_back([&fn, t] { fn(t); });
  fn(0);
  for (auto& th : pool) th.join();
}

struct BatchItemRaster {
  const CpuRasterArgs& args;
  std::vector<ProjectedVertex> projected;
  std::vector<TriangleSetup> setups;
  std::vector<std::uint8_t> valid;
  std::vector<int> bin_start;  // tiles + 1 offsets into bin_items
  std::vector<int> bin_items;  // triangle ids, ascending within each tile
  int tiles_x = 0, tiles_y = 0;

  explicit BatchItemRaster(const CpuRasterArgs& a) : args(a) {
    setups.resize(static_cast<size_t>(a.num_triangles));
    valid.resize(static_cast<size_t>(a.num_triangles));
    tiles_x = (a.width + kTileSize - 1) / kTileSize;
    tiles_y = (a.height + kTileSize - 1) / kTileSize;
  }

  void setup(const double* clip, int threads) {
    // Project each vertex once, then set up the triangles from the projected corners.
    const int nv = args.num_vertices;
    projected.resize(static_cast<size_t>(nv));
    run_threads(threads, [&](int t) {
      const int begin = static_cast<int>(static_cast<long long>(nv) * t / threads);
      const int end = static_cast<int>(static_cast<long long>(nv) * (t + 1) / threads);
      for (int i = begin; i < end; ++i)
        projected[i] = project_vertex(clip + 4LL * i, args.width, args.height, args.w_epsilon,
                                      args.guard_band);
    });
    const int n = args.num_triangles;
    run_threads(threads, [&](int t) {
      const int begin = static_cast<int>(static_cast<long long>(n) * t / threads);
      const int end = static_cast<int>(static_cast<long long>(n) * (t + 1) / threads);
      ProjectedVertex v[3];
      for (int f = begin; f < end; ++f) {
        valid[f] = 0;
        if (args.mask != nullptr && args.mask[f] == 0) continue;
        for (int i = 0; i < 3; ++i) v[i] = projected[args.triangles[3LL * f + i]];
        valid[f] =
            setup_projected_triangle(v, args.width, args.height, args.cull, &setups[f]) ? 1 : 0;
      }
    });
  }

  void bin() {
    const int num_tiles = tiles_x * tiles_y;
    bin_start.assign(static_cast<size_t>(num_tiles) + 1, 0);
    for (int f = 0; f < args.num_triangles; ++f) {
      if (!valid[f]) continue;
      const TriangleSetup& t = setups[f];
      for (int ty = t.row_min / kTileSize; ty <= t.row_max / kTileSize; ++ty)
        for (int tx = t.col_min / kTileSize; tx <= t.col_max / kTileSize; ++tx)
          ++bin_start[ty * tiles_x + tx + 1];
    }
    for (int i = 0; i < num_tiles; ++i) bin_start[i + 1] += bin_start[i];
    bin_items.resize(static_cast<size_t>(bin_start[num_tiles]));
    std::vector<int> fill(bin_start.begin(), bin_start.end() - 1);
    for (int f = 0; f < args.num_triangles; ++f) {
      if (!valid[f]) continue;
      const TriangleSetup& t = setups[f];
      for (int ty = t.row_min / kTileSize; ty <= t.row_max / kTileSize; ++ty)
        for (int tx = t.col_min / kTileSize; tx <= t.col_max / kTileSize; ++tx)
          bin_items[fill[ty * tiles_x + tx]++] = f;
    }
  }

  void shade_tiles(std::int32_t* ids, float* depth, int threads) {
    const int num_tiles = tiles_x * tiles_y;
    std::atomic<int> next{0};
    run_threads(threads, [&](int) {
      unsigned long long keys[kTileSize * kTileSize];
      for (int tile = next++; tile < num_tiles; tile = next++) {
        const int x0 = (tile % tiles_x) * kTileSize, y0 = (tile / tiles_x) * kTileSize;
        const int x1 = std::min(x0 + kTileSize, args.width) - 1;
        const int y1 = std::min(y0 + kTileSize, args.height) - 1;
        std::fill(std::begin(keys), std::end(keys), kEmptyKey);
        for (int item = bin_start[tile]; item < bin_start[tile + 1]; ++item) {
          const int f = bin_items[item];
          const TriangleSetup& t = setups[f];
          const int r0 = std::max(t.row_min, y0), r1 = std::min(t.row_max, y1);
          const int c0 = std::max(t.col_min, x0), c1 = std::min(t.col_max, x1);
          // Edge values at the first sample, and their exact integer steps per column and row.
          const long long px0 = static_cast<long long>(c0) * kSubpixelScale + kHalfPixel;
          const long long py0 = static_cast<long long>(r0) * kSubpixelScale + kHalfPixel;
          long long e_row[3], step_x[3], step_y[3], bias[3];
          for (int i = 0; i < 3; ++i) {
            const int j = (i + 1) % 3, k = (i + 2) % 3;
            e_row[i] = edge_function(t.x[j], t.y[j], t.x[k], t.y[k], px0, py0);
            step_x[i] = -(t.y[k] - t.y[j]) * kSubpixelScale;
            step_y[i] = (t.x[k] - t.x[j]) * kSubpixelScale;
            bias[i] = t.top_left[i] ? 1 : 0;  // e + bias > 0  <=>  covered under the fill rule
          }
          for (int row = r0; row <= r1; ++row) {
            unsigned long long* line = keys + (row - y0) * kTileSize - x0;
            long long e0 = e_row[0], e1 = e_row[1], e2 = e_row[2];
            for (int col = c0; col <= c1; ++col) {
              if ((e0 + bias[0] > 0) & (e1 + bias[1] > 0) & (e2 + bias[2] > 0)) {
                float d;
                if (depth_from_edges(t, e0, e1, e2, &d)) {
                  const unsigned long long key = pack_key(d, f);
                  if (key < line[col]) line[col] = key;
                }
              }
              e0 += step_x[0];
              e1 += step_x[1];
              e2 += step_x[2];
            }
            for (int i = 0; i < 3; ++i) e_row[i] += step_y[i];
          }
        }
        for (int row = y0; row <= y1; ++row) {
          for (int col = x0; col <= x1; ++col) {
            const long long o = static_cast<long long>(row) * args.width + col;
            unpack_key(keys[(row - y0) * kTileSize + (col - x0)], &ids[o], &depth[o]);
          }
        }
      }
    });
  }
};

}  // namespace

void rasterize_cpu(const CpuRasterArgs& args) {
  const int threads = std::max(1, args.num_threads);
  const long long pixels = static_cast<long long>(args.height) * args.width;
  BatchItemRaster raster(args);
  for (int b = 0; b < args.batch; ++b) {
    // Shared positions: one setup and binning serve the whole batch.
    if (b == 0 || args.clip_batch_stride != 0) {
      raster.setup(args.clip + args.clip_batch_stride * b, threads);
      raster.bin();
    }
    raster.shade_tiles(args.triangle_id + pixels * b, args.depth + pixels * b, threads);
  }
}

}  // namespace faceg2e::raster::detail
