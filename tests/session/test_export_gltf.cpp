// GLB export read back with tinygltf (Debian's libtinygltf-dev): base positions against the OBJ
// through the sidecar's vertex map, morph targets against the model's expression basis, the
// ARKit name table, texture and UVs, metadata, dense vs sparse storage, and failed writes.
#include <gtest/gtest.h>
#include <tiny_gltf.h>
#include <tiny_obj_loader.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "core/face/face_assets.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/session/export_gltf.h"
#include "core/session/export_obj.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/face/face_fixture.h"

namespace faceg2e::session {
namespace {

namespace fs = std::filesystem;
using face::testing::reference_model;
using face::testing::TempDir;

const face::FaceAssets& assets() {
  static const face::FaceAssets a = face::FaceAssets::from_model(reference_model());
  return a;
}

const face::UvAtlas& atlas() { return assets().atlas; }

int expression_index(const std::string& name) {
  const auto& n = reference_model().expression_names;
  const auto it = std::find(n.begin(), n.end(), name);
  EXPECT_NE(it, n.end()) << name;
  return int(it - n.begin());
}

// Independent of the exporter: which triangles render, and which primitive they belong to.
bool drawn(int f) {
  const int p = reference_model().face_part[f];
  return p != 15 && p != 16 && atlas().face_opaque[f];
}
int primitive_of_part(int part) {
  if (part == 0 || part == 1 || part == 3 || part == 4) return 0;  // head
  if (part == 7 || part == 8) return 1;                            // eyes
  if (part == 6) return 2;                                         // teeth
  if (part == 2 || part == 5) return 3;                            // mouth interior
  return -1;
}

struct Glb {
  tinygltf::Model model;
  nlohmann::json json;  // the JSON chunk, parsed by us
  std::string bytes;
};

Glb load_glb(const fs::path& file) {
  Glb g;
  g.bytes = read_file(file);
  tinygltf::TinyGLTF loader;
  std::string err, warn;
  const bool ok = loader.LoadBinaryFromFile(&g.model, &err, &warn, file.string());
  EXPECT_TRUE(ok) << err;
  EXPECT_TRUE(warn.empty()) << warn;
  // Container layout: header, JSON chunk, BIN chunk, all lengths multiples of 4.
  std::uint32_t header[5];
  std::memcpy(header, g.bytes.data(), sizeof header);
  EXPECT_EQ(header[0], 0x46546C67u);
  EXPECT_EQ(header[1], 2u);
  EXPECT_EQ(header[2], g.bytes.size());
  EXPECT_EQ(header[3] % 4, 0u);
  EXPECT_EQ(header[4], 0x4E4F534Au);
  g.json = nlohmann::json::parse(g.bytes.substr(20, header[3]));
  std::uint32_t bin_len;
  std::memcpy(&bin_len, g.bytes.data() + 20 + header[3], 4);
  EXPECT_EQ(bin_len % 4, 0u);
  EXPECT_EQ(20 + header[3] + 8 + bin_len, g.bytes.size());
  return g;
}

// An accessor's float values (VEC2/VEC3), dense, sparse or empty (zeros), decoded by hand.
std::vector<float> read_floats(const tinygltf::Model& m, int index) {
  const tinygltf::Accessor& a = m.accessors.at(std::size_t(index));
  EXPECT_EQ(a.componentType, TINYGLTF_COMPONENT_TYPE_FLOAT);
  const int comps = tinygltf::GetNumComponentsInType(std::uint32_t(a.type));
  std::vector<float> out(a.count * std::size_t(comps), 0.0f);
  auto bytes_of = [&](int view, std::size_t offset) {
    const auto& bv = m.bufferViews.at(std::size_t(view));
    return m.buffers.at(std::size_t(bv.buffer)).data.data() + bv.byteOffset + offset;
  };
  if (a.bufferView >= 0) {
    const auto& bv = m.bufferViews.at(std::size_t(a.bufferView));
    EXPECT_TRUE(bv.byteStride == 0 || bv.byteStride == std::size_t(comps) * 4);
    std::memcpy(out.data(), bytes_of(a.bufferView, a.byteOffset), out.size() * 4);
  }
  if (a.sparse.isSparse) {
    const std::size_t n = std::size_t(a.sparse.count);
    const unsigned char* idx = bytes_of(a.sparse.indices.bufferView, a.sparse.indices.byteOffset);
    const unsigned char* val = bytes_of(a.sparse.values.bufferView, a.sparse.values.byteOffset);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t at = 0;
      if (a.sparse.indices.componentType == TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT) {
        std::uint16_t s;
        std::memcpy(&s, idx + 2 * i, 2);
        at = s;
      } else {
        EXPECT_EQ(a.sparse.indices.componentType, TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT);
        std::memcpy(&at, idx + 4 * i, 4);
      }
      EXPECT_LT(at, a.count);
      std::memcpy(&out[std::size_t(at) * comps], val + 4 * comps * i, 4 * std::size_t(comps));
    }
  }
  return out;
}

std::vector<std::uint32_t> read_indices(const tinygltf::Model& m, int index) {
  const tinygltf::Accessor& a = m.accessors.at(std::size_t(index));
  const auto& bv = m.bufferViews.at(std::size_t(a.bufferView));
  const unsigned char* p = m.buffers[bv.buffer].data.data() + bv.byteOffset + a.byteOffset;
  std::vector<std::uint32_t> out(a.count);
  for (std::size_t i = 0; i < a.count; ++i) {
    if (a.componentType == TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT) {
      std::uint16_t s;
      std::memcpy(&s, p + 2 * i, 2);
      out[i] = s;
    } else {
      std::memcpy(&out[i], p + 4 * i, 4);
    }
  }
  return out;
}

std::vector<float> read_obj_vertices(const fs::path& obj) {
  tinyobj::attrib_t attrib;
  std::vector<tinyobj::shape_t> shapes;
  std::vector<tinyobj::material_t> materials;
  std::string warn, err;
  EXPECT_TRUE(tinyobj::LoadObj(&attrib, &shapes, &materials, &warn, &err, obj.string().c_str(),
                               obj.parent_path().string().c_str(), false))
      << err;
  return attrib.vertices;
}

// Metres per OBJ unit, from the sidecar (the OBJ's units are documented there).
double obj_to_metres(const nlohmann::json& side) {
  const std::string u = side.value("units", std::string("centimetres"));
  if (u == "centimetres" || u == "cm") return 0.01;
  EXPECT_TRUE(u == "metres" || u == "m") << u;
  return 1.0;
}

Image8 gradient_image(int size) {
  Image8 img;
  img.width = img.height = size;
  img.channels = 3;
  img.pixels.resize(std::size_t(size) * size * 3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      std::uint8_t* p = &img.pixels[(std::size_t(y) * size + x) * 3];
      p[0] = std::uint8_t(x * 255 / (size - 1));
      p[1] = std::uint8_t(y * 255 / (size - 1));
      p[2] = 90;
    }
  return img;
}

struct Exported {
  ExportResult files;
  nlohmann::json side;
  Glb glb;
};

// The export reads the region labels (roughness texture, default albedo) from the assets.
Exported export_all(const FaceState& state, const fs::path& dir, ExportOptions opt = {},
                    const face::RegionLabels* /*regions: in the assets*/ = nullptr) {
  Exported e;
  e.files = export_obj(assets(), state, dir, opt);
  e.side = nlohmann::json::parse(read_file(e.files.sidecar));
  e.glb = load_glb(e.files.glb);
  return e;
}

// Checks the whole GLB of `state` against the OBJ written beside it and against the model.
void check_against_obj_and_model(const Exported& e, const FaceState& state) {
  const face::FaceModel& fm = reference_model();
  const tinygltf::Model& g = e.glb.model;
  ASSERT_EQ(g.meshes.size(), 1u);
  const tinygltf::Mesh& mesh = g.meshes[0];
  ASSERT_EQ(mesh.primitives.size(), 4u);
  const auto& names = e.glb.json["meshes"][0]["extras"]["targetNames"];
  ASSERT_EQ(mesh.weights.size(), names.size());

  const auto& vmap = e.side["glb"]["vertex_map"];
  const auto& model_vertex = vmap["model_vertex"];
  const auto obj = read_obj_vertices(e.files.obj);
  const double obj_scale = obj_to_metres(e.side);
  const int V = fm.num_vertices;
  const std::size_t stride = std::size_t(V) * 3;

  // The drawn model triangles of each primitive, in model order.
  std::vector<std::vector<int>> faces_of(4);
  for (int f = 0; f < fm.num_faces; ++f)
    if (drawn(f)) {
      const int p = primitive_of_part(fm.face_part[f]);
      ASSERT_GE(p, 0) << "drawn face " << f << " in part " << int(fm.face_part[f]);
      faces_of[p].push_back(f);
    }

  for (std::size_t p = 0; p < 4; ++p) {
    SCOPED_TRACE("primitive " + std::to_string(p));
    const auto& prim = mesh.primitives[p];
    const auto& range = vmap["primitives"][p];
    const int first = range["first"], count = range["count"];
    const auto pos = read_floats(g, prim.attributes.at("POSITION"));
    const auto nrm = read_floats(g, prim.attributes.at("NORMAL"));
    const auto uv = read_floats(g, prim.attributes.at("TEXCOORD_0"));
    ASSERT_EQ(pos.size(), std::size_t(count) * 3);
    ASSERT_EQ(prim.targets.size(), names.size());
    std::vector<std::vector<float>> targets;
    for (const auto& t : prim.targets) targets.push_back(read_floats(g, t.at("POSITION")));

    // Vertices split only at UV seams: no two glTF vertices share (model vertex, UV).
    const auto idx = read_indices(g, prim.indices);
    ASSERT_EQ(idx.size(), faces_of[p].size() * 3);
    std::map<std::uint32_t, int> uv_of_vertex;
    std::set<std::pair<int, int>> pairs;
    for (std::size_t k = 0; k < idx.size(); ++k) {
      const int f = faces_of[p][k / 3];
      const int mv = fm.faces[3 * f + k % 3], mt = fm.faces_uv[3 * f + k % 3];
      ASSERT_EQ(model_vertex[first + int(idx[k])].get<int>(), mv);
      // glTF UVs: top-left origin.
      ASSERT_FLOAT_EQ(uv[2 * idx[k]], atlas().uvs[2 * mt]);
      ASSERT_FLOAT_EQ(uv[2 * idx[k] + 1], 1.0f - atlas().uvs[2 * mt + 1]);
      auto [it, fresh] = uv_of_vertex.emplace(idx[k], mt);
      if (fresh) pairs.insert({mv, mt});
    }
    EXPECT_EQ(pairs.size(), std::size_t(count));  // every vertex used, one per pair
    for (float t : uv) {
      ASSERT_GE(t, 0.0f);
      ASSERT_LE(t, 1.0f);
    }

    for (int i = 0; i < count; ++i) {
      const int v = model_vertex[first + i];
      double len = 0;
      for (int c = 0; c < 3; ++c) len += double(nrm[3 * i + c]) * nrm[3 * i + c];
      ASSERT_NEAR(len, 1.0, 1e-5);
      for (int c = 0; c < 3; ++c) {
        const std::size_t k = 3 * std::size_t(v) + c;
        // Base = neutral + identity (computed here in double, metres): identity baked in.
        double base = fm.neutral_vertices[k];
        for (std::size_t a = 0; a < state.coeffs.identity.size(); ++a)
          base += double(state.coeffs.identity[a]) * fm.identity_basis[a * stride + k];
        ASSERT_NEAR(pos[3 * i + c], base * 0.01, 2e-7);
        // Base + weights x targets = the OBJ's vertex (which carries the expression).
        double shaped = pos[3 * i + c];
        for (std::size_t t = 0; t < targets.size(); ++t)
          shaped += double(mesh.weights[t]) * targets[t][3 * i + c];
        ASSERT_NEAR(shaped, obj[k] * obj_scale, 2e-7);
      }
    }
  }
}

TEST(GlbTargets, ArkitTableFromModelNames) {
  const auto& names = reference_model().expression_names;
  const auto t = glb_targets(names, BlendshapeNames::kArkit);
  ASSERT_EQ(t.size(), 52u);
  std::set<std::string> unique;
  std::vector<int> used(names.size(), 0);
  std::map<std::string, std::vector<int>> by_name;
  for (const auto& x : t) {
    unique.insert(x.name);
    by_name[x.name] = x.model_expressions;
    for (int j : x.model_expressions) ++used[j];
  }
  EXPECT_EQ(unique.size(), 52u);
  for (int u : used) EXPECT_EQ(u, 1);  // every model expression lands in exactly one target
  EXPECT_EQ(by_name["jawOpen"], std::vector<int>{expression_index("jawOpen")});
  EXPECT_EQ(by_name["eyeBlinkLeft"], std::vector<int>{expression_index("eyeBlink_L")});
  EXPECT_EQ(by_name["mouthSmileRight"], std::vector<int>{expression_index("mouthSmile_R")});
  EXPECT_EQ(by_name["browInnerUp"], (std::vector<int>{expression_index("browInnerUp_L"),
                                                      expression_index("browInnerUp_R")}));
  EXPECT_EQ(by_name["cheekPuff"],
            (std::vector<int>{expression_index("cheekPuff_L"), expression_index("cheekPuff_R")}));
  EXPECT_TRUE(by_name["tongueOut"].empty());
  EXPECT_EQ(t.front().name, "eyeBlinkLeft");  // Apple's order
  EXPECT_EQ(t.back().name, "tongueOut");

  const auto m = glb_targets(names, BlendshapeNames::kModel);
  ASSERT_EQ(m.size(), names.size());
  for (std::size_t j = 0; j < names.size(); ++j) EXPECT_EQ(m[j].name, names[j]);

  EXPECT_THROW(glb_targets({"jawOpen", "smirk"}, BlendshapeNames::kArkit), Error);
  EXPECT_THROW(parse_blendshape_names("apple"), Error);
}

TEST(GlbExport, DefaultFaceMatchesObjAndModel) {
  const face::FaceModel& fm = reference_model();
  TempDir dir("glb_default");
  const auto regions = face::load_regions(face::testing::ict_dir(), fm.num_vertices);
  const Exported e = export_all(FaceState{}, dir.path(), {}, &regions);
  check_against_obj_and_model(e, FaceState{});
  const tinygltf::Model& g = e.glb.model;
  for (double w : g.meshes[0].weights) EXPECT_EQ(w, 0.0);
  EXPECT_EQ(e.glb.json["asset"]["version"], "2.0");
  EXPECT_EQ(e.glb.json["asset"]["generator"].get<std::string>().rfind("FaceG2E ", 0), 0u);
  EXPECT_NE(e.glb.json["asset"]["extras"]["face_model"]["license_text"].get<std::string>().find(
                "MIT License"),
            std::string::npos);
  EXPECT_EQ(e.side["glb"]["units"], "metres");
  EXPECT_EQ(e.side["glb"]["blendshape_names"], "arkit");

  // The texture: the same padded atlas as the OBJ's PNG, at the requested size.
  ASSERT_EQ(g.images.size(), 2u);  // albedo, and the head's roughness (labels are known)
  EXPECT_EQ(g.images[0].width, 1024);
  EXPECT_EQ(g.images[0].height, 1024);
  EXPECT_EQ(g.images[0].mimeType, "image/png");
  const Image8 png = read_image(e.files.texture, 3);
  const int comp = g.images[0].component;
  for (std::size_t i = 0; i < std::size_t(1024) * 1024; i += 4099)
    for (int c = 0; c < 3; ++c)
      ASSERT_EQ(g.images[0].image[i * comp + c], png.pixels[3 * i + c]) << i;
  ASSERT_EQ(g.materials.size(), 4u);
  for (const auto& mat : g.materials) {
    EXPECT_EQ(mat.pbrMetallicRoughness.metallicFactor, 0.0);
    EXPECT_EQ(g.textures.at(mat.pbrMetallicRoughness.baseColorTexture.index).source, 0);
    EXPECT_GT(mat.pbrMetallicRoughness.roughnessFactor, 0.0);
  }
  const double skin = g.materials[0].pbrMetallicRoughness.roughnessFactor;
  EXPECT_LT(g.materials[1].pbrMetallicRoughness.roughnessFactor, skin);  // eyes glossier

  // Lips glossier than skin: the head's roughness texture (G scales the factor) sampled at the
  // UVs of vertices labelled lips and skin.
  const int rough_tex = g.materials[0].pbrMetallicRoughness.metallicRoughnessTexture.index;
  ASSERT_GE(rough_tex, 0);
  const tinygltf::Image& rough = g.images.at(g.textures.at(rough_tex).source);
  ASSERT_GT(rough.width, 0);
  const auto uv = read_floats(g, g.meshes[0].primitives[0].attributes.at("TEXCOORD_0"));
  const auto& model_vertex = e.side["glb"]["vertex_map"]["model_vertex"];
  const int lips = regions.find("lips"), skin_label = regions.find("skin");
  std::size_t lips_n = 0, lips_glossy = 0, skin_n = 0, skin_plain = 0;
  for (std::size_t i = 0; i < uv.size() / 2; ++i) {
    const int label = regions.vertex_labels[model_vertex[i].get<std::size_t>()];
    if (label != lips && label != skin_label) continue;
    const int x = std::clamp(int(uv[2 * i] * rough.width), 0, rough.width - 1);
    const int y = std::clamp(int(uv[2 * i + 1] * rough.height), 0, rough.height - 1);
    const int gch = rough.image[(std::size_t(y) * rough.width + x) * rough.component + 1];
    const double r = skin * gch / 255.0;
    if (label == lips) {
      ++lips_n;
      lips_glossy += r < skin - 0.1;
    } else {
      ++skin_n;
      skin_plain += r == skin;
    }
  }
  EXPECT_GT(lips_n, 100u);
  EXPECT_GT(lips_glossy, lips_n * 8 / 10) << lips_glossy << " of " << lips_n;
  EXPECT_GT(skin_plain, skin_n * 95 / 100) << skin_plain << " of " << skin_n;
}

TEST(GlbExport, GeneratedFaceTargetsAreTheModelsModes) {
  const face::FaceModel& fm = reference_model();
  TempDir dir("glb_face");
  FaceState state;
  state.coeffs.identity = {1.5f, -0.8f, 0.0f, 2.0f, 0.0f, -1.2f};
  state.coeffs.expression.assign(std::size_t(fm.num_expression), 0.0f);
  state.coeffs.expression[expression_index("jawOpen")] = 0.3f;
  state.coeffs.expression[expression_index("mouthSmile_L")] = 0.7f;
  state.coeffs.expression[expression_index("browInnerUp_L")] = 0.4f;
  state.coeffs.expression[expression_index("browInnerUp_R")] = 0.4f;
  state.albedo = to_float_image(gradient_image(300));
  ExportOptions opt;
  opt.texture_size = 1024;
  opt.generation = {{"prompt", "an old sailor"}, {"seed", 42}};
  const Exported e = export_all(state, dir.path(), opt);
  check_against_obj_and_model(e, state);

  const tinygltf::Model& g = e.glb.model;
  const auto& names = e.glb.json["meshes"][0]["extras"]["targetNames"];
  std::map<std::string, int> target;
  for (std::size_t t = 0; t < names.size(); ++t) target[names[t]] = int(t);
  EXPECT_FLOAT_EQ(float(g.meshes[0].weights[target["jawOpen"]]), 0.3f);
  EXPECT_FLOAT_EQ(float(g.meshes[0].weights[target["mouthSmileLeft"]]), 0.7f);
  EXPECT_FLOAT_EQ(float(g.meshes[0].weights[target["browInnerUp"]]), 0.4f);
  EXPECT_EQ(g.meshes[0].weights[target["mouthSmileRight"]], 0.0);
  EXPECT_EQ(e.glb.json["asset"]["extras"]["prompt"], "an old sailor");
  EXPECT_EQ(e.glb.json["asset"]["extras"]["seed"], 42);

  // jawOpen = 1 moves every vertex by the model's jawOpen mode, browInnerUp by the sum of the
  // model's two, tongueOut by nothing.
  const std::size_t stride = std::size_t(fm.num_vertices) * 3;
  const int jaw = expression_index("jawOpen"), bl = expression_index("browInnerUp_L"),
            br = expression_index("browInnerUp_R");
  const auto& model_vertex = e.side["glb"]["vertex_map"]["model_vertex"];
  int moved_by_jaw = 0, jaw_normals = 0;
  for (std::size_t p = 0; p < g.meshes[0].primitives.size(); ++p) {
    const auto& prim = g.meshes[0].primitives[p];
    const int first = e.side["glb"]["vertex_map"]["primitives"][p]["first"];
    const auto d_jaw = read_floats(g, prim.targets[target["jawOpen"]].at("POSITION"));
    const auto d_brow = read_floats(g, prim.targets[target["browInnerUp"]].at("POSITION"));
    const auto d_tongue = read_floats(g, prim.targets[target["tongueOut"]].at("POSITION"));
    // Normal deltas: zero, or at least the documented epsilon long.
    const auto n_jaw = read_floats(g, prim.targets[target["jawOpen"]].at("NORMAL"));
    for (std::size_t i = 0; i < n_jaw.size(); i += 3) {
      const double len =
          std::sqrt(double(n_jaw[i]) * n_jaw[i] + double(n_jaw[i + 1]) * n_jaw[i + 1] +
                    double(n_jaw[i + 2]) * n_jaw[i + 2]);
      if (len == 0.0) continue;
      ++jaw_normals;
      ASSERT_GE(len, GlbOptions{}.morph_normal_epsilon * 0.999);
    }
    for (std::size_t i = 0; i < d_jaw.size() / 3; ++i) {
      const std::size_t v = model_vertex[first + int(i)].get<std::size_t>();
      for (int c = 0; c < 3; ++c) {
        const std::size_t k = 3 * v + c;
        ASSERT_NEAR(d_jaw[3 * i + c], 0.01 * fm.expression_basis[jaw * stride + k], 1e-8);
        ASSERT_NEAR(d_brow[3 * i + c],
                    0.01 * (double(fm.expression_basis[bl * stride + k]) +
                            fm.expression_basis[br * stride + k]),
                    1e-8);
        ASSERT_EQ(d_tongue[3 * i + c], 0.0f);
      }
      moved_by_jaw += std::abs(d_jaw[3 * i + 1]) > 1e-4f;
    }
  }
  EXPECT_GT(moved_by_jaw, 1000);  // the jaw really opens
  EXPECT_GT(jaw_normals, 1000);   // and its normals turn
}

TEST(GlbExport, DenseAndSparseHoldTheSameTargetsAndAutoIsSmallest) {
  const face::FaceModel& fm = reference_model();
  FaceState state;
  state.coeffs.identity = {0.5f};
  Image8 tex = gradient_image(64);
  GlbOptions dense, sparse, autom;
  dense.storage = MorphStorage::kDense;
  sparse.storage = MorphStorage::kSparse;
  const auto bd = build_glb(fm, atlas(), state.coeffs, tex, nullptr, dense);
  const auto bs = build_glb(fm, atlas(), state.coeffs, tex, nullptr, sparse);
  const auto ba = build_glb(fm, atlas(), state.coeffs, tex, nullptr, autom);
  EXPECT_GT(bs.sparse_accessors, 0);
  EXPECT_EQ(bd.sparse_accessors, 0);
  EXPECT_LE(ba.bytes.size(), bd.bytes.size());
  EXPECT_LE(ba.bytes.size(), bs.bytes.size());
  TempDir dir("glb_storage");
  write_file_atomic(dir.path() / "d.glb", bd.bytes);
  write_file_atomic(dir.path() / "s.glb", bs.bytes);
  const Glb gd = load_glb(dir.path() / "d.glb"), gs = load_glb(dir.path() / "s.glb");
  for (std::size_t p = 0; p < gd.model.meshes[0].primitives.size(); ++p)
    for (std::size_t t = 0; t < gd.model.meshes[0].primitives[p].targets.size(); t += 5)
      for (const char* attr : {"POSITION", "NORMAL"})
        ASSERT_EQ(read_floats(gd.model, gd.model.meshes[0].primitives[p].targets[t].at(attr)),
                  read_floats(gs.model, gs.model.meshes[0].primitives[p].targets[t].at(attr)))
            << p << " " << t << " " << attr;
}

TEST(GlbExport, AsymmetricBrowPairIsAveragedAndNoted) {
  const face::FaceModel& fm = reference_model();
  face::FaceCoefficients c;
  c.expression.assign(std::size_t(fm.num_expression), 0.0f);
  c.expression[expression_index("browInnerUp_L")] = 0.2f;
  c.expression[expression_index("browInnerUp_R")] = 0.6f;
  const auto b = build_glb(fm, atlas(), c, gradient_image(32), nullptr);
  std::size_t k = 0;
  while (b.targets[k].name != "browInnerUp") ++k;
  EXPECT_FLOAT_EQ(b.weights[k], 0.4f);
  ASSERT_EQ(b.notes.size(), 1u);
  EXPECT_NE(b.notes[0].find("browInnerUp"), std::string::npos);
  c.expression[expression_index("browInnerUp_R")] = 0.2f;  // symmetric: exact, nothing to say
  EXPECT_TRUE(build_glb(fm, atlas(), c, gradient_image(32), nullptr).notes.empty());
}

TEST(GlbExport, ModelNamesAndGlbOnly) {
  const face::FaceModel& fm = reference_model();
  TempDir dir("glb_model_names");
  ExportOptions opt;
  set_export_format(opt, "glb");
  opt.glb_options.names = BlendshapeNames::kModel;
  opt.texture_size = 2048;
  const auto r = export_obj(assets(), FaceState{}, dir.path(), opt);
  EXPECT_TRUE(r.obj.empty());
  EXPECT_FALSE(fs::exists(dir.path() / "face.obj"));
  EXPECT_FALSE(fs::exists(dir.path() / "face_albedo.png"));
  const Glb g = load_glb(r.glb);
  EXPECT_EQ(g.json["meshes"][0]["extras"]["targetNames"].get<std::vector<std::string>>(),
            fm.expression_names);
  EXPECT_EQ(g.model.images[0].width, 2048);
  EXPECT_THROW(set_export_format(opt, "fbx"), Error);
}

TEST(GlbExport, UnwritableTargetFailsAndLeavesNothing) {
  const face::FaceModel& fm = reference_model();
  TempDir dir("glb_fail");
  write_file_atomic(dir.path() / "not_a_folder", "x");
  const Image8 tex = gradient_image(32);
  try {
    write_glb(dir.path() / "not_a_folder" / "face.glb", fm, atlas(), {}, tex, nullptr);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("face.glb"), std::string::npos) << e.what();
  }
  std::size_t entries = 0;
  for (const auto& x : fs::directory_iterator(dir.path())) {
    (void)x;
    ++entries;
  }
  EXPECT_EQ(entries, 1u);  // no temporary left behind
}

}  // namespace
}  // namespace faceg2e::session
