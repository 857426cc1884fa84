#pragma once
// Interpolate vertex attributes over the rasterized pixels with the perspective-correct
// barycentrics (nvdiffrast's interpolate op, without the derivative outputs). Differentiable with
// respect to the attributes and, through the barycentrics, the vertex positions.
#include <torch/types.h>

#include "core/raster/barycentrics.h"

namespace faceg2e::raster {

struct InterpolateOutput {
  torch::Tensor image;  // [B, H, W, C]; 0 on background
  torch::Tensor mask;   // [B, H, W, 1] coverage (1 covered, 0 background), attribute dtype
};

// attributes: [N, C] (shared by the batch) or [B, N, C] (B = the fragments' batch, or 1), float.
// attribute_triangles: [F, 3] int32/int64 indices into the N attributes, one row per triangle of
//   the mesh that was rasterized (row f belongs to triangle id f):
//   - per-vertex attributes (normals, positions, depth, scalars): the mesh triangles, N = V;
//   - per-corner attributes (UVs, split at seams): faces_uv, N = number of UVs.
// The barycentrics are cast to the attribute dtype. Throws faceg2e::Error on bad shapes, dtypes,
// devices or indices.
InterpolateOutput interpolate(const torch::Tensor& attributes,
                              const torch::Tensor& attribute_triangles, const Fragments& fragments);

}  // namespace faceg2e::raster
