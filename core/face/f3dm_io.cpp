// F3DM v1 reader and writer. The reader treats the file as hostile: every count, shape and offset
// is checked against the file size (with overflow guards) before anything is read through it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <sstream>

#include "core/face/face_model.h"
#include "core/face/float16.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e::face {
namespace {

constexpr char kMagic[8] = {'F', '3', 'D', 'M', '\0', '\0', '\0', '\1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 16;
constexpr std::size_t kEntryBytes = 64;
constexpr std::size_t kNameBytes = 32;
constexpr std::size_t kAlignment = 64;
// Far above the 15 arrays v1 defines; guards a table size read from a hostile file.
constexpr std::uint32_t kMaxArrays = 4096;

enum DType : std::uint32_t { kFloat32 = 1, kFloat16 = 2, kInt32 = 3, kUInt8 = 4 };

std::size_t dtype_size(std::uint32_t dtype) {
  switch (dtype) {
    case kFloat32:
      return 4;
    case kFloat16:
      return 2;
    case kInt32:
      return 4;
    case kUInt8:
      return 1;
    default:
      return 0;
  }
}

const char* dtype_name(std::uint32_t dtype) {
  switch (dtype) {
    case kFloat32:
      return "float32";
    case kFloat16:
      return "float16";
    case kInt32:
      return "int32";
    case kUInt8:
      return "uint8";
    default:
      return "unknown";
  }
}

struct Entry {
  std::string name;
  std::uint32_t dtype = 0;
  std::uint32_t ndim = 0;
  std::uint32_t shape[4] = {1, 1, 1, 1};
  std::uint64_t offset = 0;
  std::uint64_t count = 0;  // elements
  std::uint64_t bytes = 0;
};

template <typename T>
T read_le(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // the format is little-endian, as is every platform we build on
  return v;
}

std::string shape_string(const Entry& e) {
  std::ostringstream s;
  s << "[";
  for (std::uint32_t i = 0; i < e.ndim; ++i) s << (i ? "," : "") << e.shape[i];
  s << "]";
  return s.str();
}

class Reader {
 public:
  Reader(const std::filesystem::path& path, std::string bytes)
      : path_(path), file_(path.string()), data_(std::move(bytes)) {}

  [[noreturn]] void fail(const std::string& what) const { throw FormatError(file_, what); }

  void parse_table() {
    if (data_.size() < kHeaderBytes)
      fail("file is " + std::to_string(data_.size()) + " bytes, shorter than the 16-byte header");
    if (std::memcmp(data_.data(), kMagic, sizeof kMagic) != 0) fail("bad magic (not an F3DM file)");
    const auto version = read_le<std::uint32_t>(data_.data() + 8);
    if (version != kVersion)
      fail("version " + std::to_string(version) + " is not supported (expected 1)");
    const auto n_arrays = read_le<std::uint32_t>(data_.data() + 12);
    if (n_arrays == 0 || n_arrays > kMaxArrays)
      fail("n_arrays = " + std::to_string(n_arrays) + " is out of range (1.." +
           std::to_string(kMaxArrays) + ")");
    const std::uint64_t table_end = kHeaderBytes + std::uint64_t(n_arrays) * kEntryBytes;
    if (table_end > data_.size())
      fail("array table (" + std::to_string(n_arrays) + " entries) ends at byte " +
           std::to_string(table_end) + ", past the end of the file (" +
           std::to_string(data_.size()) + " bytes): truncated?");
    for (std::uint32_t i = 0; i < n_arrays; ++i) {
      const char* p = data_.data() + kHeaderBytes + std::size_t(i) * kEntryBytes;
      Entry e;
      const char* nul = static_cast<const char*>(std::memchr(p, '\0', kNameBytes));
      if (!nul) fail("table entry " + std::to_string(i) + ": name is not NUL-terminated");
      e.name.assign(p, nul);
      if (e.name.empty()) fail("table entry " + std::to_string(i) + ": empty name");
      for (char c : e.name)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e)
          fail("table entry " + std::to_string(i) + ": name has non-printable characters");
      const std::string where = "array '" + e.name + "'";
      e.dtype = read_le<std::uint32_t>(p + 32);
      if (dtype_size(e.dtype) == 0) fail(where + ": unknown dtype " + std::to_string(e.dtype));
      e.ndim = read_le<std::uint32_t>(p + 36);
      if (e.ndim < 1 || e.ndim > 4)
        fail(where + ": ndim " + std::to_string(e.ndim) + " not in 1..4");
      e.count = 1;
      for (int d = 0; d < 4; ++d) {
        e.shape[d] = read_le<std::uint32_t>(p + 40 + 4 * d);
        if (std::uint32_t(d) >= e.ndim && e.shape[d] != 1)
          fail(where + ": unused shape dim " + std::to_string(d) + " is " +
               std::to_string(e.shape[d]) + ", expected 1");
        // Each factor is < 2^32 and the running product is kept <= file size, so no overflow.
        e.count *= e.shape[d];
        if (e.count > data_.size())
          fail(where + ": shape " + shape_string(e) + " has more elements than the file has bytes");
      }
      e.bytes = e.count * dtype_size(e.dtype);
      e.offset = read_le<std::uint64_t>(p + 56);
      if (e.offset % kAlignment != 0)
        fail(where + ": offset " + std::to_string(e.offset) + " is not 64-byte aligned");
      if (e.offset < table_end)
        fail(where + ": offset " + std::to_string(e.offset) + " lies inside the header/table");
      if (e.offset > data_.size() || e.bytes > data_.size() - e.offset)
        fail(where + ": payload [" + std::to_string(e.offset) + ", +" + std::to_string(e.bytes) +
             ") runs past the end of the file (" + std::to_string(data_.size()) +
             " bytes): truncated?");
      if (entries_.count(e.name)) fail(where + " appears twice in the table");
      entries_.emplace(e.name, e);
    }
  }

  const Entry& require(const std::string& name, std::uint32_t dtype, std::uint32_t ndim) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) fail("required array '" + name + "' is missing");
    const Entry& e = it->second;
    if (e.dtype != dtype)
      fail("array '" + name + "': dtype " + dtype_name(e.dtype) + ", expected " +
           dtype_name(dtype));
    if (e.ndim != ndim)
      fail("array '" + name + "': ndim " + std::to_string(e.ndim) + " (shape " + shape_string(e) +
           "), expected " + std::to_string(ndim));
    return e;
  }

  void expect_dim(const Entry& e, int dim, std::uint64_t want, const char* what) const {
    if (e.shape[dim] != want)
      fail("array '" + e.name + "': shape " + shape_string(e) + ", dim " + std::to_string(dim) +
           " should be " + std::to_string(want) + " (" + what + ")");
  }

  template <typename T>
  std::vector<T> copy(const Entry& e) const {
    std::vector<T> out(e.count);
    if (e.bytes) std::memcpy(out.data(), data_.data() + e.offset, e.bytes);
    return out;
  }

  std::vector<float> copy_half(const Entry& e) const {
    std::vector<float> out(e.count);
    const char* p = data_.data() + e.offset;
    for (std::uint64_t i = 0; i < e.count; ++i)
      out[i] = half_to_float(read_le<std::uint16_t>(p + 2 * i));
    return out;
  }

  std::string text(const Entry& e) const { return std::string(data_.data() + e.offset, e.bytes); }

  const std::string& file() const { return file_; }

 private:
  std::filesystem::path path_;
  std::string file_;
  std::string data_;
  std::map<std::string, Entry> entries_;
};

