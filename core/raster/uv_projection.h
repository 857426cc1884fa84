#pragma once
// Screen -> UV projection (the reverse direction of texturing): every texel of a UV map looks up
// the rendered view at the screen position of its surface point. The edit stage uses it to carry
// a screen-space attention map into UV space (FaceG2E's bi_direction_forward, 'reverse').
//
// The UV map is rasterized with clip position (2u - 1, 2v - 1, 0, 1) per UV corner, so texel
// rows follow the texture convention of texture_sample.h (row 0 = v = 1). Each texel's surface
// point is the UV-barycentric blend of its triangle's clip positions; dividing by w afterwards
// makes the screen position exact (the reference blends NDC instead, which is off under
// perspective). Only UVs inside [0, 1]^2 land in the map: pack UDIM tiles into an atlas first.
//
// Visibility is per triangle, as in the reference: a texel counts as seen when its triangle
// covers at least one pixel of the view. Texels of hidden (or off-screen) triangles get 0 and
// mask 0.
#include <torch/types.h>

#include "core/raster/barycentrics.h"

namespace faceg2e::raster {

struct UvProjectionParams {
  int uv_height = 512;
  int uv_width = 512;
};

struct UvProjection {
  torch::Tensor image;  // [B, C, Hu, Wu], the view's values at each visible texel, else 0
  torch::Tensor mask;   // [B, 1, Hu, Wu], 1 where the texel is covered and its triangle visible
};

// image: [B, C, H, W] (or [C, H, W]) the rendered-view map to project.
// clip_positions: [B, V, 4] or [V, 4] clip positions the view was rendered with.
// triangles: [F, 3] vertex indices; uvs: [T, 2]; faces_uv: [F, 3] indices into uvs.
// view: the view's fragments (rasterize_fragments with the same triangles), for visibility.
// Differentiable with respect to `image` and the positions.
UvProjection project_image_to_uv(const torch::Tensor& image, const torch::Tensor& clip_positions,
                                 const torch::Tensor& triangles, const torch::Tensor& uvs,
                                 const torch::Tensor& faces_uv, const Fragments& view,
                                 const UvProjectionParams& params = {});

}  // namespace faceg2e::raster
