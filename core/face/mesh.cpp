// CPU mesh assembly and normals (torch-free), for the GUI sliders and export.
#include <cmath>
#include <string>

#include "core/face/face_model.h"
#include "core/util/error.h"

namespace faceg2e::face {
namespace {

void add_modes(std::vector<float>& out, const std::vector<float>& basis,
               const std::vector<float>& coeffs, int num_modes, std::size_t stride,
               const char* what) {
  if (coeffs.size() > static_cast<std::size_t>(num_modes))
    throw Error(std::string("assemble_vertices: ") + std::to_string(coeffs.size()) + " " + what +
                " coefficients for a model with " + std::to_string(num_modes));
  for (std::size_t k = 0; k < coeffs.size(); ++k) {
    const float a = coeffs[k];
    // GUI sliders leave most modes at zero; skipping them is what makes a drag interactive.
    if (a == 0.0f) continue;
    const float* b = basis.data() + k * stride;
    for (std::size_t i = 0; i < stride; ++i) out[i] += a * b[i];
  }
}

}  // namespace

std::vector<float> assemble_vertices(const FaceModel& model, const FaceCoefficients& coeffs) {
  std::vector<float> out = model.neutral_vertices;
  const std::size_t stride = static_cast<std::size_t>(model.num_vertices) * 3;
  add_modes(out, model.identity_basis, coeffs.identity, model.num_identity, stride, "identity");
  add_modes(out, model.expression_basis, coeffs.expression, model.num_expression, stride,
            "expression");
  return out;
}

std::vector<float> vertex_normals(const std::vector<float>& positions,
                                  const std::vector<std::int32_t>& faces) {
  FACEG2E_CHECK(positions.size() % 3 == 0 && faces.size() % 3 == 0,
                "vertex_normals: positions and faces must be multiples of 3");
  const std::size_t V = positions.size() / 3;
  std::vector<float> n(positions.size(), 0.0f);
  for (std::size_t f = 0; f < faces.size(); f += 3) {
    const std::int32_t ia = faces[f], ib = faces[f + 1], ic = faces[f + 2];
    if (ia < 0 || ib < 0 || ic < 0 || std::size_t(ia) >= V || std::size_t(ib) >= V ||
        std::size_t(ic) >= V)
      throw Error("vertex_normals: face " + std::to_string(f / 3) +
                  " has a vertex index out of range");
    const float* a = &positions[3 * ia];
    const float* b = &positions[3 * ib];
    const float* c = &positions[3 * ic];
    const float e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    const float e2[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    // The unnormalised cross product is twice the area times the unit normal: area weighting.
    const float cr[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                         e1[0] * e2[1] - e1[1] * e2[0]};
    for (std::int32_t v : {ia, ib, ic})
      for (int k = 0; k < 3; ++k) n[3 * v + k] += cr[k];
  }
  for (std::size_t v = 0; v < V; ++v) {
    float* p = &n[3 * v];
    const float len = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    // Vertices with no (non-degenerate) triangle keep a zero normal, as the torch version does.
    if (len > 0.0f)
      for (int k = 0; k < 3; ++k) p[k] /= len;
  }
  return n;
}

}  // namespace faceg2e::face
