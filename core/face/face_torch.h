#pragma once
// The face model as torch tensors, and differentiable mesh assembly and normals on them.
// For the optimizer (pipeline) and the differentiable renderer; ui/ and render/ must not include
// this header (they use the torch-free face_model.h).
#include <torch/types.h>

#include "core/face/face_model.h"

namespace faceg2e::face {

struct FaceTensors {
  torch::Tensor neutral;           // [V,3] float32
  torch::Tensor identity_basis;    // [K,V,3] float32
  torch::Tensor expression_basis;  // [E,V,3] float32
  torch::Tensor faces;             // [F,3] int64 vertex indices
  torch::Tensor uvs;               // [T,2] float32, raw ICT tiles (see uv_atlas.h for the atlas)
  torch::Tensor faces_uv;          // [F,3] int64 indices into uvs
  torch::Tensor face_part;         // [F] int64 upstream part id
  torch::Tensor vertex_part;       // [V] int64 upstream part id

  int num_vertices() const { return static_cast<int>(neutral.size(0)); }
  int num_identity() const { return static_cast<int>(identity_basis.size(0)); }
  int num_expression() const { return static_cast<int>(expression_basis.size(0)); }

  // A copy with every tensor on `device` (non-blocking where possible).
  FaceTensors to(const torch::Device& device) const;
};

// Copies the model's arrays into CPU tensors (bases as float32: ~50 MB for the full model).
FaceTensors make_face_tensors(const FaceModel& model);

// v = neutral + identity @ identity_basis + expression @ expression_basis.
// `identity` is [k] or [B,k] with k <= K (missing trailing modes count as 0); `expression` is
// [e] or [B,e] with e <= E; an undefined or empty tensor means all zeros. Both, when batched,
// must agree on B. Returns [V,3] for unbatched inputs, [B,V,3] otherwise, in the coefficients'
// floating dtype (float32 normally; float64 coefficients give a float64 result, for gradient
// checks), on the tensors' device. Differentiable w.r.t. the coefficients (and the bases).
torch::Tensor assemble_vertices(const FaceTensors& tensors, const torch::Tensor& identity,
                                const torch::Tensor& expression);

// Area-weighted vertex normals, normalised: `verts` [V,3] or [B,V,3] float, `faces` [F,3]
// int64 (int32 accepted). Differentiable w.r.t. verts. A vertex with no area around it gets a
// zero normal (eps-guarded, no NaN).
torch::Tensor vertex_normals(const torch::Tensor& verts, const torch::Tensor& faces);

}  // namespace faceg2e::face
