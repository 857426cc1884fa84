// Self-guided weights: a screen-space attention map, projected into the atlas with the view's
// camera and visibility, lowers W where it points and nowhere the view cannot see.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/pipeline/edit_weights.h"
#include "core/pipeline/region_lock.h"
#include "core/raster/render_mesh.h"
#include "core/raster/sh_lighting.h"
#include "tests/edit/edit_fixture.h"

using namespace faceg2e::pipeline;
using faceg2e::pipeline::testing::assets;
using faceg2e::pipeline::testing::scene;
namespace raster = faceg2e::raster;
namespace face = faceg2e::face;

namespace {

constexpr int kRender = 128;
constexpr int kAtlas = 256;

struct FrontView {
  torch::Tensor verts, clip;
  raster::RenderOutput out;
};

FrontView front_view() {
  torch::NoGradGuard ng;
  FrontView f;
  f.verts = scene().vertices(torch::zeros({scene().num_identity()}));
  const raster::Camera cam = scene().camera(raster::ViewAngles{0.0, 0.0, 1.0});
  raster::RenderMeshParams rp;
  rp.mode = raster::ShadingMode::kGreyShaded;
  rp.height = rp.width = kRender;
  raster::MeshInputs m = scene().mesh(f.verts);
  m.sh_gamma = raster::sh_light_presets()[0];
  f.out = raster::render_mesh(m, cam, rp);
  f.clip = raster::transform_points(f.verts, cam.view_projection());
  return f;
}

// A 16 x 16 attention map (the size IP2P's 16x16 layers give) with a Gaussian blob centred where
// the lips' vertices project, as wide as half their spread.
torch::Tensor lips_blob(const FrontView& f) {
  const auto& labels = *assets().region_labels();
  const int lips = labels.find("lips");
  const torch::Tensor clip = f.clip[0];
  double sx = 0, sy = 0, sxx = 0, syy = 0;
  int n = 0;
  for (std::size_t v = 0; v < labels.vertex_labels.size(); ++v) {
    if (labels.vertex_labels[v] != lips) continue;
    const double w = clip[v][3].item<double>();
    const double x = (clip[v][0].item<double>() / w + 1) / 2;  // 0 = left
    const double y = (1 - clip[v][1].item<double>() / w) / 2;  // 0 = top row
    sx += x, sy += y, sxx += x * x, syy += y * y, ++n;
  }
  EXPECT_GT(n, 20);
  const double cx = sx / n, cy = sy / n;
  const double s = 0.5 * std::sqrt(std::max(sxx / n - cx * cx, syy / n - cy * cy));
  torch::Tensor a = torch::zeros({1, 1, 16, 16});
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) {
      const double x = (j + 0.5) / 16, y = (i + 0.5) / 16;
      a[0][0][i][j] = std::exp(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s));
    }
  return a;
}

// Texels of triangles that face away from the front camera (hidden from it), face and head cells.
std::vector<std::uint8_t> back_facing_texels(const torch::Tensor& verts) {
  const auto& m = assets().model;
  const auto& atlas = assets().atlas;
  const torch::Tensor v = verts.contiguous();
  const float* p = v.data_ptr<float>();
  std::vector<std::uint8_t> out(kAtlas * kAtlas, 0);
  for (int f = 0; f < m.num_faces; ++f) {
    if (!assets().is_drawn(f) || !atlas.face_in_atlas[f]) continue;
    if (atlas.face_cell[f] != face::kCellFace && atlas.face_cell[f] != face::kCellHead) continue;
    const float* a = p + 3 * m.faces[3 * f];
    const float* b = p + 3 * m.faces[3 * f + 1];
    const float* c = p + 3 * m.faces[3 * f + 2];
    const float e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]},
                e2[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
    const float nx = e1[1] * e2[2] - e1[2] * e2[1], ny = e1[2] * e2[0] - e1[0] * e2[2],
                nz = e1[0] * e2[1] - e1[1] * e2[0];
    const float len = std::sqrt(nx * nx + ny * ny + nz * nz);
    if (len <= 0 || nz / len > -0.3f) continue;
    float u[3], vv[3];
    for (int k = 0; k < 3; ++k) {
      const int t = m.faces_uv[3 * f + k];
      u[k] = atlas.uvs[2 * t];
      vv[k] = atlas.uvs[2 * t + 1];
    }
    face::for_each_texel_in_triangle(
        u, vv, kAtlas, [&](int x, int y, float, float, float) { out[y * kAtlas + x] = 1; });
  }
  return out;
}

}  // namespace

