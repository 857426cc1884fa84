#include "core/session/export_gltf.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#include "core/face/face_assets.h"
#include "core/session/project.h"
#include "core/util/atomic_file.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"

namespace faceg2e::session {
namespace {

// glTF 2.0 constants (spec section 5).
constexpr int kFloat = 5126, kUnsignedShort = 5123, kUnsignedInt = 5125;
constexpr int kArrayBuffer = 34962, kElementArrayBuffer = 34963;
constexpr int kLinear = 9729, kLinearMipmapLinear = 9987, kClampToEdge = 33071;
constexpr std::uint32_t kGlbMagic = 0x46546C67;  // "glTF"
constexpr std::uint32_t kChunkJson = 0x4E4F534A, kChunkBin = 0x004E4942;
// The model is in centimetres; glTF is in metres.
constexpr float kMetresPerModelUnit = 0.01f;

// Apple's ARFaceAnchor.BlendShapeLocation names, in the order Live Link Face writes them.
constexpr const char* kArkitNames[] = {
    "eyeBlinkLeft",      "eyeLookDownLeft",    "eyeLookInLeft",
    "eyeLookOutLeft",    "eyeLookUpLeft",      "eyeSquintLeft",
    "eyeWideLeft",       "eyeBlinkRight",      "eyeLookDownRight",
    "eyeLookInRight",    "eyeLookOutRight",    "eyeLookUpRight",
    "eyeSquintRight",    "eyeWideRight",       "jawForward",
    "jawLeft",           "jawRight",           "jawOpen",
    "mouthClose",        "mouthFunnel",        "mouthPucker",
    "mouthLeft",         "mouthRight",         "mouthSmileLeft",
    "mouthSmileRight",   "mouthFrownLeft",     "mouthFrownRight",
    "mouthDimpleLeft",   "mouthDimpleRight",   "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower",     "mouthRollUpper",
    "mouthShrugLower",   "mouthShrugUpper",    "mouthPressLeft",
    "mouthPressRight",   "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthUpperUpLeft",  "mouthUpperUpRight",  "browDownLeft",
    "browDownRight",     "browInnerUp",        "browOuterUpLeft",
    "browOuterUpRight",  "cheekPuff",          "cheekSquintLeft",
    "cheekSquintRight",  "noseSneerLeft",      "noseSneerRight",
    "tongueOut",
};

// The model's "_L"/"_R" suffix as ARKit's "Left"/"Right".
std::string arkit_spelling(const std::string& model_name) {
  auto ends = [&](const char* s) {
    const std::size_t n = std::strlen(s);
    return model_name.size() > n && model_name.compare(model_name.size() - n, n, s) == 0;
  };
  if (ends("_L")) return model_name.substr(0, model_name.size() - 2) + "Left";
  if (ends("_R")) return model_name.substr(0, model_name.size() - 2) + "Right";
  return model_name;
}

// Appends bytes to the BIN chunk and records buffer views and accessors.
class BinBuilder {
 public:
  // A buffer view over `bytes` bytes of `data`, 4-byte aligned; target 0 = none.
  int add_view(const void* data, std::size_t bytes, int target) {
    pad();
    nlohmann::json v = {{"buffer", 0}, {"byteOffset", bin_.size()}, {"byteLength", bytes}};
    if (target) v["target"] = target;
    bin_.append(static_cast<const char*>(data), bytes);
    views_.push_back(std::move(v));
    return int(views_.size()) - 1;
  }
  int add_accessor(nlohmann::json a) {
    accessors_.push_back(std::move(a));
    return int(accessors_.size()) - 1;
  }
  void pad() { bin_.resize((bin_.size() + 3) & ~std::size_t(3), '\0'); }
  std::string& bin() { return bin_; }
  nlohmann::json& views() { return views_; }
  nlohmann::json& accessors() { return accessors_; }

