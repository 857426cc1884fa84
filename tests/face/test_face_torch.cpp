// Differentiable assembly and normals: values vs float64 recomputation, gradients vs finite
// differences in float64.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/face/face_torch.h"
#include "core/util/error.h"
#include "tests/face/face_fixture.h"

namespace faceg2e::face {
namespace {

using testing::reference_model;

const FaceTensors& tensors() {
  static const FaceTensors t = make_face_tensors(reference_model());
  return t;
}

TEST(FaceTorch, TensorsHaveModelShapes) {
  const auto& t = tensors();
  EXPECT_EQ(t.neutral.sizes(), (std::vector<std::int64_t>{26719, 3}));
  EXPECT_EQ(t.identity_basis.sizes(), (std::vector<std::int64_t>{100, 26719, 3}));
  EXPECT_EQ(t.expression_basis.sizes(), (std::vector<std::int64_t>{53, 26719, 3}));
  EXPECT_EQ(t.faces.scalar_type(), torch::kInt64);
  EXPECT_EQ(t.faces.sizes(), (std::vector<std::int64_t>{52220, 3}));
  EXPECT_EQ(t.faces_uv.sizes(), (std::vector<std::int64_t>{52220, 3}));
  EXPECT_EQ(t.face_part.size(0), 52220);
  EXPECT_EQ(t.vertex_part.size(0), 26719);
  const auto moved = t.to(torch::kCPU);
  EXPECT_TRUE(moved.faces.equal(t.faces));
}

TEST(FaceTorch, AssemblyMatchesFloat64AndCpu) {
  const FaceModel& m = reference_model();
  const auto& t = tensors();
  torch::manual_seed(3);
  torch::Tensor id = torch::randn({2, 100});
  torch::Tensor ex = torch::rand({2, 53});
  torch::Tensor v = assemble_vertices(t, id, ex);
  ASSERT_EQ(v.sizes(), (std::vector<std::int64_t>{2, 26719, 3}));
  EXPECT_EQ(v.scalar_type(), torch::kFloat32);
  // Independent float64 reference: explicit loop over modes from the model's std::vectors.
  const std::size_t stride = std::size_t(m.num_vertices) * 3;
  for (int b = 0; b < 2; ++b) {
    const torch::Tensor idb = id[b].contiguous(), exb = ex[b].contiguous();
    auto ida = idb.accessor<float, 1>();
    auto exa = exb.accessor<float, 1>();
    auto va = v[b].reshape({-1}).contiguous();
    const float* vp = va.data_ptr<float>();
    double max_err = 0;
    for (std::size_t i = 0; i < stride; i += 13) {
      double ref = m.neutral_vertices[i];
      for (int k = 0; k < 100; ++k) ref += double(ida[k]) * m.identity_basis[k * stride + i];
      for (int j = 0; j < 53; ++j) ref += double(exa[j]) * m.expression_basis[j * stride + i];
      max_err = std::max(max_err, std::abs(ref - vp[i]));
    }
    EXPECT_LT(max_err, 1e-4) << b;
  }
  // Unbatched, partial coefficients: agrees with the CPU path.
  FaceCoefficients c;
  c.identity = {0.5f, -1.0f, 2.0f};
  c.expression = {0.0f, 0.3f};
  torch::Tensor v1 = assemble_vertices(t, torch::tensor(c.identity), torch::tensor(c.expression));
  ASSERT_EQ(v1.sizes(), (std::vector<std::int64_t>{26719, 3}));
  const auto cpu = assemble_vertices(m, c);
  const torch::Tensor cpu_t = torch::from_blob(const_cast<float*>(cpu.data()), {26719, 3});
  EXPECT_LT((v1 - cpu_t).abs().max().item<float>(), 1e-5);
  // No coefficients: the neutral mesh.
  EXPECT_TRUE(assemble_vertices(t, torch::Tensor(), torch::Tensor()).equal(t.neutral));
}

TEST(FaceTorch, AssemblyRejectsBadCoefficients) {
  const auto& t = tensors();
  EXPECT_THROW(assemble_vertices(t, torch::zeros({101}), torch::Tensor()), Error);
  EXPECT_THROW(assemble_vertices(t, torch::zeros({2, 3}), torch::zeros({3, 3})), Error);
  EXPECT_THROW(assemble_vertices(t, torch::zeros({1, 1, 3}), torch::Tensor()), Error);
}

TEST(FaceTorch, AssemblyGradientMatchesFiniteDifferences) {
  const auto& t = tensors();
  torch::Tensor id = torch::randn({5}, torch::kFloat64).requires_grad_(true);
  torch::Tensor ex = torch::rand({4}, torch::kFloat64).requires_grad_(true);
  torch::Tensor w = torch::randn({26719, 3}, torch::kFloat64);
  auto loss_of = [&](const torch::Tensor& a, const torch::Tensor& b) {
    return (assemble_vertices(t, a, b) * w).sum();
  };
  loss_of(id, ex).backward();
  const double h = 1e-4;
  for (int k = 0; k < 5; ++k) {
    torch::NoGradGuard ng;
    auto p = id.detach().clone(), m = id.detach().clone();
    p[k] += h;
    m[k] -= h;
    const double fd = (loss_of(p, ex) - loss_of(m, ex)).item<double>() / (2 * h);
    EXPECT_NEAR(id.grad()[k].item<double>(), fd, 1e-6 * std::max(1.0, std::abs(fd))) << k;
  }
  for (int j = 0; j < 4; ++j) {
    torch::NoGradGuard ng;
    auto p = ex.detach().clone(), m = ex.detach().clone();
    p[j] += h;
    m[j] -= h;
    const double fd = (loss_of(id, p) - loss_of(id, m)).item<double>() / (2 * h);
    EXPECT_NEAR(ex.grad()[j].item<double>(), fd, 1e-6 * std::max(1.0, std::abs(fd))) << j;
  }
}

TEST(FaceTorch, NormalsMatchCpuOnTheFaceMesh) {
  const FaceModel& m = reference_model();
  const auto& t = tensors();
  const auto cpu = vertex_normals(m.neutral_vertices, m.faces);
  const torch::Tensor cpu_t = torch::from_blob(const_cast<float*>(cpu.data()), {26719, 3});
  torch::Tensor n = vertex_normals(t.neutral, t.faces);
  EXPECT_LT((n - cpu_t).abs().max().item<float>(), 1e-4);
  // Batched input gives the same per item.
  torch::Tensor nb =
      vertex_normals(torch::stack({t.neutral, t.neutral}), t.faces.to(torch::kInt32));
  EXPECT_TRUE(torch::allclose(nb[1], n, 1e-6, 1e-6));
}

TEST(FaceTorch, NormalsOfATetrahedronByHand) {
  // Regular-ish tetrahedron; expected normals built from face normals by hand in float64.
  torch::Tensor v =
      torch::tensor({0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0}, torch::kFloat64)
          .reshape({4, 3});
  torch::Tensor f =
      torch::tensor({0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3}, torch::kInt64).reshape({4, 3});
  torch::Tensor n = vertex_normals(v, f);
  // Face area-normals (2*area*unit normal): -z, -y, -x faces have |cross| = 1; the slanted face
  // has cross (1,1,1). Vertex 0 touches the three axis faces: (-1,-1,-1)/sqrt(3).
  const double s3 = 1.0 / std::sqrt(3.0);
  EXPECT_NEAR(n[0][0].item<double>(), -s3, 1e-12);
  EXPECT_NEAR(n[0][1].item<double>(), -s3, 1e-12);
  EXPECT_NEAR(n[0][2].item<double>(), -s3, 1e-12);
  // Vertex 1 touches -z (0,0,-1), -y (0,-1,0) and slanted (1,1,1): sum (1,0,0).
  EXPECT_NEAR(n[1][0].item<double>(), 1.0, 1e-12);
  EXPECT_NEAR(n[1][1].item<double>(), 0.0, 1e-12);
  EXPECT_NEAR(n[1][2].item<double>(), 0.0, 1e-12);
}

TEST(FaceTorch, NormalsGradientMatchesFiniteDifferences) {
  torch::manual_seed(11);
  // A small bumpy grid so that normals vary.
  const int g = 5;
  std::vector<double> pts;
  std::vector<std::int64_t> tri;
  for (int y = 0; y < g; ++y)
    for (int x = 0; x < g; ++x) {
      pts.insert(pts.end(), {double(x), double(y), 0.3 * std::sin(x + 2.0 * y)});
    }
  for (int y = 0; y + 1 < g; ++y)
    for (int x = 0; x + 1 < g; ++x) {
      const std::int64_t a = y * g + x, b = a + 1, c = a + g, d = c + 1;
      tri.insert(tri.end(), {a, b, d, a, d, c});
    }
  torch::Tensor v = torch::tensor(pts, torch::kFloat64).reshape({g * g, 3}).requires_grad_(true);
  torch::Tensor f = torch::tensor(tri, torch::kInt64).reshape({-1, 3});
  torch::Tensor w = torch::randn({g * g, 3}, torch::kFloat64);
  auto loss_of = [&](const torch::Tensor& x) { return (vertex_normals(x, f) * w).sum(); };
  loss_of(v).backward();
  const torch::Tensor grad = v.grad().clone();
  const double h = 1e-6;
  double max_err = 0;
  for (int i = 0; i < g * g * 3; ++i) {
    torch::NoGradGuard ng;
    auto p = v.detach().clone().reshape({-1}), m = v.detach().clone().reshape({-1});
    p[i] += h;
    m[i] -= h;
    const double fd =
        (loss_of(p.reshape({g * g, 3})) - loss_of(m.reshape({g * g, 3}))).item<double>() / (2 * h);
    max_err = std::max(max_err, std::abs(grad.reshape({-1})[i].item<double>() - fd));
  }
  EXPECT_LT(max_err, 1e-6);
}

}  // namespace
}  // namespace faceg2e::face
