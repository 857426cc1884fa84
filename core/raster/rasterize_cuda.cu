// CUDA rasterizer: one thread per (triangle, batch item) walks the triangle's pixel bounding
// box and keeps the nearest sample per pixel with a 64-bit atomicMin on (depth bits, triangle
// id); a second kernel unpacks the keys. Same arithmetic as the CPU backend (rasterize_math.h),
// compiled with -fmad=false, so both give identical ids and depths.
#include <cuda_runtime.h>

#include "core/raster/rasterize_cuda.h"
#include "core/raster/rasterize_math.h"

namespace {

using faceg2e::raster::detail::kEmptyKey;
using faceg2e::raster::detail::pack_key;
using faceg2e::raster::detail::sample_triangle;
using faceg2e::raster::detail::setup_triangle;
using faceg2e::raster::detail::TriangleSetup;
using faceg2e::raster::detail::unpack_key;

__global__ void clear_keys(unsigned long long* keys, long long count) {
  long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < count) keys[i] = kEmptyKey;
}

__global__ void raster_triangles(const double* clip, long long clip_batch_stride,
                                 const int* triangles, int num_triangles, const unsigned char* mask,
                                 int height, int width, int cull, double w_epsilon,
                                 double guard_band, unsigned long long* keys) {
  int f = blockIdx.x * blockDim.x + threadIdx.x;
  int b = blockIdx.y;
  if (f >= num_triangles) return;
  if (mask != nullptr && mask[f] == 0) return;
  const double* batch_clip = clip + clip_batch_stride * b;
  double v[3][4];
  for (int i = 0; i < 3; ++i) {
    const double* p = batch_clip + 4LL * triangles[3LL * f + i];
    for (int c = 0; c < 4; ++c) v[i][c] = p[c];
  }
  TriangleSetup t;
  if (!setup_triangle(v, width, height, cull, w_epsilon, guard_band, &t)) return;
  unsigned long long* image = keys + static_cast<long long>(b) * height * width;
  for (int row = t.row_min; row <= t.row_max; ++row) {
    for (int col = t.col_min; col <= t.col_max; ++col) {
      float d;
      if (!sample_triangle(t, col, row, &d)) continue;
      atomicMin(image + static_cast<long long>(row) * width + col, pack_key(d, f));
    }
  }
}

__global__ void resolve_keys(const unsigned long long* keys, long long count, int* triangle_id,
                             float* depth) {
  long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= count) return;
  int id;
  float d;
  unpack_key(keys[i], &id, &d);
  triangle_id[i] = id;
  depth[i] = d;
}

}  // namespace

extern "C" int faceg2e_rasterize_cuda(const double* clip, long long clip_batch_stride,
                                      int num_vertices, const std::int32_t* triangles,
                                      int num_triangles, const std::uint8_t* mask, int batch,
                                      int height, int width, int cull, double w_epsilon,
                                      double guard_band, unsigned long long* keys,
                                      std::int32_t* triangle_id, float* depth, void* stream) {
  (void)num_vertices;
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  const long long count = static_cast<long long>(batch) * height * width;
  const int threads = 256;
  if (count > 0) {
    clear_keys<<<static_cast<unsigned>((count + threads - 1) / threads), threads, 0, s>>>(keys,
                                                                                          count);
  }
  if (num_triangles > 0 && batch > 0) {
    dim3 grid(static_cast<unsigned>((num_triangles + threads - 1) / threads),
              static_cast<unsigned>(batch));
    raster_triangles<<<grid, threads, 0, s>>>(clip, clip_batch_stride, triangles, num_triangles,
                                              mask, height, width, cull, w_epsilon, guard_band,
                                              keys);
  }
  if (count > 0) {
    resolve_keys<<<static_cast<unsigned>((count + threads - 1) / threads), threads, 0, s>>>(
        keys, count, triangle_id, depth);
  }
  return static_cast<int>(cudaGetLastError());
}

extern "C" const char* faceg2e_cuda_error_string(int code) {
  return cudaGetErrorString(static_cast<cudaError_t>(code));
}