 private:
  std::string bin_;
  nlohmann::json views_ = nlohmann::json::array();
  nlohmann::json accessors_ = nlohmann::json::array();
};

void min_max3(const std::vector<float>& xyz, nlohmann::json& a) {
  float lo[3], hi[3];
  for (int k = 0; k < 3; ++k) {
    lo[k] = std::numeric_limits<float>::infinity();
    hi[k] = -lo[k];
  }
  for (std::size_t i = 0; i < xyz.size(); i += 3)
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], xyz[i + k]);
      hi[k] = std::max(hi[k], xyz[i + k]);
    }
  a["min"] = {lo[0], lo[1], lo[2]};
  a["max"] = {hi[0], hi[1], hi[2]};
}

// One primitive: its triangles (local indices) and the model vertex / UV index of each vertex.
struct PrimitiveGeometry {
  std::vector<std::uint32_t> indices;
  std::vector<std::int32_t> model_vertex;
  std::vector<std::int32_t> uv_index;
};

std::vector<PrimitiveGeometry> split_primitives(const face::FaceModel& m,
                                                const face::UvAtlas& atlas) {
  std::vector<PrimitiveGeometry> prims(kNumGlbParts);
  std::vector<std::unordered_map<std::int64_t, std::uint32_t>> lookup(kNumGlbParts);
  const std::vector<std::uint8_t> drawn = face::drawn_triangles(m, atlas);
  for (int f = 0; f < m.num_faces; ++f) {
    if (!drawn[f]) continue;
    const int part = glb_part_of(m.face_part[f]);
    if (part < 0) continue;
    PrimitiveGeometry& p = prims[part];
    for (int k = 0; k < 3; ++k) {
      const std::int32_t v = m.faces[3 * f + k], t = m.faces_uv[3 * f + k];
      // One glTF vertex per (vertex, UV) pair: a split only where the UVs have a seam.
      const std::int64_t key = std::int64_t(v) * m.num_uvs + t;
      auto [it, inserted] = lookup[part].emplace(key, std::uint32_t(p.model_vertex.size()));
      if (inserted) {
        p.model_vertex.push_back(v);
        p.uv_index.push_back(t);
      }
      p.indices.push_back(it->second);
    }
  }
  return prims;
}

// Per-vertex values of `full` (V*3) gathered for a primitive's vertices, scaled.
std::vector<float> gather3(const std::vector<float>& full, const PrimitiveGeometry& p,
                           float scale) {
  std::vector<float> out(p.model_vertex.size() * 3);
  for (std::size_t i = 0; i < p.model_vertex.size(); ++i)
    for (int k = 0; k < 3; ++k)
      out[3 * i + k] = full[3 * std::size_t(p.model_vertex[i]) + k] * scale;
  return out;
}

// Normals with a fallback for vertices whose triangles are all degenerate: glTF requires unit
// normals (the validator errors on zero ones).
std::vector<float> unit_normals(const std::vector<float>& positions,
                                const std::vector<std::int32_t>& faces) {
  std::vector<float> n = face::vertex_normals(positions, faces);
  for (std::size_t i = 0; i < n.size(); i += 3)
    if (n[i] == 0.0f && n[i + 1] == 0.0f && n[i + 2] == 0.0f) n[i + 2] = 1.0f;
  return n;
}