std::vector<std::string> split_names(const std::string& joined) {
  std::vector<std::string> names;
  if (joined.empty()) return names;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = joined.find('\n', start);
    names.push_back(
        joined.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return names;
}

template <typename T>
void check_range(const Reader& r, const std::vector<T>& values, std::int64_t limit,
                 const std::string& field, const std::string& what) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::int64_t v = values[i];
    if (v < 0 || v >= limit)
      throw FormatError(r.file(), "array '" + field + "': element " + std::to_string(i) + " = " +
                                      std::to_string(v) + " is out of range [0, " +
                                      std::to_string(limit) + ") (" + what + ")");
  }
}

void check_finite(const Reader& r, const std::vector<float>& values, const std::string& field) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw FormatError(r.file(),
                        "array '" + field + "': element " + std::to_string(i) + " is not finite");
}

}  // namespace

FaceModel load_f3dm(const std::filesystem::path& path) {
  Reader r(path, read_file(path));
  r.parse_table();

  const Entry& nv = r.require("neutral_vertices", kFloat32, 2);
  r.expect_dim(nv, 1, 3, "xyz");
  const std::uint64_t V = nv.shape[0];
  const Entry& uv = r.require("uvs", kFloat32, 2);
  r.expect_dim(uv, 1, 2, "uv");
  const std::uint64_t T = uv.shape[0];
  const Entry& fc = r.require("faces", kInt32, 2);
  r.expect_dim(fc, 1, 3, "triangles");
  const std::uint64_t F = fc.shape[0];
  constexpr std::uint64_t kMaxCount = std::numeric_limits<std::int32_t>::max();
  if (V == 0 || V > kMaxCount)
    r.fail("array 'neutral_vertices': vertex count " + std::to_string(V) + " out of range");
  if (T == 0 || T > kMaxCount)
    r.fail("array 'uvs': UV count " + std::to_string(T) + " out of range");
  if (F == 0 || F > kMaxCount)
    r.fail("array 'faces': face count " + std::to_string(F) + " out of range");

  const Entry& fuv = r.require("faces_uv", kInt32, 2);
  r.expect_dim(fuv, 0, F, "F, as in 'faces'");
  r.expect_dim(fuv, 1, 3, "triangles");
  const Entry& fp = r.require("face_part", kUInt8, 1);
  r.expect_dim(fp, 0, F, "F, as in 'faces'");
  const Entry& fm = r.require("face_material", kUInt8, 1);
  r.expect_dim(fm, 0, F, "F, as in 'faces'");
  const Entry& fsp = r.require("face_src_poly", kInt32, 1);
  r.expect_dim(fsp, 0, F, "F, as in 'faces'");
  const Entry& vp = r.require("vertex_part", kUInt8, 1);
  r.expect_dim(vp, 0, V, "V, as in 'neutral_vertices'");
  const Entry& lm = r.require("landmarks68", kInt32, 1);
  r.expect_dim(lm, 0, 68, "68 landmarks");
  const Entry& ib = r.require("identity_basis", kFloat16, 3);
  r.expect_dim(ib, 1, V, "V, as in 'neutral_vertices'");
  r.expect_dim(ib, 2, 3, "xyz");
  const Entry& eb = r.require("expression_basis", kFloat16, 3);
  r.expect_dim(eb, 1, V, "V, as in 'neutral_vertices'");
  r.expect_dim(eb, 2, 3, "xyz");
  const Entry& in = r.require("identity_names", kUInt8, 1);
  const Entry& en = r.require("expression_names", kUInt8, 1);
  const Entry& mj = r.require("meta_json", kUInt8, 1);
  const Entry& lt = r.require("license_text", kUInt8, 1);

  FaceModel m;
  m.source = path;
  m.num_vertices = static_cast<int>(V);
  m.num_uvs = static_cast<int>(T);
  m.num_faces = static_cast<int>(F);
  m.num_identity = static_cast<int>(ib.shape[0]);
  m.num_expression = static_cast<int>(eb.shape[0]);

  try {
    m.meta = nlohmann::json::parse(r.text(mj));
  } catch (const nlohmann::json::exception& e) {
    r.fail(std::string("array 'meta_json' is not valid JSON: ") + e.what());
  }
  if (!m.meta.is_object()) r.fail("array 'meta_json' is not a JSON object");
  const auto parts = m.meta.find("parts");
  if (parts == m.meta.end() || !parts->is_array() || parts->empty())
    r.fail("meta_json: 'parts' is missing or not a non-empty array");
  const auto materials = m.meta.find("materials");
  if (materials == m.meta.end() || !materials->is_array() || materials->empty())
    r.fail("meta_json: 'materials' is missing or not a non-empty array");
  for (const auto& mat : *materials)
    if (!mat.is_string()) r.fail("meta_json: 'materials' holds a non-string entry");

  m.neutral_vertices = r.copy<float>(nv);
  check_finite(r, m.neutral_vertices, "neutral_vertices");
  m.uvs = r.copy<float>(uv);
  check_finite(r, m.uvs, "uvs");
  m.faces = r.copy<std::int32_t>(fc);
  check_range(r, m.faces, V, "faces", "vertex index");
  m.faces_uv = r.copy<std::int32_t>(fuv);
  check_range(r, m.faces_uv, T, "faces_uv", "UV index");
  m.face_part = r.copy<std::uint8_t>(fp);
  check_range(r, m.face_part, static_cast<std::int64_t>(parts->size()), "face_part",
              "part id vs meta parts");
  m.face_material = r.copy<std::uint8_t>(fm);
  check_range(r, m.face_material, static_cast<std::int64_t>(materials->size()), "face_material",
              "material id vs meta materials");
  m.face_src_poly = r.copy<std::int32_t>(fsp);
  check_range(r, m.face_src_poly, std::numeric_limits<std::int32_t>::max(), "face_src_poly",
              "source polygon");
  m.vertex_part = r.copy<std::uint8_t>(vp);
  check_range(r, m.vertex_part, static_cast<std::int64_t>(parts->size()), "vertex_part",
              "part id vs meta parts");
  m.landmarks68 = r.copy<std::int32_t>(lm);
  check_range(r, m.landmarks68, V, "landmarks68", "vertex index");
  m.identity_basis = r.copy_half(ib);
  check_finite(r, m.identity_basis, "identity_basis");
  m.expression_basis = r.copy_half(eb);
  check_finite(r, m.expression_basis, "expression_basis");
  m.identity_names = split_names(r.text(in));
  if (m.identity_names.size() != ib.shape[0])
    r.fail("array 'identity_names': " + std::to_string(m.identity_names.size()) + " names for " +
           std::to_string(ib.shape[0]) + " identity modes");
  m.expression_names = split_names(r.text(en));
  if (m.expression_names.size() != eb.shape[0])
    r.fail("array 'expression_names': " + std::to_string(m.expression_names.size()) +
           " names for " + std::to_string(eb.shape[0]) + " expressions");
  m.license_text = r.text(lt);
  return m;
}

