// Hand-rolled OBJ parsing (one pass over the bytes, std::from_chars): the full upstream folder is
// 158 OBJs (~400 MB), which an iostream-per-token parser would take minutes over.
#include "core/face/ict_import.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "core/face/float16.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace faceg2e::face {
namespace {

namespace fs = std::filesystem;

// The upstream part ranges (ICT-FaceKit README, "Face Model Light" topology of 26,719 vertices).
struct PartRange {
  const char* name;
  int first;
  int last;
};
constexpr PartRange kParts[] = {
    {"face", 0, 9408},
    {"head_and_neck", 9409, 11247},
    {"mouth_socket", 11248, 13293},
    {"eye_socket_left", 13294, 13677},
    {"eye_socket_right", 13678, 14061},
    {"gums_and_tongue", 14062, 17038},
    {"teeth", 17039, 21450},
    {"eyeball_left", 21451, 23020},
    {"eyeball_right", 23021, 24590},
    {"lacrimal_fluid_left", 24591, 24794},
    {"lacrimal_fluid_right", 24795, 24998},
    {"eye_blend_left", 24999, 25022},
    {"eye_blend_right", 25023, 25046},
    {"eye_occlusion_left", 25047, 25198},
    {"eye_occlusion_right", 25199, 25350},
    {"eyelashes_left", 25351, 26034},
    {"eyelashes_right", 26035, 26718},
};
constexpr int kIctVertexCount = 26719;

struct ObjMesh {
  std::vector<double> positions;  // V*3
  std::vector<float> uvs;         // T*2
  std::vector<std::int32_t> faces, faces_uv;
  std::vector<std::uint8_t> face_material;
  std::vector<std::int32_t> face_src_poly;
  std::vector<std::string> materials;
};

class LineCursor {
 public:
  LineCursor(const std::string& file, std::string_view text) : file_(file), text_(text) {}

  bool next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    std::size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    line = text_.substr(pos_, end - pos_);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos_ = end + 1;
    ++line_no_;
    return true;
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(file_, "line " + std::to_string(line_no_) + ": " + what);
  }

 private:
  std::string file_;
  std::string_view text_;
  std::size_t pos_ = 0;
  int line_no_ = 0;
};

void skip_space(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
}

std::string_view next_token(std::string_view& s) {
  skip_space(s);
  std::size_t n = 0;
  while (n < s.size() && s[n] != ' ' && s[n] != '\t') ++n;
  std::string_view tok = s.substr(0, n);
  s.remove_prefix(n);
  return tok;
}

double parse_double(std::string_view tok, const LineCursor& cur, const char* what) {
  double v = 0;
  const char* b = tok.data();
  if (!tok.empty() && tok.front() == '+') ++b;
  auto [p, ec] = std::from_chars(b, tok.data() + tok.size(), v);
  if (ec != std::errc() || p != tok.data() + tok.size() || !std::isfinite(v))
    cur.fail(std::string("bad ") + what + " number '" + std::string(tok) + "'");
  return v;
}

