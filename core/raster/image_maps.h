#pragma once
// Geometry images the diffusion models are conditioned on: normal maps and depth maps, and the
// differentiable per-vertex normals they start from.
#include <torch/types.h>

namespace faceg2e::raster {

// Area-weighted vertex normals (sum of the un-normalised face normals (b - a) x (c - a) of the
// incident triangles, then normalised), differentiable. positions [V, 3] or [B, V, 3];
// triangles [F, 3] int32/int64. Counter-clockwise triangles (seen from outside) give outward
// normals. A vertex with no (or only degenerate) triangles gets (0, 0, 0).
torch::Tensor vertex_normals(const torch::Tensor& positions, const torch::Tensor& triangles);

// Normal map as the FaceG2E reference renders it: RGB = 0.5 * n + 0.5 of the interpolated,
// renormalised normal (x -> red, y -> green, z -> blue), in the frame the normals are given in
// (render_mesh: world space of the unposed face by default, as the reference). Background
// pixels get `background`.
// normals [B, H, W, 3] (interpolated, need not be unit), mask [B, H, W, 1]. Returns
// [B, 3, H, W].
torch::Tensor normal_map(const torch::Tensor& normals, const torch::Tensor& mask,
                         double background = 0.0);

// Depth map for the depth ControlNet. ControlNet-depth was trained on MiDaS output: relative
// inverse depth, NEAR = BRIGHT, far = dark, normalised per image. We follow that convention, not
// FaceG2E's normalize_depth (models/stage_fitter/_render_util.py), which maps the camera distance
// itself to [0.5, 1] and so makes the nearest point darkest: the ControlNet we load
// (lllyasviel's sd-controlnet-depth) was trained on MiDaS-like maps, so we feed it that.
// Covered pixels: value = min_value + (1 - min_value) * (d_max - d) / (d_max - d_min), where d is
// the eye-space distance along the view axis (-z_eye) and d_min, d_max are taken over the covered
// pixels of each image; background = 0. min_value keeps the far side of the head separate from the
// background (FaceG2E reference: min_val 0.5). Linear in d rather than 1/d: over a face's depth
// range at portrait distances the two differ by a few percent, and linear keeps the full range.
struct DepthMapParams {
  double min_value = 0.5;  // value of the farthest covered pixel (FaceG2E reference: 0.5)
  double epsilon = 1e-8;   // a flat image (d_max - d_min <= epsilon) gets 1 wherever covered
};

// eye_depth [B, H, W, 1] (-z_eye, interpolated; positive in front of the camera), mask
// [B, H, W, 1]. Returns [B, 1, H, W]. Differentiable (through d and the min/max).
torch::Tensor depth_map(const torch::Tensor& eye_depth, const torch::Tensor& mask,
                        const DepthMapParams& params = {});

}  // namespace faceg2e::raster
