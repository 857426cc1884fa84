#pragma once
// Perspective-correct barycentrics recomputed in torch from the rasterizer's triangle ids, so
// every step after rasterization is plain torch autograd on the CPU and CUDA alike, and
// gradients reach the clip-space (hence world-space) vertex positions.
//
// For a pixel centre p = (px, py) in NDC (see rasterize.h) and triangle vertices with clip
// coordinates (x_i, y_i, w_i), let a_i = x_i - px w_i and c_i = y_i - py w_i. Then the
// perspective-correct barycentric of vertex i is proportional to a_j c_k - a_k c_j for (i, j, k)
// cyclic; the three are divided by their sum. No division by w appears, so it stays finite for
// every triangle the rasterizer accepted (w > epsilon) with non-zero area.
#include <torch/types.h>

#include "core/raster/rasterize.h"

namespace faceg2e::raster {

// What a rasterized view holds per pixel, ready for interpolate() and the shading ops.
struct Fragments {
  torch::Tensor triangle_id;   // [B, H, W] int32, -1 = background (from rasterize)
  torch::Tensor depth;         // [B, H, W] float32 window depth (from rasterize; no gradient)
  torch::Tensor barycentrics;  // [B, H, W, 3], dtype of the clip positions; 0 on background;
                               // differentiable w.r.t. the clip positions
  torch::Tensor mask;          // [B, H, W, 1], dtype of the clip positions: 1 covered, 0 not
  int height() const { return static_cast<int>(triangle_id.size(1)); }
  int width() const { return static_cast<int>(triangle_id.size(2)); }
};

// clip_positions [B, V, 4] or [V, 4] (float32/float64); triangles [F, 3] int32/int64;
// triangle_id [B, H, W] int32 from rasterize() with the same triangles. Returns [B, H, W, 3].
// Background pixels get 0. A batch of 1 in clip_positions broadcasts over triangle_id's batch.
torch::Tensor perspective_barycentrics(const torch::Tensor& clip_positions,
                                       const torch::Tensor& triangles,
                                       const torch::Tensor& triangle_id);

// rasterize() followed by perspective_barycentrics(): the usual entry point.
Fragments rasterize_fragments(const torch::Tensor& clip_positions, const torch::Tensor& triangles,
                              const RasterizeParams& params,
                              const torch::Tensor& triangle_mask = torch::Tensor());

}  // namespace faceg2e::raster