// An OBJ index (1-based, or negative = relative to the current count) to 0-based.
std::int32_t parse_index(std::string_view tok, std::size_t count, const LineCursor& cur,
                         const char* what) {
  long long v = 0;
  auto [p, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
  if (ec != std::errc() || p != tok.data() + tok.size() || v == 0)
    cur.fail(std::string("bad ") + what + " index '" + std::string(tok) + "'");
  const long long idx = v > 0 ? v - 1 : static_cast<long long>(count) + v;
  if (idx < 0 || idx >= static_cast<long long>(count))
    cur.fail(std::string(what) + " index " + std::to_string(v) + " out of range (" +
             std::to_string(count) + " so far)");
  return static_cast<std::int32_t>(idx);
}

void read_position(std::string_view rest, const LineCursor& cur, std::vector<double>& out) {
  for (int k = 0; k < 3; ++k) {
    std::string_view tok = next_token(rest);
    if (tok.empty()) cur.fail("vertex has fewer than 3 coordinates");
    out.push_back(parse_double(tok, cur, "vertex"));
  }
}

// The neutral mesh: positions, UVs, polygons with materials.
ObjMesh parse_full_obj(const fs::path& path) {
  const std::string text = read_file(path);
  LineCursor cur(path.string(), text);
  ObjMesh mesh;
  std::string_view line;
  int material = -1;
  std::int32_t poly = 0;
  std::vector<std::int32_t> cv, ct;
  while (cur.next(line)) {
    skip_space(line);
    if (line.size() < 2 || line[0] == '#') continue;
    if (line[0] == 'v' && line[1] == ' ') {
      read_position(line.substr(2), cur, mesh.positions);
    } else if (line[0] == 'v' && line[1] == 't' && line.size() > 2 && line[2] == ' ') {
      std::string_view rest = line.substr(3);
      for (int k = 0; k < 2; ++k) {
        std::string_view tok = next_token(rest);
        if (tok.empty()) cur.fail("texture coordinate has fewer than 2 values");
        mesh.uvs.push_back(static_cast<float>(parse_double(tok, cur, "texture coordinate")));
      }
    } else if (line[0] == 'f' && line[1] == ' ') {
      if (material < 0) cur.fail("face before any usemtl");
      std::string_view rest = line.substr(2);
      cv.clear();
      ct.clear();
      for (std::string_view tok = next_token(rest); !tok.empty(); tok = next_token(rest)) {
        const std::size_t s1 = tok.find('/');
        if (s1 == std::string_view::npos)
          cur.fail("face corner '" + std::string(tok) + "' has no UV index");
        std::string_view vt = tok.substr(s1 + 1);
        const std::size_t s2 = vt.find('/');
        if (s2 != std::string_view::npos) vt = vt.substr(0, s2);
        if (vt.empty()) cur.fail("face corner '" + std::string(tok) + "' has no UV index");
        cv.push_back(parse_index(tok.substr(0, s1), mesh.positions.size() / 3, cur, "vertex"));
        ct.push_back(parse_index(vt, mesh.uvs.size() / 2, cur, "texture coordinate"));
      }
      if (cv.size() < 3) cur.fail("face with fewer than 3 corners");
      // Fan split: quad (a,b,c,d) -> (a,b,c), (a,c,d), as the reference F3DM.
      for (std::size_t k = 1; k + 1 < cv.size(); ++k) {
        mesh.faces.insert(mesh.faces.end(), {cv[0], cv[k], cv[k + 1]});
        mesh.faces_uv.insert(mesh.faces_uv.end(), {ct[0], ct[k], ct[k + 1]});
        mesh.face_material.push_back(static_cast<std::uint8_t>(material));
        mesh.face_src_poly.push_back(poly);
      }
      ++poly;
    } else if (line.substr(0, 7) == "usemtl ") {
      std::string_view rest = line.substr(7);
      const std::string name(next_token(rest));
      auto it = std::find(mesh.materials.begin(), mesh.materials.end(), name);
      if (it == mesh.materials.end()) {
        if (mesh.materials.size() >= 255) cur.fail("more than 255 materials");
        mesh.materials.push_back(name);
        it = mesh.materials.end() - 1;
      }
      material = static_cast<int>(it - mesh.materials.begin());
    }
    // mtllib, vn, o, g, s: not needed (normals are recomputed from the geometry).
  }
  if (mesh.positions.empty()) throw FormatError(path.string(), "no vertices");
  if (mesh.faces.empty()) throw FormatError(path.string(), "no faces");
  if (mesh.uvs.empty()) throw FormatError(path.string(), "no texture coordinates");
  return mesh;
}

// A blendshape/identity OBJ: only its positions matter (same topology as the neutral mesh).
std::vector<double> parse_positions(const fs::path& path, std::size_t expected_vertices) {
  const std::string text = read_file(path);
  LineCursor cur(path.string(), text);
  std::vector<double> pos;
  pos.reserve(expected_vertices * 3);
  std::string_view line;
  while (cur.next(line)) {
    skip_space(line);
    if (line.size() >= 2 && line[0] == 'v' && line[1] == ' ')
      read_position(line.substr(2), cur, pos);
  }
  if (pos.size() != expected_vertices * 3)
    throw FormatError(path.string(), "has " + std::to_string(pos.size() / 3) +
                                         " vertices, the neutral mesh has " +
                                         std::to_string(expected_vertices));
  return pos;
}

std::string three_digits(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", i);
  return buf;
}

}  // namespace