namespace {

class Writer {
 public:
  void add(const std::string& name, std::uint32_t dtype, std::vector<std::uint32_t> shape,
           const void* data, std::size_t bytes) {
    FACEG2E_CHECK(name.size() < kNameBytes, "F3DM array name too long: " + name);
    FACEG2E_CHECK(!shape.empty() && shape.size() <= 4, "F3DM array ndim out of range: " + name);
    std::uint64_t count = 1;
    for (auto s : shape) count *= s;
    FACEG2E_CHECK(count * dtype_size(dtype) == bytes, "F3DM array size mismatch: " + name);
    arrays_.push_back(
        {name, dtype, std::move(shape), std::string(static_cast<const char*>(data), bytes)});
  }

  std::string serialize() const {
    std::string out;
    const std::size_t table_end = kHeaderBytes + arrays_.size() * kEntryBytes;
    std::vector<std::uint64_t> offsets;
    std::uint64_t cursor = align(table_end);
    for (const auto& a : arrays_) {
      offsets.push_back(cursor);
      cursor = align(cursor + a.payload.size());
    }
    out.assign(cursor, '\0');
    std::memcpy(&out[0], kMagic, sizeof kMagic);
    put<std::uint32_t>(out, 8, kVersion);
    put<std::uint32_t>(out, 12, static_cast<std::uint32_t>(arrays_.size()));
    for (std::size_t i = 0; i < arrays_.size(); ++i) {
      const auto& a = arrays_[i];
      const std::size_t p = kHeaderBytes + i * kEntryBytes;
      std::memcpy(&out[p], a.name.data(), a.name.size());
      put<std::uint32_t>(out, p + 32, a.dtype);
      put<std::uint32_t>(out, p + 36, static_cast<std::uint32_t>(a.shape.size()));
      for (std::size_t d = 0; d < 4; ++d)
        put<std::uint32_t>(out, p + 40 + 4 * d, d < a.shape.size() ? a.shape[d] : 1u);
      put<std::uint64_t>(out, p + 56, offsets[i]);
      if (!a.payload.empty()) std::memcpy(&out[offsets[i]], a.payload.data(), a.payload.size());
    }
    return out;
  }