TEST(EditWeights, LipsAttentionLowersWMostlyOnTheLips) {
  const FrontView f = front_view();
  const raster::UvProjection proj =
      project_attention(lips_blob(f), f.clip, scene(), f.out.fragments, kAtlas);
  ASSERT_EQ(proj.image.sizes(), (std::vector<int64_t>{1, 1, kAtlas, kAtlas}));
  torch::Tensor W = torch::ones({1, 1, kAtlas, kAtlas});
  for (int k = 0; k < 10; ++k) W = update_weights(W, proj, WeightUpdate::kLowerOnly, 0.8);
  const auto labels = atlas_region_labels(assets(), kAtlas);
  const int lips = assets().region_labels()->find("lips");
  const torch::Tensor drop = (1.0 - W).flatten().contiguous();
  const float* d = drop.data_ptr<float>();
  double total = 0, on_lips = 0;
  for (int i = 0; i < kAtlas * kAtlas; ++i) {
    total += d[i];
    if (labels[i] == lips) on_lips += d[i];
  }
  ASSERT_GT(total, 10.0) << "the attention did not lower W";
  const double fraction = on_lips / total;
  std::printf("share of the W decrease on the lips texels: %.3f\n", fraction);
  EXPECT_GT(fraction, 0.5);
  EXPECT_GE(W.min().item<float>(), 0.0f);
}

TEST(EditWeights, HiddenTexelsAreNotUpdated) {
  const FrontView f = front_view();
  // Attention everywhere on screen (one dark corner, so min-max normalisation leaves ~1).
  torch::Tensor a = torch::ones({1, 1, 16, 16});
  a[0][0][0][0] = 0;
  const raster::UvProjection proj = project_attention(a, f.clip, scene(), f.out.fragments, kAtlas);
  for (WeightUpdate kind : {WeightUpdate::kLowerOnly, WeightUpdate::kAvg2, WeightUpdate::kMax2}) {
    const torch::Tensor W = update_weights(torch::ones({1, 1, kAtlas, kAtlas}), proj, kind, 0.8);
    const torch::Tensor w = W.flatten().contiguous(), m = proj.mask.flatten().contiguous();
    const auto back = back_facing_texels(f.verts);
    long hidden = 0, seen_unchanged = 0, seen = 0;
    for (int i = 0; i < kAtlas * kAtlas; ++i) {
      if (back[i]) {
        ++hidden;
        EXPECT_EQ(w[i].item<float>(), 1.0f)
            << "hidden texel " << i << " changed (" << to_string(kind) << ")";
        EXPECT_EQ(m[i].item<float>(), 0.0f);
      }
      if (m[i].item<float>() > 0.5f) {
        ++seen;
        seen_unchanged += w[i].item<float>() >= 1.0f;
      }
    }
    EXPECT_GT(hidden, 1000);
    EXPECT_GT(seen, 1000);
    EXPECT_LT(seen_unchanged, seen / 50)
        << "visible texels should follow the attention (" << to_string(kind) << ")";
  }
}

TEST(EditWeights, EffectiveWeightsOfTheRegionLock) {
  const torch::Tensor W = torch::full({1, 1, 2, 2}, 0.4);
  torch::Tensor R = torch::zeros({1, 1, 2, 2});
  R[0][0][0][0] = 1.0;
  R[0][0][0][1] = 0.5;
  const torch::Tensor with_att = effective_weights(W, R, true);
  EXPECT_FLOAT_EQ(with_att[0][0][0][0].item<float>(), 0.4f);  // inside: W from attention
  EXPECT_FLOAT_EQ(with_att[0][0][0][1].item<float>(), 0.7f);  // feathered border
  EXPECT_FLOAT_EQ(with_att[0][0][1][1].item<float>(), 1.0f);  // outside: locked
  const torch::Tensor no_att = effective_weights(W, R, false);
  EXPECT_FLOAT_EQ(no_att[0][0][0][0].item<float>(), 0.0f);  // inside: free
  EXPECT_FLOAT_EQ(no_att[0][0][1][0].item<float>(), 1.0f);
  EXPECT_TRUE(effective_weights(W, torch::Tensor(), true).equal(W));
  EXPECT_TRUE(effective_weights(W, torch::Tensor(), false).equal(torch::ones_like(W)));
}
