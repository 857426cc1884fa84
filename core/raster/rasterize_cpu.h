#pragma once
// CPU backend of rasterize() (torch-free): triangles are set up in parallel, binned into screen
// tiles, and each tile keeps its own packed z-buffer, so threads never share a pixel.
#include <cstdint>

namespace faceg2e::raster::detail {

struct CpuRasterArgs {
  const double* clip = nullptr;  // [batch][num_vertices][4]
  int num_vertices = 0;
  long long clip_batch_stride = 0;          // 0 = the same positions for every batch item
  const std::int32_t* triangles = nullptr;  // [num_triangles][3], indices checked
  int num_triangles = 0;
  const std::uint8_t* mask = nullptr;  // [num_triangles] or null
  int batch = 1, height = 0, width = 0;
  int cull = 0;
  double w_epsilon = 1e-6, guard_band = 1024.0;
  int num_threads = 1;
  std::int32_t* triangle_id = nullptr;  // [batch][height][width] out
  float* depth = nullptr;               // [batch][height][width] out
};

void rasterize_cpu(const CpuRasterArgs& args);

}  // namespace faceg2e::raster::detail