// A VEC3 float morph-target accessor over `delta` (n*3), dense or sparse by `storage`, with
// min/max when `bounds` (required for POSITION). Deltas that are exactly zero are left out of a
// sparse accessor, and an all-zero accessor has no data at all (glTF: zeros).
int add_delta_accessor(BinBuilder& b, const std::vector<float>& delta, MorphStorage storage,
                       bool bounds, bool allow_empty, GlbBuild& stats) {
  const std::size_t n = delta.size() / 3;
  std::vector<std::uint32_t> moved;
  for (std::size_t i = 0; i < n; ++i)
    if (delta[3 * i] != 0.0f || delta[3 * i + 1] != 0.0f || delta[3 * i + 2] != 0.0f)
      moved.push_back(std::uint32_t(i));
  nlohmann::json a = {{"componentType", kFloat}, {"count", n}, {"type", "VEC3"}};
  if (bounds) min_max3(delta, a);
  if (moved.empty() && (allow_empty || storage != MorphStorage::kDense)) {
    ++stats.empty_accessors;
    return b.add_accessor(std::move(a));
  }
  const bool short_indices = n <= 65536;
  const std::size_t index_bytes = short_indices ? 2 : 4;
  const std::size_t pad = (index_bytes * moved.size()) % 4 ? 2 : 0;
  const std::size_t sparse_bytes = moved.size() * (index_bytes + 12) + pad;
  const std::size_t dense_bytes = n * 12;
  const bool sparse = storage == MorphStorage::kSparse ||
                      (storage == MorphStorage::kAuto && sparse_bytes < dense_bytes);
  if (!sparse) {
    ++stats.dense_accessors;
    a["bufferView"] = b.add_view(delta.data(), delta.size() * sizeof(float), kArrayBuffer);
    return b.add_accessor(std::move(a));
  }
  ++stats.sparse_accessors;
  std::vector<float> values;
  values.reserve(moved.size() * 3);
  for (auto i : moved)
    for (int k = 0; k < 3; ++k) values.push_back(delta[3 * std::size_t(i) + k]);
  int index_view;
  if (short_indices) {
    std::vector<std::uint16_t> idx(moved.begin(), moved.end());
    index_view = b.add_view(idx.data(), idx.size() * 2, 0);
  } else {
    index_view = b.add_view(moved.data(), moved.size() * 4, 0);
  }
  const int value_view = b.add_view(values.data(), values.size() * sizeof(float), 0);
  a["sparse"] = {{"count", moved.size()},
                 {"indices",
                  {{"bufferView", index_view},
                   {"componentType", short_indices ? kUnsignedShort : kUnsignedInt}}},
                 {"values", {{"bufferView", value_view}}}};
  return b.add_accessor(std::move(a));
}

void put_u32(std::string& s, std::uint32_t v) {
  char b[4];
  std::memcpy(b, &v, 4);  // GLB is little-endian, as every platform we build for
  s.append(b, 4);
}

}  // namespace

BlendshapeNames parse_blendshape_names(const std::string& s) {
  if (s == "arkit") return BlendshapeNames::kArkit;
  if (s == "model") return BlendshapeNames::kModel;
  throw Error("blendshape names '" + s + "': expected 'arkit' or 'model'");
}

const char* to_string(BlendshapeNames n) {
  return n == BlendshapeNames::kArkit ? "arkit" : "model";
}

const char* glb_part_name(int part) {
  switch (part) {
    case kPartHead:
      return "head";
    case kPartEyes:
      return "eyes";
    case kPartTeeth:
      return "teeth";
    case kPartMouthInterior:
      return "mouth_interior";
    default:
      return "?";
  }
}

int glb_part_of(int face_part) {
  // Upstream part ids (face_model.h / the ICT README): 0 face, 1 head and neck, 2 mouth socket,
  // 3-4 eye sockets, 5 gums and tongue, 6 teeth, 7-8 eyeballs, 9-14 tear film and eye overlays,
  // 15-16 eyelashes.
  switch (face_part) {
    case 0:
    case 1:
    case 3:
    case 4:
      return kPartHead;
    case 7:
    case 8:
      return kPartEyes;
    case 6:
      return kPartTeeth;
    case 2:
    case 5:
      return kPartMouthInterior;
    default:
      return -1;
  }
}

std::vector<GlbTarget> glb_targets(const std::vector<std::string>& names, BlendshapeNames mode) {
  std::vector<GlbTarget> out;
  if (mode == BlendshapeNames::kModel) {
    for (std::size_t j = 0; j < names.size(); ++j) out.push_back({names[j], {int(j)}});
    return out;
  }
  std::vector<int> used(names.size(), 0);
  for (const char* arkit : kArkitNames) {
    GlbTarget t{arkit, {}};
    for (std::size_t j = 0; j < names.size(); ++j)
      if (arkit_spelling(names[j]) == arkit) t.model_expressions.push_back(int(j));
    // ARKit's single browInnerUp / cheekPuff: the model splits them into left and right.
    if (t.model_expressions.empty())
      for (std::size_t j = 0; j < names.size(); ++j) {
        const std::string s = arkit_spelling(names[j]);
        if (s == std::string(arkit) + "Left" || s == std::string(arkit) + "Right")
          t.model_expressions.push_back(int(j));
      }
    for (int j : t.model_expressions) ++used[j];
    out.push_back(std::move(t));
  }
  for (std::size_t j = 0; j < names.size(); ++j)
    if (used[j] != 1)
      throw Error("GLB export: the model expression '" + names[j] +
                  "' has no ARKit counterpart; use --blendshape-names model");
  return out;
}

