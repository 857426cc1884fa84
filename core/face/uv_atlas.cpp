#include "core/face/uv_atlas.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/util/error.h"

namespace faceg2e::face {
namespace {

constexpr float kUnit = 0.25f;  // the layout grid

AtlasCell make_cell(const char* name, float u0, float v0, float units, int tile, float margin) {
  AtlasCell c;
  c.name = name;
  c.rect = {u0, v0, u0 + units * kUnit, v0 + units * kUnit};
  const float m = margin * units * kUnit;
  c.content = {c.rect.u0 + m, c.rect.v0 + m, c.rect.u1 - m, c.rect.v1 - m};
  c.source_tile = tile;
  return c;
}

struct MaterialRole {
  int cell;  // AtlasCellIndex
  bool opaque;
};

// Upstream material -> atlas cell. Materials not listed here are an error (unknown model).
const std::map<std::string, MaterialRole>& material_roles() {
  static const std::map<std::string, MaterialRole> roles = {
      {"M_Face", {kCellFace, true}},
      {"M_BackHead", {kCellHead, true}},
      {"M_ScleraLeft", {kCellSclera, true}},
      {"M_ScleraRight", {kCellSclera, true}},
      {"M_IrisLeft", {kCellIris, true}},
      {"M_IrisRight", {kCellIris, true}},
      {"M_GumsTongue", {kCellGumsTongue, true}},
      {"M_Teeth", {kCellTeeth, true}},
      {"M_EyeLashes", {kCellUntextured, true}},
      {"M_LacrimalFluid", {kCellUntextured, false}},
      {"M_EyeBlend", {kCellUntextured, false}},
      {"M_EyeOcclusion", {kCellUntextured, false}},
  };
  return roles;
}

}  // namespace

UvAtlas build_uv_atlas(const FaceModel& model, const UvAtlasParams& params) {
  FACEG2E_CHECK(params.cell_margin >= 0.0f && params.cell_margin < 0.25f,
                "cell_margin out of range");
  UvAtlas a;
  const float m = params.cell_margin;
  a.cells.resize(kNumAtlasCells);
  a.cells[kCellFace] = make_cell("face", 0.0f, 0.25f, 3, 0, m);
  a.cells[kCellHead] = make_cell("head", 0.75f, 0.75f, 1, 1, m);
  a.cells[kCellSclera] = make_cell("sclera", 0.75f, 0.5f, 1, 0, m);
  a.cells[kCellIris] = make_cell("iris", 0.75f, 0.25f, 1, 0, m);
  a.cells[kCellGumsTongue] = make_cell("gums_tongue", 0.0f, 0.0f, 1, 2, m);
  a.cells[kCellTeeth] = make_cell("teeth", 0.25f, 0.0f, 1, 3, m);
  a.cells[kCellUntextured] = make_cell("untextured", 0.75f, 0.0f, 1, -1, m);
  const AtlasRect& ut = a.cells[kCellUntextured].rect;
  a.untextured_u = 0.5f * (ut.u0 + ut.u1);
  a.untextured_v = 0.5f * (ut.v0 + ut.v1);

  const auto& materials = model.meta.at("materials");
  std::vector<MaterialRole> role_of_material;
  for (const auto& mat : materials) {
    const std::string name = mat.get<std::string>();
    auto it = material_roles().find(name);
    if (it == material_roles().end())
      throw Error("build_uv_atlas: unknown material '" + name + "' in " + model.source.string());
    role_of_material.push_back(it->second);
  }

  const std::size_t F = static_cast<std::size_t>(model.num_faces);
  const std::size_t T = static_cast<std::size_t>(model.num_uvs);
  a.face_cell.resize(F);
  a.face_in_atlas.resize(F);
  a.face_opaque.resize(F);
  a.uv_cell.assign(T, -1);
  for (std::size_t f = 0; f < F; ++f) {
    const MaterialRole& role = role_of_material.at(model.face_material[f]);
    a.face_cell[f] = static_cast<std::int8_t>(role.cell);
    a.face_in_atlas[f] = role.cell != kCellUntextured;
    a.face_opaque[f] = role.opaque;
    for (int k = 0; k < 3; ++k) {
      std::int8_t& c = a.uv_cell[model.faces_uv[3 * f + k]];
      if (c >= 0 && c != role.cell)
        throw Error("build_uv_atlas: UV " + std::to_string(model.faces_uv[3 * f + k]) +
                    " is used by cells '" + a.cells[c].name + "' and '" + a.cells[role.cell].name +
                    "'");
      c = static_cast<std::int8_t>(role.cell);
    }
  }

  a.uvs.resize(2 * T);
  for (std::size_t t = 0; t < T; ++t) {
    if (a.uv_cell[t] < 0) a.uv_cell[t] = kCellUntextured;  // unused UV: park it with the others
    const AtlasCell& cell = a.cells[a.uv_cell[t]];
    if (cell.source_tile < 0) {
      a.uvs[2 * t] = a.untextured_u;
      a.uvs[2 * t + 1] = a.untextured_v;
      continue;
    }
    // The tile is known from the cell, so a UV exactly on a tile border (u = 1.0) stays put.
    const float lu = std::clamp(model.uvs[2 * t] - float(cell.source_tile), 0.0f, 1.0f);
    const float lv = std::clamp(model.uvs[2 * t + 1], 0.0f, 1.0f);
    a.uvs[2 * t] = cell.content.u0 + lu * (cell.content.u1 - cell.content.u0);
    a.uvs[2 * t + 1] = cell.content.v0 + lv * (cell.content.v1 - cell.content.v0);
  }
  return a;
}

PixelRect to_pixels(const AtlasRect& r, int size) {
  PixelRect p;
  p.x0 = std::max(0, int(std::floor(r.u0 * size)));
  p.x1 = std::min(size, int(std::ceil(r.u1 * size)));
  p.y0 = std::max(0, int(std::floor((1.0f - r.v1) * size)));
  p.y1 = std::min(size, int(std::ceil((1.0f - r.v0) * size)));
  return p;
}

std::vector<std::uint8_t> atlas_coverage(const FaceModel& model, const UvAtlas& atlas, int size) {
  FACEG2E_CHECK(size > 0, "atlas size must be positive");
  std::vector<std::uint8_t> mask(std::size_t(size) * size, 0);
  for (int f = 0; f < model.num_faces; ++f) {
    if (!atlas.face_in_atlas[f]) continue;
    float u[3], v[3];
    for (int k = 0; k < 3; ++k) {
      const int t = model.faces_uv[3 * f + k];
      u[k] = atlas.uvs[2 * t];
      v[k] = atlas.uvs[2 * t + 1];
    }
    for_each_texel_in_triangle(u, v, size, [&](int x, int y, float, float, float) {
      mask[std::size_t(y) * size + x] = 1;
    });
  }
  return mask;
}

std::vector<std::int8_t> atlas_cell_map(const UvAtlas& atlas, int size) {
  std::vector<std::int8_t> map(std::size_t(size) * size, -1);
  for (std::size_t c = 0; c < atlas.cells.size(); ++c) {
    const AtlasRect& r = atlas.cells[c].rect;
    for (int y = 0; y < size; ++y) {
      const float v = 1.0f - (y + 0.5f) / size;
      if (v < r.v0 || v > r.v1) continue;
      for (int x = 0; x < size; ++x) {
        const float u = (x + 0.5f) / size;
        if (u >= r.u0 && u <= r.u1) map[std::size_t(y) * size + x] = static_cast<std::int8_t>(c);
      }
    }
  }
  return map;
}

}  // namespace faceg2e::face
