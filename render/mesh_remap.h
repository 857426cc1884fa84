#pragma once
// Maps a mesh whose UVs are split at seams (corner c of face f has vertex faces[3f+c] and UV
// faces_uv[3f+c]) to a GPU vertex list with one entry per unique (vertex, uv) pair. Built once
// per topology; per-frame updates then gather V positions into the R render vertices.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace faceg2e::render {

struct CornerRemap {
  std::vector<std::uint32_t> render_to_vertex;  // R: the mesh vertex of each render vertex
  std::vector<std::uint32_t> render_to_uv;      // R: its UV index
  std::vector<std::uint32_t> indices;           // F*3 render-vertex indices
  std::size_t num_vertices = 0;                 // V the remap was built for
};

// `faces_uv` empty: UVs are per vertex (uv index = vertex index). Throws faceg2e::Error when an
// index is out of range or the arrays disagree in length.
CornerRemap build_corner_remap(const std::vector<std::int32_t>& faces,
                               const std::vector<std::int32_t>& faces_uv, std::size_t num_vertices,
                               std::size_t num_uvs);

// out[r*C + k] = per_vertex[render_to_vertex[r]*C + k] for k < C.
template <typename T>
void gather_per_vertex(const CornerRemap& remap, const T* per_vertex, int components, T* out) {
  const std::size_t n = remap.render_to_vertex.size();
  for (std::size_t r = 0; r < n; ++r) {
    const T* src = per_vertex + static_cast<std::size_t>(remap.render_to_vertex[r]) * components;
    for (int k = 0; k < components; ++k) out[r * components + k] = src[k];
  }
}

}  // namespace faceg2e::render