Image8 glb_roughness_texture(const face::UvAtlas& atlas, const face::RegionLabels* regions,
                             const GlbMaterialParams& params, int size) {
  if (!regions || regions->uv_labels.empty() || size <= 0) return {};
  const int lips = regions->find("lips");
  if (lips < 0) return {};
  FACEG2E_CHECK(params.roughness_head > 0 && params.roughness_lips <= params.roughness_head,
                "lip roughness must not exceed the head's (the texture scales the head factor)");
  const Image8& labels = regions->uv_labels;
  const std::uint8_t lip_g =
      std::uint8_t(std::lround(255.0 * params.roughness_lips / params.roughness_head));
  Image8 out;
  out.width = out.height = size;
  out.channels = 3;
  out.pixels.resize(std::size_t(size) * size * 3);
  for (std::size_t i = 0; i < out.pixels.size(); i += 3) {
    out.pixels[i] = 255;
    out.pixels[i + 1] = 255;
    out.pixels[i + 2] = 0;
  }
  // The label image covers UV tile 0, which the face cell holds inset by its margin.
  const face::AtlasRect& c = atlas.cells.at(face::kCellFace).content;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const float u = (x + 0.5f) / size, v = 1.0f - (y + 0.5f) / size;
      if (!c.contains(u, v)) continue;
      const float tu = (u - c.u0) / (c.u1 - c.u0), tv = (v - c.v0) / (c.v1 - c.v0);
      const int lx = std::clamp(int(tu * labels.width), 0, labels.width - 1);
      const int ly = std::clamp(int((1.0f - tv) * labels.height), 0, labels.height - 1);
      const std::uint8_t label =
          labels.pixels[(std::size_t(ly) * labels.width + lx) * std::size_t(labels.channels)];
      if (label == lips) out.pixels[(std::size_t(y) * size + x) * 3 + 1] = lip_g;
    }
  return out;
}

