#pragma once
// C-style entry point of the CUDA rasterizer (rasterize_cuda.cu). Torch-free on purpose: the .cu
// compiles wherever nvcc exists, also against a CPU-only LibTorch (CI). rasterize.cpp calls it
// only when the build has CUDA LibTorch (FACEG2E_RASTER_CUDA) and the tensors are on a GPU.
#include <cstdint>

extern "C" {

// All pointers are device pointers, contiguous.
//   clip:      [batch][num_vertices][4] float64 (clip_batch_stride = 0 shares one set of
//              positions across the batch, else num_vertices * 4)
//   triangles: [num_triangles][3] int32, every index already checked to be in range
//   mask:      [num_triangles] uint8 (0 = skip) or null
//   keys:      [batch][height][width] scratch of 64-bit packed z-buffer entries
//   triangle_id: [batch][height][width] int32 out (-1 background)
//   depth:     [batch][height][width] float32 out (1 on background)
// cull: 0 none, 1 back, 2 front (see rasterize_math.h). stream: a cudaStream_t (null = default).
// Returns 0 on success, else the cudaError_t code; message via faceg2e_cuda_error_string.
int faceg2e_rasterize_cuda(const double* clip, long long clip_batch_stride, int num_vertices,
                           const std::int32_t* triangles, int num_triangles,
                           const std::uint8_t* mask, int batch, int height, int width, int cull,
                           double w_epsilon, double guard_band, unsigned long long* keys,
                           std::int32_t* triangle_id, float* depth, void* stream);

const char* faceg2e_cuda_error_string(int code);

}  // extern "C"
