#include "core/face/face_torch.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::face {
namespace {

torch::Tensor float_tensor(const std::vector<float>& v, std::vector<std::int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}

torch::Tensor index_tensor(const std::vector<std::int32_t>& v, std::vector<std::int64_t> shape) {
  return torch::from_blob(const_cast<std::int32_t*>(v.data()), shape, torch::kInt32)
      .to(torch::kInt64);
}

torch::Tensor part_tensor(const std::vector<std::uint8_t>& v) {
  return torch::from_blob(const_cast<std::uint8_t*>(v.data()),
                          {static_cast<std::int64_t>(v.size())}, torch::kUInt8)
      .to(torch::kInt64);
}

// Brings a coefficient tensor to [B,n] and reports whether it was batched.
torch::Tensor as_batch(const torch::Tensor& c, int max_modes, const char* what, bool& batched) {
  if (c.dim() != 1 && c.dim() != 2)
    throw Error(std::string("assemble_vertices: ") + what +
                " coefficients must be [n] or [B,n], got " + std::to_string(c.dim()) + " dims");
  if (!c.is_floating_point())
    throw Error(std::string("assemble_vertices: ") + what + " coefficients must be floating point");
  if (c.size(-1) > max_modes)
    throw Error(std::string("assemble_vertices: ") + std::to_string(c.size(-1)) + " " + what +
                " coefficients for a model with " + std::to_string(max_modes));
  batched = c.dim() == 2;
  return batched ? c : c.unsqueeze(0);
}

}  // namespace

FaceTensors FaceTensors::to(const torch::Device& device) const {
  FaceTensors t;
  t.neutral = neutral.to(device, /*non_blocking=*/true);
  t.identity_basis = identity_basis.to(device, true);
  t.expression_basis = expression_basis.to(device, true);
  t.faces = faces.to(device, true);
  t.uvs = uvs.to(device, true);
  t.faces_uv = faces_uv.to(device, true);
  t.face_part = face_part.to(device, true);
  t.vertex_part = vertex_part.to(device, true);
  return t;
}

FaceTensors make_face_tensors(const FaceModel& m) {
  const std::int64_t V = m.num_vertices, T = m.num_uvs, F = m.num_faces;
  FACEG2E_CHECK(m.neutral_vertices.size() == std::size_t(V * 3), "neutral_vertices size");
  FACEG2E_CHECK(m.identity_basis.size() == std::size_t(m.num_identity * V * 3),
                "identity_basis size");
  FACEG2E_CHECK(m.expression_basis.size() == std::size_t(m.num_expression * V * 3),
                "expression_basis size");
  FaceTensors t;
  t.neutral = float_tensor(m.neutral_vertices, {V, 3});
  t.identity_basis = float_tensor(m.identity_basis, {m.num_identity, V, 3});
  t.expression_basis = float_tensor(m.expression_basis, {m.num_expression, V, 3});
  t.faces = index_tensor(m.faces, {F, 3});
  t.uvs = float_tensor(m.uvs, {T, 2});
  t.faces_uv = index_tensor(m.faces_uv, {F, 3});
  t.face_part = part_tensor(m.face_part);
  t.vertex_part = part_tensor(m.vertex_part);
  return t;
}

torch::Tensor assemble_vertices(const FaceTensors& t, const torch::Tensor& identity,
                                const torch::Tensor& expression) {
  const std::int64_t V = t.neutral.size(0);
  torch::Dtype dtype = torch::kFloat32;
  for (const auto* c : {&identity, &expression})
    if (c->defined() && c->numel() > 0 && c->scalar_type() == torch::kFloat64)
      dtype = torch::kFloat64;

  std::int64_t batch = -1;  // -1: unbatched so far
  torch::Tensor offsets;    // [B, V*3]
  auto add = [&](const torch::Tensor& c, const torch::Tensor& basis, const char* what) {
    if (!c.defined() || c.numel() == 0) return;
    bool batched = false;
    torch::Tensor cb = as_batch(c, static_cast<int>(basis.size(0)), what, batched);
    if (batched) {
      if (batch >= 0 && batch != cb.size(0))
        throw Error("assemble_vertices: identity and expression batch sizes differ");
      batch = cb.size(0);
    }
    const std::int64_t n = cb.size(1);
    torch::Tensor b = basis.narrow(0, 0, n).reshape({n, V * 3}).to(dtype);
    torch::Tensor term = torch::matmul(cb.to(cb.device(), dtype), b);  // [B or 1, V*3]
    offsets = offsets.defined() ? offsets + term : term;
  };
  add(identity, t.identity_basis, "identity");
  add(expression, t.expression_basis, "expression");

  torch::Tensor neutral = t.neutral.to(dtype);
  if (!offsets.defined()) {
    return batch >= 0 ? neutral.unsqueeze(0).expand({batch, V, 3}).clone() : neutral.clone();
  }
  torch::Tensor verts = neutral.reshape({1, V * 3}) + offsets;  // broadcasts over B
  if (batch >= 0) return verts.reshape({verts.size(0), V, 3});
  return verts.reshape({V, 3});
}

torch::Tensor vertex_normals(const torch::Tensor& verts, const torch::Tensor& faces) {
  if (verts.dim() != 2 && verts.dim() != 3)
    throw Error("vertex_normals: verts must be [V,3] or [B,V,3]");
  if (verts.size(-1) != 3) throw Error("vertex_normals: verts last dim must be 3");
  if (!verts.is_floating_point()) throw Error("vertex_normals: verts must be floating point");
  if (faces.dim() != 2 || faces.size(1) != 3) throw Error("vertex_normals: faces must be [F,3]");
  if (faces.scalar_type() != torch::kInt64 && faces.scalar_type() != torch::kInt32)
    throw Error("vertex_normals: faces must be int64 or int32");
  if (faces.device() != verts.device())
    throw Error("vertex_normals: faces and verts are on different devices");
  const bool batched = verts.dim() == 3;
  torch::Tensor v = batched ? verts : verts.unsqueeze(0);  // [B,V,3]
  torch::Tensor f = faces.to(torch::kInt64);
  torch::Tensor v0 = v.index_select(1, f.select(1, 0));
  torch::Tensor v1 = v.index_select(1, f.select(1, 1));
  torch::Tensor v2 = v.index_select(1, f.select(1, 2));
  // |cross| is twice the triangle area: summing unnormalised cross products weights by area.
  torch::Tensor fn = torch::cross(v1 - v0, v2 - v0, /*dim=*/-1);  // [B,F,3]
  torch::Tensor n = torch::zeros_like(v);
  n = n.index_add(1, f.select(1, 0), fn);
  n = n.index_add(1, f.select(1, 1), fn);
  n = n.index_add(1, f.select(1, 2), fn);
  // sqrt(x + eps^2) keeps the gradient finite at zero-area vertices.
  constexpr double kEps = 1e-20;
  torch::Tensor len = torch::sqrt((n * n).sum(-1, /*keepdim=*/true) + kEps);
  n = n / len;
  return batched ? n : n.squeeze(0);
}

}  // namespace faceg2e::face
