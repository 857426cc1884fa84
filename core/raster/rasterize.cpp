#include "core/raster/rasterize.h"

#include <torch/torch.h>

#include <algorithm>
#include <string>

#include "core/raster/rasterize_cpu.h"
#include "core/raster/rasterize_math.h"
#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

#ifdef FACEG2E_RASTER_CUDA
#include <c10/cuda/CUDAStream.h>

#include "core/raster/rasterize_cuda.h"
#endif

namespace faceg2e::raster {
namespace {

constexpr const char* kOp = "rasterize";

int cull_code(CullMode cull) {
  switch (cull) {
    case CullMode::kNone:
      return detail::kCullNone;
    case CullMode::kBack:
      return detail::kCullBack;
    case CullMode::kFront:
      return detail::kCullFront;
  }
  return detail::kCullNone;
}

void check_params(const RasterizeParams& p) {
  if (p.height <= 0 || p.width <= 0)
    throw Error("raster::rasterize: resolution must be positive, got " + std::to_string(p.height) +
                " x " + std::to_string(p.width));
  if (!(p.w_epsilon > 0.0))
    throw Error("raster::rasterize: w_epsilon must be > 0, got " + std::to_string(p.w_epsilon));
  const double extent = (p.guard_band + 1.0) * 0.5 * std::max(p.height, p.width);
  if (!(p.guard_band >= 1.0) || extent > detail::kMaxScreenPixels)
    throw Error(
        "raster::rasterize: guard_band must be >= 1 and (guard_band + 1) * max(H, W) / 2 "
        "<= 2^22 pixels, got guard_band " +
        std::to_string(p.guard_band) + " at " + std::to_string(p.height) + " x " +
        std::to_string(p.width));
}

}  // namespace

bool rasterize_cuda_available() {
#ifdef FACEG2E_RASTER_CUDA
  return torch::cuda::is_available();
#else
  return false;
#endif
}

RasterOutput rasterize(const torch::Tensor& clip_positions, const torch::Tensor& triangles,
                       const RasterizeParams& params, const torch::Tensor& triangle_mask) {
  using namespace detail;
  check_params(params);
  check_floating(clip_positions, kOp, "clip_positions");
  check_dims(clip_positions, {2, 3}, kOp, "clip_positions", "[V, 4] or [B, V, 4]");
  check_size(clip_positions, -1, 4, kOp, "clip_positions", "[V, 4] or [B, V, 4]");
  check_index_dtype(triangles, kOp, "triangles");
  check_dims(triangles, {2}, kOp, "triangles", "[F, 3]");
  check_size(triangles, 1, 3, kOp, "triangles", "[F, 3]");
  check_same_device(clip_positions, "clip_positions", triangles, "triangles", kOp);
  const torch::Tensor clip3 =
      clip_positions.dim() == 2 ? clip_positions.unsqueeze(0) : clip_positions;
  const int64_t batch = clip3.size(0), num_vertices = clip3.size(1);
  const int64_t num_triangles = triangles.size(0);
  if (batch == 0) throw Error("raster::rasterize: clip_positions has an empty batch");
  if (num_triangles > INT32_MAX || num_vertices > INT32_MAX)
    throw Error("raster::rasterize: more than 2^31 - 1 triangles or vertices");
  check_index_range(triangles, num_vertices, kOp, "triangles", "the number of vertices");

  torch::Tensor mask;
  if (triangle_mask.defined()) {
    check_dims(triangle_mask, {1}, kOp, "triangle_mask", "[F] bool");
    check_size(triangle_mask, 0, num_triangles, kOp, "triangle_mask", "[F] (one per triangle)");
    check_same_device(triangle_mask, "triangle_mask", triangles, "triangles", kOp);
    if (triangle_mask.is_floating_point() || triangle_mask.is_complex())
      throw Error("raster::rasterize: triangle_mask must be bool or integer, got " +
                  shape_string(triangle_mask));
    mask = triangle_mask.ne(0).to(torch::kUInt8).contiguous();
  }

  // The rasterizer works in float64 (exact for float32 input) on contiguous data.
  const torch::Tensor clip = clip3.to(torch::kFloat64).contiguous();
  const torch::Tensor tris = triangles.to(torch::kInt32).contiguous();
  const auto out_opts = torch::TensorOptions().device(clip.device());
  RasterOutput out;
  out.triangle_id =
      torch::empty({batch, params.height, params.width}, out_opts.dtype(torch::kInt32));
  out.depth = torch::empty({batch, params.height, params.width}, out_opts.dtype(torch::kFloat32));

  bool use_cuda = clip.is_cuda();
  if (params.backend == RasterBackend::kCpu && use_cuda)
    throw Error("raster::rasterize: backend kCpu was asked for, but the tensors are on " +
                clip.device().str());
  if (params.backend == RasterBackend::kCuda && !use_cuda)
    throw Error("raster::rasterize: backend kCuda was asked for, but the tensors are on the CPU");
  if (use_cuda) {
#ifdef FACEG2E_RASTER_CUDA
    auto keys = torch::empty({batch, params.height, params.width}, out_opts.dtype(torch::kInt64));
    const auto stream = c10::cuda::getCurrentCUDAStream(clip.device().index());
    const int code = faceg2e_rasterize_cuda(
        clip.data_ptr<double>(), num_vertices * 4, static_cast<int>(num_vertices),
        tris.data_ptr<std::int32_t>(), static_cast<int>(num_triangles),
        mask.defined() ? mask.data_ptr<std::uint8_t>() : nullptr, static_cast<int>(batch),
        params.height, params.width, cull_code(params.cull), params.w_epsilon, params.guard_band,
        reinterpret_cast<unsigned long long*>(keys.data_ptr<int64_t>()),
        out.triangle_id.data_ptr<std::int32_t>(), out.depth.data_ptr<float>(),
        static_cast<void*>(stream.stream()));
    if (code != 0)
      throw Error(std::string("raster::rasterize: CUDA kernel failed: ") +
                  faceg2e_cuda_error_string(code));
    return out;
#else
    throw Error("raster::rasterize: the tensors are on " + clip.device().str() +
                ", but this build has no CUDA rasterizer (LibTorch without CUDA or no nvcc)");
#endif
  }
  CpuRasterArgs args;
  args.clip = clip.data_ptr<double>();
  args.clip_batch_stride = num_vertices * 4;
  args.num_vertices = static_cast<int>(num_vertices);
  args.triangles = tris.data_ptr<std::int32_t>();
  args.num_triangles = static_cast<int>(num_triangles);
  args.mask = mask.defined() ? mask.data_ptr<std::uint8_t>() : nullptr;
  args.batch = static_cast<int>(batch);
  args.height = params.height;
  args.width = params.width;
  args.cull = cull_code(params.cull);
  args.w_epsilon = params.w_epsilon;
  args.guard_band = params.guard_band;
  args.num_threads = params.num_threads > 0 ? params.num_threads : at::get_num_threads();
  args.triangle_id = out.triangle_id.data_ptr<std::int32_t>();
  args.depth = out.depth.data_ptr<float>();
  rasterize_cpu(args);
  return out;
}

}  // namespace faceg2e::raster