 private:
  struct Array {
    std::string name;
    std::uint32_t dtype;
    std::vector<std::uint32_t> shape;
    std::string payload;
  };
  static std::uint64_t align(std::uint64_t x) {
    return (x + kAlignment - 1) / kAlignment * kAlignment;
  }
  template <typename T>
  static void put(std::string& out, std::size_t at, T v) {
    std::memcpy(&out[at], &v, sizeof v);
  }
  std::vector<Array> arrays_;
};

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    FACEG2E_CHECK(names[i].find('\n') == std::string::npos, "mode name contains a newline");
    if (i) out += '\n';
    out += names[i];
  }
  return out;
}

std::vector<std::uint16_t> to_half(const std::vector<float>& values) {
  std::vector<std::uint16_t> out(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) out[i] = float_to_half(values[i]);
  return out;
}

}  // namespace

void save_f3dm(const FaceModel& m, const std::filesystem::path& path) {
  const auto V = static_cast<std::uint32_t>(m.num_vertices);
  const auto T = static_cast<std::uint32_t>(m.num_uvs);
  const auto F = static_cast<std::uint32_t>(m.num_faces);
  const auto K = static_cast<std::uint32_t>(m.num_identity);
  const auto E = static_cast<std::uint32_t>(m.num_expression);
  FACEG2E_CHECK(m.neutral_vertices.size() == std::size_t(V) * 3, "neutral_vertices size");
  FACEG2E_CHECK(m.uvs.size() == std::size_t(T) * 2, "uvs size");
  FACEG2E_CHECK(m.faces.size() == std::size_t(F) * 3 && m.faces_uv.size() == std::size_t(F) * 3,
                "faces / faces_uv size");
  FACEG2E_CHECK(
      m.face_part.size() == F && m.face_material.size() == F && m.face_src_poly.size() == F,
      "per-face array size");
  FACEG2E_CHECK(m.vertex_part.size() == V, "vertex_part size");
  FACEG2E_CHECK(m.landmarks68.size() == 68, "landmarks68 size");
  FACEG2E_CHECK(m.identity_basis.size() == std::size_t(K) * V * 3, "identity_basis size");
  FACEG2E_CHECK(m.expression_basis.size() == std::size_t(E) * V * 3, "expression_basis size");
  FACEG2E_CHECK(m.identity_names.size() == K && m.expression_names.size() == E, "mode name count");

  Writer w;
  w.add("neutral_vertices", kFloat32, {V, 3}, m.neutral_vertices.data(),
        m.neutral_vertices.size() * 4);
  w.add("uvs", kFloat32, {T, 2}, m.uvs.data(), m.uvs.size() * 4);
  w.add("faces", kInt32, {F, 3}, m.faces.data(), m.faces.size() * 4);
  w.add("faces_uv", kInt32, {F, 3}, m.faces_uv.data(), m.faces_uv.size() * 4);
  w.add("face_part", kUInt8, {F}, m.face_part.data(), F);
  w.add("face_material", kUInt8, {F}, m.face_material.data(), F);
  w.add("face_src_poly", kInt32, {F}, m.face_src_poly.data(), std::size_t(F) * 4);
  w.add("vertex_part", kUInt8, {V}, m.vertex_part.data(), V);
  w.add("landmarks68", kInt32, {68}, m.landmarks68.data(), 68 * 4);
  const auto ib = to_half(m.identity_basis);
  w.add("identity_basis", kFloat16, {K, V, 3}, ib.data(), ib.size() * 2);
  const auto eb = to_half(m.expression_basis);
  w.add("expression_basis", kFloat16, {E, V, 3}, eb.data(), eb.size() * 2);
  const std::string in = join_names(m.identity_names);
  w.add("identity_names", kUInt8, {static_cast<std::uint32_t>(in.size())}, in.data(), in.size());
  const std::string en = join_names(m.expression_names);
  w.add("expression_names", kUInt8, {static_cast<std::uint32_t>(en.size())}, en.data(), en.size());
  const std::string mj = m.meta.dump(1);
  w.add("meta_json", kUInt8, {static_cast<std::uint32_t>(mj.size())}, mj.data(), mj.size());
  w.add("license_text", kUInt8, {static_cast<std::uint32_t>(m.license_text.size())},
        m.license_text.data(), m.license_text.size());
  write_file_atomic(path, w.serialize());
}

}  // namespace faceg2e::face
