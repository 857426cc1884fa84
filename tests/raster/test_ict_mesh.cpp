// The real ICT-FaceKit mesh (52k triangles): a front render is sane, deterministic across thread
// counts, and honours the triangle mask. Skipped when the shared data is missing.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/face/face_model.h"
#include "core/raster/render_mesh.h"

namespace faceg2e::raster {
namespace {

TEST(IctMesh, FrontRenderCoverageDeterminismAndMask) {
  const std::filesystem::path path =
      std::filesystem::path(FACEG2E_SHARED_DIR) / "data/ict-facekit/ict_facekit_full.f3dm";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const face::FaceModel model = face::load_f3dm(path);
  const torch::Tensor pos = torch::from_blob(const_cast<float*>(model.neutral_vertices.data()),
                                             {model.num_vertices, 3}, torch::kFloat32)
                                .clone();
  const torch::Tensor tris = torch::from_blob(const_cast<int32_t*>(model.faces.data()),
                                              {model.num_faces, 3}, torch::kInt32)
                                 .clone();
  const torch::Tensor lo = std::get<0>(pos.min(0)), hi = std::get<0>(pos.max(0));
  const torch::Tensor centre = (lo + hi) * 0.5;
  const double extent = (hi - lo).max().item<double>();
  PerspectiveParams pp;  // reference fov
  pp.near = extent * 0.5;
  pp.far = extent * 20.0;
  // Far enough for the whole head to fit the 12.6 degree field of view.
  const double distance = extent / std::tan(6.0 * M_PI / 180.0) * 0.6;
  const Vec3 target = {centre[0].item<double>(), centre[1].item<double>(),
                       centre[2].item<double>()};
  const Camera cam =
      make_orbit_camera({ViewAngles{0, 0, distance}, ViewAngles{30, 10, distance}}, target, pp);
  const torch::Tensor clip = transform_points(pos, cam.view_projection());
  RasterizeParams rp;
  rp.height = rp.width = 128;
  rp.num_threads = 1;
  const RasterOutput one = rasterize(clip, tris, rp);
  rp.num_threads = 2;
  const RasterOutput two = rasterize(clip, tris, rp);
  EXPECT_TRUE(one.triangle_id.equal(two.triangle_id));
  EXPECT_TRUE(one.depth.equal(two.depth));
  const double coverage = one.triangle_id.ge(0).to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(coverage, 0.15);
  EXPECT_LT(coverage, 0.95);
  // The image centre (the face) is covered; the corners are background.
  EXPECT_GE(one.triangle_id[0][64][64].item<int>(), 0);
  EXPECT_EQ(one.triangle_id[0][0][0].item<int>(), -1);

  // Leave out every other triangle: none of them may appear.
  const torch::Tensor mask = torch::arange(model.num_faces).remainder(2).eq(0);
  const RasterOutput masked = rasterize(clip, tris, rp, mask);
  const torch::Tensor seen = masked.triangle_id.masked_select(masked.triangle_id.ge(0));
  EXPECT_TRUE(seen.remainder(2).eq(0).all().item<bool>());

  // A grey render has values only where covered, all finite.
  MeshInputs mesh;
  mesh.positions = pos;
  mesh.triangles = tris;
  mesh.sh_gamma = sh_light_preset(1);
  RenderMeshParams p;
  p.height = p.width = 64;
  const RenderOutput out = render_mesh(mesh, cam, p);
  EXPECT_TRUE(torch::isfinite(out.image).all().item<bool>());
  EXPECT_GT(out.image.masked_select(out.mask.expand_as(out.image).gt(0)).mean().item<double>(),
            0.1);
}

}  // namespace
}  // namespace faceg2e::raster
