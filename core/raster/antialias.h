#pragma once
// Silhouette antialiasing with gradients, in the spirit of nvdiffrast's antialias op, for the
// outline of the mesh against the background.
//
// Rasterization is discrete: a pixel is either covered or not, so the image carries no gradient
// with respect to where the outline is. Recovering a shape from renders then has to rely on the
// shading inside the outline, and gets stuck in local minima where the outlines disagree
// (measured: generate --guidance target ends 0.15-0.23 cm from some targets). This pass gives
// the outline a gradient: for every pair of horizontally or vertically adjacent pixels of which
// exactly one is covered, it finds where the covering triangle's edge crosses the line between
// the two pixel centres (a differentiable function of the projected vertices) and blends the two
// colours by the area the edge cuts off, as a box-filtered edge would:
//   crossing at distance s in [0, 1] from the covered centre;
//   s > 1/2: the background pixel takes (s - 1/2) of the covered colour;
//   s < 1/2: the covered pixel takes (1/2 - s) of the background colour.
// The result is continuous in the vertex positions and its gradient moves the outline.
// Occlusion boundaries inside the mesh (nose over cheek) are not handled: only mesh/background.
#include <torch/types.h>

namespace faceg2e::raster {

// image: [B, C, H, W] shaded render (background already composited). clip_positions: [B, V, 4]
// or [1, V, 4] (differentiable), triangles [F, 3], triangle_id [B, H, W] int32 (-1 background)
// from the same rasterization. Returns the antialiased [B, C, H, W] image.
torch::Tensor antialias_silhouettes(const torch::Tensor& image, const torch::Tensor& clip_positions,
                                    const torch::Tensor& triangles, const torch::Tensor& triangle_id);

}  // namespace faceg2e::raster