FaceModel import_ict_facekit(const fs::path& dir, const IctImportOptions& options) {
  auto warn = [&](const std::string& msg) {
    if (options.warn) options.warn(msg);
  };
  if (!fs::is_directory(dir)) throw NotFoundError("ICT-FaceKit folder not found: " + dir.string());
  const fs::path neutral_path = dir / "generic_neutral_mesh.obj";
  const fs::path indices_path = dir / "vertex_indices.json";
  for (const auto& p : {neutral_path, indices_path})
    if (!fs::exists(p))
      throw NotFoundError("ICT-FaceKit folder " + dir.string() + " has no " +
                          p.filename().string() + " (is this the FaceXModel/ folder?)");
  fs::path license_path = dir / "LICENSE";
  if (!fs::exists(license_path)) license_path = dir.parent_path() / "LICENSE";
  if (!fs::exists(license_path))
    throw NotFoundError("no LICENSE in " + dir.string() +
                        " or its parent: the ICT-FaceKit MIT notice " +
                        "must travel with the converted model");

  // Which mode files exist, in reference order.
  const nlohmann::json indices = read_json_file(indices_path);
  auto list_of = [&](const char* key) -> const nlohmann::json& {
    auto it = indices.find(key);
    if (it == indices.end() || !it->is_array())
      throw FormatError(indices_path.string(),
                        std::string("'") + key + "' is missing or not a list");
    return *it;
  };
  std::vector<std::string> identity_names, expression_names;
  std::vector<std::string> missing;
  for (int i = 0; i < options.expected_identity_modes; ++i) {
    const std::string name = "identity" + three_digits(i);
    (fs::exists(dir / (name + ".obj")) ? identity_names : missing).push_back(name);
  }
  for (const auto& e : list_of("expressions")) {
    if (!e.is_string())
      throw FormatError(indices_path.string(), "'expressions' holds a non-string");
    const std::string name = e.get<std::string>();
    if (name.empty() || name.find_first_of("/\\\n") != std::string::npos)
      throw FormatError(indices_path.string(), "bad expression name '" + name + "'");
    (fs::exists(dir / (name + ".obj")) ? expression_names : missing).push_back(name);
  }
  for (const auto& name : missing)
    warn("missing " + (dir / (name + ".obj")).string() + ": mode skipped");

  const int total_files = 1 + static_cast<int>(identity_names.size() + expression_names.size());
  int done = 0;
  ObjMesh mesh = parse_full_obj(neutral_path);
  if (options.progress) options.progress(++done, total_files);
  const std::size_t V = mesh.positions.size() / 3;
  if (V != static_cast<std::size_t>(kIctVertexCount))
    throw FormatError(neutral_path.string(),
                      "has " + std::to_string(V) + " vertices; the ICT-FaceKit " +
                          "part ranges need " + std::to_string(kIctVertexCount));

  FaceModel m;
  m.num_vertices = static_cast<int>(V);
  m.num_uvs = static_cast<int>(mesh.uvs.size() / 2);
  m.num_faces = static_cast<int>(mesh.faces.size() / 3);
  m.neutral_vertices.assign(mesh.positions.begin(), mesh.positions.end());
  m.uvs = std::move(mesh.uvs);
  m.faces = std::move(mesh.faces);
  m.faces_uv = std::move(mesh.faces_uv);
  m.face_material = std::move(mesh.face_material);
  m.face_src_poly = std::move(mesh.face_src_poly);
  m.vertex_part.resize(V);
  nlohmann::json parts = nlohmann::json::array(), parts_kept = nlohmann::json::array();
  for (std::size_t p = 0; p < std::size(kParts); ++p) {
    for (int v = kParts[p].first; v <= kParts[p].last; ++v)
      m.vertex_part[v] = static_cast<std::uint8_t>(p);
    parts.push_back({{"id", p},
                     {"name", kParts[p].name},
                     {"first_vertex", kParts[p].first},
                     {"last_vertex", kParts[p].last}});
    parts_kept.push_back(kParts[p].name);
  }
  m.face_part.resize(m.num_faces);
  for (int f = 0; f < m.num_faces; ++f) m.face_part[f] = m.vertex_part[m.faces[3 * f]];

  const nlohmann::json& landmarks = list_of("idx_to_landmark_verts");
  if (landmarks.size() != 68)
    throw FormatError(indices_path.string(), "'idx_to_landmark_verts' has " +
                                                 std::to_string(landmarks.size()) +
                                                 " entries, expected 68");
  for (const auto& l : landmarks) {
    if (!l.is_number_integer() || l.get<long long>() < 0 ||
        l.get<long long>() >= static_cast<long long>(V))
      throw FormatError(indices_path.string(), "'idx_to_landmark_verts' holds a bad vertex index");
    m.landmarks68.push_back(l.get<std::int32_t>());
  }

  double max_q_identity = 0, max_q_expression = 0;
  auto load_modes = [&](const std::vector<std::string>& names, std::vector<float>& basis,
                        double& max_q) {
    basis.resize(names.size() * V * 3);
    for (std::size_t k = 0; k < names.size(); ++k) {
      const std::vector<double> pos = parse_positions(dir / (names[k] + ".obj"), V);
      float* out = basis.data() + k * V * 3;
      for (std::size_t i = 0; i < V * 3; ++i) {
        const double delta = pos[i] - mesh.positions[i];
        out[i] = static_cast<float>(delta);
        max_q = std::max(max_q, std::abs(double(half_to_float(float_to_half(out[i]))) - delta));
      }
      if (options.progress) options.progress(++done, total_files);
    }
  };
  load_modes(identity_names, m.identity_basis, max_q_identity);
  load_modes(expression_names, m.expression_basis, max_q_expression);
  m.num_identity = static_cast<int>(identity_names.size());
  m.num_expression = static_cast<int>(expression_names.size());
  m.identity_names = std::move(identity_names);
  m.expression_names = std::move(expression_names);
  m.license_text = read_file(license_path);
  m.source = neutral_path;

  nlohmann::json& meta = m.meta;
  meta["format"] =
      "F3DM v1 (converted from ICT-FaceKit Face Model Light by faceg2e-cli import-ict)";
  meta["source"] = "https://github.com/ICT-VGL/ICT-FaceKit, FaceXModel/";
  meta["license"] =
      "MIT, Copyright (c) 2020 USC Institute for Creative Technologies (full text in array "
      "'license_text')";
  meta["units"] = "centimetres (as in the OBJ files)";
  meta["axes"] = "right-handed, +Y up, face looks toward +Z";
  meta["model"] =
      "v = neutral + sum_i id_coeff[i]*identity_basis[i] + sum_j "
      "expr_coeff[j]*expression_basis[j]; "
      "identity modes are sigma-scaled PCA (id_coeff ~ N(0,1)); expressions are ARKit-style "
      "blendshape deltas, weights in [0,1]";
  meta["uv"] =
      "OBJ convention, origin bottom-left; UDIM-like tiles: u in [0,1] face (part 0) and also "
      "(separate textures) sclera/iris/eye-occlusion/eye-blend; [1,2] head+neck+mouth socket+eye "
      "sockets; [2,3] gums+tongue; [3,4] teeth; [4,6] lacrimal fluid; [6,7] eyelashes";
  meta["faces"] =
      "triangles (quads split (a,b,c,d)->(a,b,c),(a,c,d)); face_src_poly = OBJ polygon index";
  meta["parts_kept"] = parts_kept;
  meta["parts"] = parts;
  meta["materials"] = mesh.materials;
  meta["vertex_offset_in_original"] = 0;
  meta["n_vertices"] = m.num_vertices;
  meta["n_uvs"] = m.num_uvs;
  meta["n_faces"] = m.num_faces;
  meta["n_identity"] = m.num_identity;
  meta["n_expression"] = m.num_expression;
  meta["landmarks68_multipie"] = m.landmarks68;
  meta["float16_max_abs_quantization_error_cm"] = {{"identity", max_q_identity},
                                                   {"expression", max_q_expression}};
  meta["missing_modes"] = missing;
  meta["vertex_indices_json"] = indices;
  return m;
}

}  // namespace faceg2e::face