GlbBuild build_glb(const face::FaceModel& m, const face::UvAtlas& atlas,
                   const face::FaceCoefficients& coeffs, const Image8& albedo,
                   const nlohmann::json& asset_extras, const GlbOptions& opt,
                   const face::RegionLabels* regions) {
  check_coefficients(coeffs, m, "GLB export");
  FACEG2E_CHECK(atlas.uvs.size() == std::size_t(m.num_uvs) * 2 &&
                    atlas.face_opaque.size() == std::size_t(m.num_faces),
                "atlas does not match the model");
  if (albedo.empty() || albedo.width != albedo.height)
    throw Error("GLB export: the albedo texture must be a non-empty square image");
  FACEG2E_CHECK(
      m.expression_basis.size() == std::size_t(m.num_expression) * std::size_t(m.num_vertices) * 3,
      "expression basis size");

  GlbBuild out;
  out.targets = glb_targets(m.expression_names, opt.names);
  auto weight_of = [&](int j) {
    return std::size_t(j) < coeffs.expression.size() ? coeffs.expression[std::size_t(j)] : 0.0f;
  };
  for (const auto& t : out.targets) {
    float w = 0.0f, lo = 1e30f, hi = -1e30f;
    for (int j : t.model_expressions) {
      w += weight_of(j);
      lo = std::min(lo, weight_of(j));
      hi = std::max(hi, weight_of(j));
    }
    if (t.model_expressions.size() > 1 && hi != lo)
      out.notes.push_back(t.name + ": the model's weights differ between its sides (" +
                          std::to_string(lo) + " to " + std::to_string(hi) +
                          "); one target carries their mean, so the GLB's default shape differs "
                          "from the OBJ there");
    // A summed pair (browInnerUp, cheekPuff) gets the mean: exact when both sides are equal.
    out.weights.push_back(t.model_expressions.empty() ? 0.0f
                                                      : w / float(t.model_expressions.size()));
  }

  // Base shape: the identity, no expression (the default weights add the expression back).
  face::FaceCoefficients base_coeffs;
  base_coeffs.identity = coeffs.identity;
  const std::vector<float> base = face::assemble_vertices(m, base_coeffs);
  const std::vector<float> base_normals = unit_normals(base, m.faces);
  const auto prims = split_primitives(m, atlas);

  BinBuilder bin;
  const std::size_t V = std::size_t(m.num_vertices);
  // Accessor ids of each primitive's morph targets.
  std::vector<std::vector<int>> target_pos(prims.size()), target_nrm(prims.size());
  nlohmann::json primitives = nlohmann::json::array();
  // Attributes first (one view each: vertex attribute views shared by several accessors would
  // need a byteStride).
  std::vector<nlohmann::json> attr(prims.size());
  std::vector<int> index_accessor(prims.size(), -1);
  for (std::size_t p = 0; p < prims.size(); ++p) {
    const auto& g = prims[p];
    GlbPrimitiveRange range;
    range.name = glb_part_name(int(p));
    range.first_vertex = int(out.vertex_map.size());
    range.vertex_count = int(g.model_vertex.size());
    range.triangle_count = int(g.indices.size() / 3);
    out.primitives.push_back(range);
    out.vertex_map.insert(out.vertex_map.end(), g.model_vertex.begin(), g.model_vertex.end());
    if (g.indices.empty()) continue;
    const std::size_t n = g.model_vertex.size();

    std::vector<float> pos = gather3(base, g, kMetresPerModelUnit);
    nlohmann::json a = {{"componentType", kFloat}, {"count", n}, {"type", "VEC3"}};
    min_max3(pos, a);
    a["bufferView"] = bin.add_view(pos.data(), pos.size() * 4, kArrayBuffer);
    attr[p]["POSITION"] = bin.add_accessor(std::move(a));

    std::vector<float> nrm = gather3(base_normals, g, 1.0f);
    attr[p]["NORMAL"] =
        bin.add_accessor({{"componentType", kFloat},
                          {"count", n},
                          {"type", "VEC3"},
                          {"bufferView", bin.add_view(nrm.data(), nrm.size() * 4, kArrayBuffer)}});

    std::vector<float> uv(n * 2);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t t = std::size_t(g.uv_index[i]);
      uv[2 * i] = atlas.uvs[2 * t];
      uv[2 * i + 1] = 1.0f - atlas.uvs[2 * t + 1];  // glTF: origin top-left
    }
    attr[p]["TEXCOORD_0"] =
        bin.add_accessor({{"componentType", kFloat},
                          {"count", n},
                          {"type", "VEC2"},
                          {"bufferView", bin.add_view(uv.data(), uv.size() * 4, kArrayBuffer)}});

    nlohmann::json ia = {{"count", g.indices.size()}, {"type", "SCALAR"}};
    // 16-bit indices when every index is below 65535 (the primitive-restart value).
    if (n < 65535) {
      std::vector<std::uint16_t> idx(g.indices.begin(), g.indices.end());
      ia["componentType"] = kUnsignedShort;
      ia["bufferView"] = bin.add_view(idx.data(), idx.size() * 2, kElementArrayBuffer);
    } else {
      ia["componentType"] = kUnsignedInt;
      ia["bufferView"] = bin.add_view(g.indices.data(), g.indices.size() * 4, kElementArrayBuffer);
    }
    index_accessor[p] = bin.add_accessor(std::move(ia));
  }

  // Morph targets, target by target over the whole mesh, then gathered per primitive.
  std::vector<float> delta(V * 3), moved(V * 3);
  for (const auto& t : out.targets) {
    std::fill(delta.begin(), delta.end(), 0.0f);
    for (int j : t.model_expressions) {
      const float* e = &m.expression_basis[std::size_t(j) * V * 3];
      for (std::size_t i = 0; i < V * 3; ++i) delta[i] += e[i];
    }
    std::vector<float> nrm_delta;
    if (opt.morph_normals && !t.model_expressions.empty()) {
      for (std::size_t i = 0; i < V * 3; ++i) moved[i] = base[i] + delta[i];
      nrm_delta = unit_normals(moved, m.faces);
      for (std::size_t i = 0; i < V * 3; ++i) nrm_delta[i] -= base_normals[i];
      const float eps2 = opt.morph_normal_epsilon * opt.morph_normal_epsilon;
      for (std::size_t i = 0; i < V * 3; i += 3) {
        float* d = &nrm_delta[i];
        if (d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < eps2) d[0] = d[1] = d[2] = 0.0f;
      }
    }
    for (std::size_t p = 0; p < prims.size(); ++p) {
      if (prims[p].indices.empty()) continue;
      const bool zero_target = t.model_expressions.empty();
      target_pos[p].push_back(add_delta_accessor(bin, gather3(delta, prims[p], kMetresPerModelUnit),
                                                 opt.storage, true, zero_target, out));
      if (opt.morph_normals) {
        const std::vector<float> d = zero_target
                                         ? std::vector<float>(prims[p].model_vertex.size() * 3)
                                         : gather3(nrm_delta, prims[p], 1.0f);
        target_nrm[p].push_back(add_delta_accessor(bin, d, opt.storage, false, zero_target, out));
      }
    }
  }

  // The textures: albedo, and the head's roughness when the lips can be found.
  const std::string png = encode_png(albedo, "GLB albedo texture");
  const int image_view = bin.add_view(png.data(), png.size(), 0);
  const Image8 rough =
      glb_roughness_texture(atlas, regions, opt.material, opt.material.roughness_texture_size);
  int rough_view = -1;
  if (!rough.empty()) {
    const std::string rough_png = encode_png(rough, "GLB roughness texture");
    rough_view = bin.add_view(rough_png.data(), rough_png.size(), 0);
  }
  bin.pad();

  const double roughness[kNumGlbParts] = {opt.material.roughness_head, opt.material.roughness_eyes,
                                          opt.material.roughness_teeth,
                                          opt.material.roughness_mouth_interior};
  nlohmann::json materials = nlohmann::json::array();
  for (int p = 0; p < kNumGlbParts; ++p) {
    materials.push_back({{"name", glb_part_name(p)},
                         {"pbrMetallicRoughness",
                          {{"baseColorTexture", {{"index", 0}}},
                           {"metallicFactor", 0.0},
                           {"roughnessFactor", roughness[p]}}}});
    if (p == kPartHead && rough_view >= 0)
      materials.back()["pbrMetallicRoughness"]["metallicRoughnessTexture"] = {{"index", 1}};
  }
  nlohmann::json used_materials = nlohmann::json::array();
  for (std::size_t p = 0; p < prims.size(); ++p) {
    if (prims[p].indices.empty()) continue;
    nlohmann::json targets = nlohmann::json::array();
    for (std::size_t k = 0; k < out.targets.size(); ++k) {
      nlohmann::json tk = {{"POSITION", target_pos[p][k]}};
      if (opt.morph_normals) tk["NORMAL"] = target_nrm[p][k];
      targets.push_back(std::move(tk));
    }
    used_materials.push_back(materials[p]);
    primitives.push_back({{"attributes", attr[p]},
                          {"indices", index_accessor[p]},
                          {"material", int(used_materials.size()) - 1},
                          {"mode", 4},
                          {"targets", std::move(targets)}});
  }

  std::vector<std::string> names;
  for (const auto& t : out.targets) names.push_back(t.name);
  nlohmann::json asset = {{"version", "2.0"}, {"generator", "FaceG2E " + app_version()}};
  asset["copyright"] =
      "Face model: ICT-FaceKit, MIT licence, Copyright (c) 2020 USC Institute for Creative "
      "Technologies (full text in asset.extras.face_model.license_text)";
  if (!asset_extras.is_null()) asset["extras"] = asset_extras;

  nlohmann::json j = {
      {"asset", asset},
      {"scene", 0},
      {"scenes", {{{"name", "FaceG2E"}, {"nodes", {0}}}}},
      {"nodes", {{{"name", "face"}, {"mesh", 0}}}},
      {"meshes",
       {{{"name", "face"},
         {"primitives", primitives},
         {"weights", out.weights},
         {"extras", {{"targetNames", names}}}}}},
      {"materials", used_materials},
      {"samplers",
       {{{"magFilter", kLinear},
         {"minFilter", kLinearMipmapLinear},
         {"wrapS", kClampToEdge},
         {"wrapT", kClampToEdge}}}},
      {"images", {{{"name", "albedo"}, {"mimeType", "image/png"}, {"bufferView", image_view}}}},
      {"textures", {{{"sampler", 0}, {"source", 0}}}},
      {"accessors", bin.accessors()},
      {"bufferViews", bin.views()},
      {"buffers", {{{"byteLength", bin.bin().size()}}}},
  };
  if (rough_view >= 0) {
    j["images"].push_back(
        {{"name", "roughness"}, {"mimeType", "image/png"}, {"bufferView", rough_view}});
    j["textures"].push_back({{"sampler", 0}, {"source", 1}});
  }
  std::string json = j.dump();
  json.resize((json.size() + 3) & ~std::size_t(3), ' ');  // JSON chunk: padded with spaces

  const std::size_t total = 12 + 8 + json.size() + 8 + bin.bin().size();
  if (total > std::numeric_limits<std::uint32_t>::max())
    throw Error("GLB export: the file would exceed 4 GiB");
  out.bytes.reserve(total);
  put_u32(out.bytes, kGlbMagic);
  put_u32(out.bytes, 2);
  put_u32(out.bytes, std::uint32_t(total));
  put_u32(out.bytes, std::uint32_t(json.size()));
  put_u32(out.bytes, kChunkJson);
  out.bytes += json;
  put_u32(out.bytes, std::uint32_t(bin.bin().size()));
  put_u32(out.bytes, kChunkBin);
  out.bytes += bin.bin();
  return out;
}

