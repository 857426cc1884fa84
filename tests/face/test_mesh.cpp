// CPU assembly vs a direct float64 computation; normals vs an independent construction.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/util/error.h"
#include "tests/face/face_fixture.h"

namespace faceg2e::face {
namespace {

using testing::reference_model;

TEST(Mesh, AssemblyMatchesFloat64) {
  const FaceModel& m = reference_model();
  std::mt19937 rng(7);
  std::normal_distribution<float> n01(0.f, 1.f);
  std::uniform_real_distribution<float> u01(0.f, 1.f);
  FaceCoefficients c;
  c.identity.resize(m.num_identity);
  for (auto& a : c.identity) a = n01(rng);
  c.identity[3] = 0.f;      // zero coefficients are skipped: must still be exact
  c.expression.resize(10);  // shorter than E: the rest count as zero
  for (auto& w : c.expression) w = u01(rng);
  const std::vector<float> v = assemble_vertices(m, c);
  ASSERT_EQ(v.size(), m.neutral_vertices.size());
  const std::size_t stride = std::size_t(m.num_vertices) * 3;
  double max_err = 0;
  for (std::size_t i = 0; i < stride; i += 7) {
    double ref = m.neutral_vertices[i];
    for (int k = 0; k < m.num_identity; ++k)
      ref += double(c.identity[k]) * m.identity_basis[k * stride + i];
    for (int j = 0; j < 10; ++j)
      ref += double(c.expression[j]) * m.expression_basis[j * stride + i];
    max_err = std::max(max_err, std::abs(ref - v[i]));
  }
  EXPECT_LT(max_err, 1e-4);  // float32 sums of ~110 terms of magnitude <~ 10 cm
  FaceCoefficients zero;
  EXPECT_EQ(assemble_vertices(m, zero), m.neutral_vertices);
}

TEST(Mesh, TooManyCoefficientsIsAnError) {
  const FaceModel& m = reference_model();
  FaceCoefficients c;
  c.identity.assign(m.num_identity + 1, 0.5f);
  EXPECT_THROW(assemble_vertices(m, c), Error);
}

TEST(Mesh, NormalsOfACubeAreDiagonals) {
  // Unit cube, 12 outward-facing triangles. Every corner touches three faces with equal area,
  // so the area-weighted normal is the normalised corner direction (±1,±1,±1)/sqrt(3).
  std::vector<float> p;
  for (int i = 0; i < 8; ++i) {
    p.push_back(float(i & 1) * 2 - 1);
    p.push_back(float((i >> 1) & 1) * 2 - 1);
    p.push_back(float((i >> 2) & 1) * 2 - 1);
  }
  // Each face split along the same diagonal pattern; two triangles per face (CCW from outside).
  const std::vector<std::int32_t> f = {
      0, 2, 3, 0, 3, 1,  // z = -1
      4, 5, 7, 4, 7, 6,  // z = +1
      0, 1, 5, 0, 5, 4,  // y = -1
      2, 6, 7, 2, 7, 3,  // y = +1
      0, 4, 6, 0, 6, 2,  // x = -1
      1, 3, 7, 1, 7, 5,  // x = +1
  };
  const std::vector<float> n = vertex_normals(p, f);
  // Corners touched by two triangles of one face get double weight there: the expected normal
  // is the sum over the corner's triangles of area * face normal, computed here by hand.
  for (int i = 0; i < 8; ++i) {
    double acc[3] = {0, 0, 0};
    for (std::size_t t = 0; t < f.size(); t += 3) {
      if (f[t] != i && f[t + 1] != i && f[t + 2] != i) continue;
      // Each triangle has area 2 and is axis-aligned: its normal is the face's outward axis,
      // i.e. the coordinate that all three corners share.
      for (int k = 0; k < 3; ++k)
        if (p[3 * f[t] + k] == p[3 * f[t + 1] + k] && p[3 * f[t] + k] == p[3 * f[t + 2] + k])
          acc[k] += 2.0 * p[3 * f[t] + k];
    }
    const double len = std::sqrt(acc[0] * acc[0] + acc[1] * acc[1] + acc[2] * acc[2]);
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(n[3 * i + k], acc[k] / len, 1e-6) << i << "," << k;
    // And all point outward.
    double dot = 0;
    for (int k = 0; k < 3; ++k) dot += n[3 * i + k] * p[3 * i + k];
    EXPECT_GT(dot, 0.5);
  }
}

TEST(Mesh, NormalsOfASphereAreRadial) {
  // UV sphere of radius 3: vertex normals must approach the radial direction.
  const int rings = 40, segs = 80;
  std::vector<float> p;
  std::vector<std::int32_t> f;
  for (int r = 0; r <= rings; ++r)
    for (int s = 0; s < segs; ++s) {
      const double th = M_PI * r / rings, ph = 2 * M_PI * s / segs;
      p.push_back(float(3 * std::sin(th) * std::cos(ph)));
      p.push_back(float(3 * std::cos(th)));
      p.push_back(float(3 * std::sin(th) * std::sin(ph)));
    }
  for (int r = 0; r < rings; ++r)
    for (int s = 0; s < segs; ++s) {
      const int a = r * segs + s, b = r * segs + (s + 1) % segs, c = a + segs, d = b + segs;
      f.insert(f.end(), {a, b, d, a, d, c});
    }
  const std::vector<float> n = vertex_normals(p, f);
  for (int r = 1; r < rings; ++r)  // skip the degenerate poles
    for (int s = 0; s < segs; ++s) {
      const int v = r * segs + s;
      double dot = 0;
      for (int k = 0; k < 3; ++k) dot += n[3 * v + k] * p[3 * v + k] / 3.0;
      // The winding above faces outward or inward; either way normals must be radial.
      EXPECT_GT(std::abs(dot), 0.999) << v;
    }
}

TEST(Mesh, ReferenceNormalsPointOutwardOnTheFace) {
  // Sanity on the real mesh: the nose tip (landmark 30) looks toward +Z.
  const FaceModel& m = reference_model();
  const auto n = vertex_normals(m.neutral_vertices, m.faces);
  const int tip = m.landmarks68[30];
  EXPECT_GT(n[3 * tip + 2], 0.8f);
}

}  // namespace
}  // namespace faceg2e::face
