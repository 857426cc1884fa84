#include <gtest/gtest.h>

#include "core/util/error.h"
#include "render/mesh_remap.h"

using faceg2e::render::build_corner_remap;

TEST(MeshRemap, SharedUvsKeepOneRenderVertexPerVertex) {
  // A quad as two triangles with one UV per vertex.
  const std::vector<std::int32_t> faces = {0, 1, 2, 0, 2, 3};
  const auto remap = build_corner_remap(faces, faces, 4, 4);
  ASSERT_EQ(remap.render_to_vertex.size(), 4u);
  ASSERT_EQ(remap.indices.size(), 6u);
  for (std::size_t c = 0; c < faces.size(); ++c)
    EXPECT_EQ(remap.render_to_vertex[remap.indices[c]], static_cast<std::uint32_t>(faces[c]));
}

TEST(MeshRemap, SeamSplitsVerticesByUv) {
  // Vertices 0 and 2 are on a seam: the second triangle gives them other UVs.
  const std::vector<std::int32_t> faces = {0, 1, 2, 0, 2, 3};
  const std::vector<std::int32_t> faces_uv = {0, 1, 2, 3, 4, 5};
  const auto remap = build_corner_remap(faces, faces_uv, 4, 6);
  EXPECT_EQ(remap.render_to_vertex.size(), 6u);
  for (std::size_t c = 0; c < faces.size(); ++c) {
    EXPECT_EQ(remap.render_to_vertex[remap.indices[c]], static_cast<std::uint32_t>(faces[c]));
    EXPECT_EQ(remap.render_to_uv[remap.indices[c]], static_cast<std::uint32_t>(faces_uv[c]));
  }
  // Corners sharing vertex 0 but not its UV must not share a render vertex.
  EXPECT_NE(remap.indices[0], remap.indices[3]);
}

TEST(MeshRemap, PerVertexUvsWhenFacesUvEmpty) {
  const std::vector<std::int32_t> faces = {2, 1, 0};
  const auto remap = build_corner_remap(faces, {}, 3, 3);
  EXPECT_EQ(remap.render_to_vertex, (std::vector<std::uint32_t>{2, 1, 0}));
  EXPECT_EQ(remap.render_to_uv, (std::vector<std::uint32_t>{2, 1, 0}));
}

TEST(MeshRemap, GatherScattersPerVertexData) {
  const std::vector<std::int32_t> faces = {0, 1, 2, 0, 2, 3};
  const std::vector<std::int32_t> faces_uv = {0, 1, 2, 3, 4, 5};
  const auto remap = build_corner_remap(faces, faces_uv, 4, 6);
  const std::vector<float> positions = {0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0};
  std::vector<float> out(remap.render_to_vertex.size() * 3);
  faceg2e::render::gather_per_vertex(remap, positions.data(), 3, out.data());
  for (std::size_t c = 0; c < faces.size(); ++c)
    for (int k = 0; k < 3; ++k)
      EXPECT_EQ(out[3 * remap.indices[c] + k], positions[3 * faces[c] + k]);
}

TEST(MeshRemap, RejectsBadInput) {
  EXPECT_THROW(build_corner_remap({0, 1, 5}, {}, 3, 3), faceg2e::Error);
  EXPECT_THROW(build_corner_remap({0, 1, -1}, {}, 3, 3), faceg2e::Error);
  EXPECT_THROW(build_corner_remap({0, 1, 2}, {0, 1, 9}, 3, 3), faceg2e::Error);
  EXPECT_THROW(build_corner_remap({0, 1, 2}, {0, 1}, 3, 3), faceg2e::Error);
  EXPECT_THROW(build_corner_remap({0, 1}, {}, 3, 3), faceg2e::Error);
}