GlbWritten write_glb(const std::filesystem::path& file, const face::FaceModel& model,
                     const face::UvAtlas& atlas, const face::FaceCoefficients& coeffs,
                     const Image8& albedo, const nlohmann::json& asset_extras,
                     const GlbOptions& options, const face::RegionLabels* regions) {
  GlbWritten w;
  w.build = build_glb(model, atlas, coeffs, albedo, asset_extras, options, regions);
  w.file_size = w.build.bytes.size();
  write_file_atomic(file, w.build.bytes);
  w.build.bytes.clear();
  w.build.bytes.shrink_to_fit();
  return w;
}

nlohmann::json glb_sidecar_json(const GlbBuild& b, const std::string& file_name,
                                const GlbOptions& options) {
  nlohmann::json targets = nlohmann::json::array();
  for (std::size_t k = 0; k < b.targets.size(); ++k)
    targets.push_back({{"name", b.targets[k].name},
                       {"model_expressions", b.targets[k].model_expressions},
                       {"weight", b.weights[k]}});
  nlohmann::json prims = nlohmann::json::array();
  for (const auto& p : b.primitives)
    prims.push_back({{"name", p.name},
                     {"first", p.first_vertex},
                     {"count", p.vertex_count},
                     {"triangles", p.triangle_count}});
  return {{"file", file_name},
          {"notes", b.notes},
          {"units", "metres"},
          {"metres_per_model_unit", kMetresPerModelUnit},
          {"axes", "right-handed, +Y up, the face looks toward +Z"},
          {"blendshape_names", to_string(options.names)},
          {"morph_normals", options.morph_normals},
          {"morph_normal_epsilon", options.morph_normal_epsilon},
          {"targets", targets},
          {"vertex_map", {{"primitives", prims}, {"model_vertex", b.vertex_map}}}};
}

}  // namespace faceg2e::session
