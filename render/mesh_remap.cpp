#include "render/mesh_remap.h"

#include <string>
#include <unordered_map>

#include "core/util/error.h"

namespace faceg2e::render {

CornerRemap build_corner_remap(const std::vector<std::int32_t>& faces,
                               const std::vector<std::int32_t>& faces_uv, std::size_t num_vertices,
                               std::size_t num_uvs) {
  if (faces.size() % 3 != 0)
    throw Error("mesh: faces has " + std::to_string(faces.size()) +
                " entries, not a multiple of 3");
  const bool per_corner_uv = !faces_uv.empty();
  if (per_corner_uv && faces_uv.size() != faces.size())
    throw Error("mesh: faces_uv has " + std::to_string(faces_uv.size()) +
                " entries but faces has " + std::to_string(faces.size()));
  if (!per_corner_uv && num_uvs != 0 && num_uvs != num_vertices)
    throw Error("mesh: per-vertex UVs need one UV per vertex (" + std::to_string(num_uvs) +
                " UVs, " + std::to_string(num_vertices) + " vertices)");

  CornerRemap remap;
  remap.num_vertices = num_vertices;
  remap.indices.resize(faces.size());
  std::unordered_map<std::uint64_t, std::uint32_t> seen;
  seen.reserve(faces.size() / 2);
  for (std::size_t c = 0; c < faces.size(); ++c) {
    const std::int32_t v = faces[c];
    if (v < 0 || static_cast<std::size_t>(v) >= num_vertices)
      throw Error("mesh: face corner " + std::to_string(c) + " has vertex index " +
                  std::to_string(v) + " outside [0, " + std::to_string(num_vertices) + ")");
    std::int32_t t = v;
    if (per_corner_uv) {
      t = faces_uv[c];
      if (t < 0 || static_cast<std::size_t>(t) >= num_uvs)
        throw Error("mesh: face corner " + std::to_string(c) + " has uv index " +
                    std::to_string(t) + " outside [0, " + std::to_string(num_uvs) + ")");
    }
    const std::uint64_t key = (static_cast<std::uint64_t>(v) << 32) | static_cast<std::uint32_t>(t);
    auto [it, inserted] =
        seen.emplace(key, static_cast<std::uint32_t>(remap.render_to_vertex.size()));
    if (inserted) {
      remap.render_to_vertex.push_back(static_cast<std::uint32_t>(v));
      remap.render_to_uv.push_back(static_cast<std::uint32_t>(t));
    }
    remap.indices[c] = it->second;
  }
  return remap;
}

}  // namespace faceg2e::render
