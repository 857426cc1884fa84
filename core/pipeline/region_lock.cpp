#include "core/pipeline/region_lock.h"

#include <algorithm>

#include "core/util/error.h"

namespace faceg2e::pipeline {

std::vector<std::int16_t> atlas_region_labels(const face::FaceAssets& assets, int size) {
  const face::RegionLabels* regions = assets.region_labels();
  if (!regions)
    throw Error("region lock: no region labels were found for the face model " +
                assets.model_path.string() +
                " (regions.json beside it or in the shared data folder)");
  if (size < 8) throw Error("region lock: atlas size " + std::to_string(size) + " too small");
  const face::FaceModel& m = assets.model;
  const face::UvAtlas& atlas = assets.atlas;
  std::vector<std::int16_t> out(static_cast<std::size_t>(size) * size, -1);
  for (int f = 0; f < m.num_faces; ++f) {
    if (!atlas.face_in_atlas[f] || !assets.is_drawn(f)) continue;
    float u[3], v[3];
    int vi[3];
    for (int k = 0; k < 3; ++k) {
      const int t = m.faces_uv[3 * f + k];
      u[k] = atlas.uvs[2 * t];
      v[k] = atlas.uvs[2 * t + 1];
      vi[k] = m.faces[3 * f + k];
    }
    face::for_each_texel_in_triangle(u, v, size, [&](int x, int y, float b0, float b1, float b2) {
      const int k = (b0 >= b1 && b0 >= b2) ? 0 : (b1 >= b2 ? 1 : 2);
      out[static_cast<std::size_t>(y) * size + x] = regions->vertex_labels[vi[k]];
    });
  }
  // The face cell: the label image of tile 0, finer than the vertex labels.
  const Image8& L = regions->uv_labels;
  if (!L.empty()) {
    const face::AtlasCell& cell = atlas.cells[face::kCellFace];
    const face::PixelRect r = face::to_pixels(cell.rect, size);
    for (int y = r.y0; y < r.y1; ++y)
      for (int x = r.x0; x < r.x1; ++x) {
        std::int16_t& o = out[static_cast<std::size_t>(y) * size + x];
        if (o < 0) continue;  // no surface here
        const float uu = (x + 0.5f) / size, vv = 1.0f - (y + 0.5f) / size;
        const float lu = (uu - cell.content.u0) / (cell.content.u1 - cell.content.u0);
        const float lv = (vv - cell.content.v0) / (cell.content.v1 - cell.content.v0);
        if (lu < 0 || lu > 1 || lv < 0 || lv > 1) continue;
        const int lx = std::clamp(static_cast<int>(lu * L.width), 0, L.width - 1);
        const int ly = std::clamp(static_cast<int>((1.0f - lv) * L.height), 0, L.height - 1);
        const int label = L.pixels[(static_cast<std::size_t>(ly) * L.width + lx) * L.channels];
        if (label > 0 && label < static_cast<int>(regions->names.size()))
          o = static_cast<std::int16_t>(label);
      }
  }
  return out;
}

std::vector<int> region_ids(const face::RegionLabels& labels,
                            const std::vector<std::string>& names) {
  std::vector<int> ids;
  auto add = [&](const std::string& n) {
    const int id = labels.find(n);
    if (id < 0) return false;
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    return true;
  };
  for (const auto& n : names) {
    bool ok = false;
    if (n == "eyes") {
      ok = add("eye_region_l") | add("eye_region_r") | add("eyeball");
    } else if (n == "brows") {
      ok = add("brow_l") | add("brow_r");
    } else if (n == "mouth") {
      ok = add("lips") | add("gums_tongue") | add("teeth");
    } else {
      ok = n != "background" && add(n);
    }
    if (!ok) {
      std::string known = "eyes, brows, mouth";
      for (const auto& l : labels.names)
        if (l != "background") known += ", " + l;
      throw Error("unknown region '" + n + "' (known: " + known + ")");
    }
  }
  return ids;
}

std::vector<float> region_membership(const std::vector<std::int16_t>& labels, int size,
                                     const std::vector<int>& ids, int feather_texels) {
  FACEG2E_CHECK(labels.size() == static_cast<std::size_t>(size) * size,
                "region labels size mismatch");
  const std::size_t n = labels.size();
  std::vector<std::uint8_t> in(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    in[i] = labels[i] >= 0 && std::find(ids.begin(), ids.end(), labels[i]) != ids.end();
  const int f = std::max(0, feather_texels);
  // Sum of f+1 successive 3x3 erosions: a texel k texels inside the border gets min(k, f+1)/(f+1).
  std::vector<float> out(n, 0.0f);
  std::vector<std::uint8_t> cur = in, next(n);
  for (int k = 0; k <= f; ++k) {
    for (std::size_t i = 0; i < n; ++i) out[i] += cur[i];
    if (k == f) break;
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        std::uint8_t keep = cur[static_cast<std::size_t>(y) * size + x];
        for (int dy = -1; dy <= 1 && keep; ++dy)
          for (int dx = -1; dx <= 1 && keep; ++dx) {
            const int yy = y + dy, xx = x + dx;
            if (yy < 0 || yy >= size || xx < 0 || xx >= size ||
                !cur[static_cast<std::size_t>(yy) * size + xx])
              keep = 0;
          }
        next[static_cast<std::size_t>(y) * size + x] = keep;
      }
    std::swap(cur, next);
  }
  for (auto& v : out) v /= static_cast<float>(f + 1);
  return out;
}

}  // namespace faceg2e::pipeline
