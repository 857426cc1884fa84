#pragma once
// Rasterize: which triangle covers which pixel (discrete, no gradient), as in nvdiffrast's
// rasterize op. Everything differentiable (barycentrics, interpolation, texturing, shading) is
// plain torch on top of the triangle ids; see barycentrics.h.
//
// Conventions (shared by the CPU and CUDA backends, which give bit-identical results):
// - Input positions are OpenGL clip space (x, y, z, w); NDC = xyz / w, x right, y up.
// - Image row 0 is the TOP of the image (NDC y = +1), column 0 the left (NDC x = -1), so an
//   OpenGL projection gives an upright image. (nvdiffrast puts NDC y = -1 in row 0; the FaceG2E
//   reference negates y to compensate. We do not need that trick.)
// - Pixel (row r, col c) is sampled at its centre: x_ndc = 2 (c + 0.5) / W - 1,
//   y_ndc = 1 - 2 (r + 0.5) / H.
// - Screen positions are snapped to a fixed-point grid of 1/256 pixel and the edge functions are
//   evaluated exactly in 64-bit integers, with the top-left fill rule (y down, as in D3D/Vulkan):
//   a sample exactly on an edge belongs to the triangle for which that edge is a top edge
//   (horizontal, interior below) or a left edge. Two triangles sharing an edge therefore cover
//   every sample along it exactly once: no gaps, no double coverage.
// - Near plane: a triangle with any vertex w <= RasterizeParams::w_epsilon is rejected whole (no
//   clipping). A triangle with a vertex farther than the guard band (|x/w| or |y/w| beyond
//   RasterizeParams::guard_band NDC units) is rejected too: it only happens for vertices very
//   close to the eye, and it keeps the integer edge functions free of overflow.
// - Depth test: window depth d = 0.5 * z/w + 0.5, interpolated linearly in screen space; samples
//   with d outside [0, 1] are clipped (the near/far planes), and the smallest d wins. Ties go to
//   the smaller triangle id, so the result does not depend on thread scheduling.
// - Degenerate (zero-area after snapping) triangles cover nothing.
#include <torch/types.h>

#include <cstdint>

namespace faceg2e::raster {

enum class CullMode {
  kNone,   // draw both sides
  kBack,   // drop triangles that are clockwise on screen (counter-clockwise = front, OpenGL)
  kFront,  // drop counter-clockwise triangles
};

enum class RasterBackend {
  kAuto,  // CUDA when the positions are on a CUDA device (and the build has the kernel), else CPU
  kCpu,
  kCuda,
};

struct RasterizeParams {
  int height = 512;
  int width = 512;
  CullMode cull = CullMode::kNone;
  // Triangles with any vertex w <= w_epsilon are rejected (see above). Must be > 0.
  double w_epsilon = 1e-6;
  // Vertices beyond this many NDC units from the centre reject their triangle (see above).
  double guard_band = 1024.0;
  RasterBackend backend = RasterBackend::kAuto;
  // CPU only: worker threads; 0 = at::get_num_threads().
  int num_threads = 0;
};

struct RasterOutput {
  // [B, H, W] int32: the id of the visible triangle (its row in `triangles`), -1 = background.
  torch::Tensor triangle_id;
  // [B, H, W] float32: window depth 0.5 * z_ndc + 0.5 in [0, 1] of the visible surface
  // (OpenGL depth-buffer convention, not linear in view distance); 1.0 on background.
  torch::Tensor depth;
};

// clip_positions: [B, V, 4] or [V, 4] (treated as B = 1), float32 or float64, on the CPU or a CUDA
//   device. Need not be contiguous.
// triangles: [F, 3] int32 or int64, same device, every index in [0, V) (checked).
// triangle_mask: optional [F] bool (or any integer type, non-zero = draw), same device; false
//   leaves the triangle out (eyelashes, eye occluders, ...). An undefined tensor draws all.
// Throws faceg2e::Error naming the argument on bad device, dtype, shape, index or parameter.
// The result lives on the device of clip_positions.
RasterOutput rasterize(const torch::Tensor& clip_positions, const torch::Tensor& triangles,
                       const RasterizeParams& params,
                       const torch::Tensor& triangle_mask = torch::Tensor());

// True when this build can rasterize CUDA tensors (LibTorch with CUDA and the kernel linked).
bool rasterize_cuda_available();

}  // namespace faceg2e::raster
