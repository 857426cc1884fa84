// F3DM reader/writer: the good file, and hostile variants of it (each must give a FormatError
// that names the field, never a crash).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "core/face/float16.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/face/face_fixture.h"

namespace faceg2e::face {
namespace {

using testing::reference_f3dm;
using testing::reference_model;
using testing::TempDir;

const std::string& reference_bytes() {
  static const std::string bytes = read_file(reference_f3dm());
  return bytes;
}

// Byte position of the table entry named `name` in the reference file.
std::size_t entry_pos(const std::string& bytes, const std::string& name) {
  std::uint32_t n;
  std::memcpy(&n, bytes.data() + 12, 4);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::size_t p = 16 + 64 * std::size_t(i);
    if (name == std::string(bytes.data() + p)) return p;
  }
  ADD_FAILURE() << "no entry " << name;
  return 0;
}

template <typename T>
void poke(std::string& bytes, std::size_t at, T v) {
  std::memcpy(&bytes[at], &v, sizeof v);
}

template <typename T>
T peek(const std::string& bytes, std::size_t at) {
  T v;
  std::memcpy(&v, bytes.data() + at, sizeof v);
  return v;
}

// Writes `bytes` to a temp file and expects load_f3dm to throw a FormatError whose message
// names the file and contains `needle`.
void expect_format_error(const std::string& bytes, const std::string& needle) {
  TempDir dir("f3dm");
  const auto path = dir.path() / "bad.f3dm";
  write_file_atomic(path, bytes);
  try {
    load_f3dm(path);
    FAIL() << "no error for a file that should fail with '" << needle << "'";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << "message: " << msg;
  }
}

TEST(F3dm, ReadsReferenceModel) {
  const FaceModel& m = reference_model();
  EXPECT_EQ(m.num_vertices, 26719);
  EXPECT_EQ(m.num_uvs, 28911);
  EXPECT_EQ(m.num_faces, 52220);
  EXPECT_EQ(m.num_identity, 100);
  EXPECT_EQ(m.num_expression, 53);
  EXPECT_EQ(m.identity_names.front(), "identity000");
  EXPECT_EQ(m.identity_names.back(), "identity099");
  EXPECT_EQ(m.expression_names.front(), "browDown_L");
  EXPECT_EQ(m.expression_names[26], "jawOpen");
  EXPECT_EQ(m.expression_names.back(), "noseSneer_R");
  EXPECT_EQ(m.meta["materials"].size(), 12u);
  EXPECT_EQ(m.meta["parts"].size(), 17u);
  EXPECT_EQ(m.license_text.rfind("MIT License", 0), 0u);
  // First vertex of generic_neutral_mesh.obj: "v 0 -2.48251 11.8387".
  EXPECT_FLOAT_EQ(m.neutral_vertices[0], 0.0f);
  EXPECT_FLOAT_EQ(m.neutral_vertices[1], -2.48251f);
  EXPECT_FLOAT_EQ(m.neutral_vertices[2], 11.8387f);
  // First polygon of the OBJ: "f 874/1 12/2 871/3 873/4" -> (873,11,870), (873,870,872).
  EXPECT_EQ(m.faces[0], 873);
  EXPECT_EQ(m.faces[1], 11);
  EXPECT_EQ(m.faces[2], 870);
  EXPECT_EQ(m.faces[3], 873);
  EXPECT_EQ(m.faces[4], 870);
  EXPECT_EQ(m.faces[5], 872);
  EXPECT_EQ(m.faces_uv[5], 3);
}

TEST(F3dm, SaveLoadRoundTripIsExact) {
  const FaceModel& m = reference_model();
  TempDir dir("roundtrip");
  const auto path = dir.path() / "copy.f3dm";
  save_f3dm(m, path);
  const FaceModel c = load_f3dm(path);
  EXPECT_EQ(c.neutral_vertices, m.neutral_vertices);
  EXPECT_EQ(c.uvs, m.uvs);
  EXPECT_EQ(c.faces, m.faces);
  EXPECT_EQ(c.faces_uv, m.faces_uv);
  EXPECT_EQ(c.face_part, m.face_part);
  EXPECT_EQ(c.face_material, m.face_material);
  EXPECT_EQ(c.face_src_poly, m.face_src_poly);
  EXPECT_EQ(c.vertex_part, m.vertex_part);
  EXPECT_EQ(c.landmarks68, m.landmarks68);
  // The bases were float16 already, so float16 -> float -> float16 is lossless.
  EXPECT_EQ(c.identity_basis, m.identity_basis);
  EXPECT_EQ(c.expression_basis, m.expression_basis);
  EXPECT_EQ(c.identity_names, m.identity_names);
  EXPECT_EQ(c.expression_names, m.expression_names);
  EXPECT_EQ(c.meta, m.meta);
  EXPECT_EQ(c.license_text, m.license_text);
}

TEST(Float16, ConversionsAgreeWithDefinition) {
  // Every finite half converts to the float value its bits define, and back to the same bits.
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    const std::uint32_t e = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (e == 0x1f) continue;
    const double mag =
        e == 0 ? std::ldexp(double(mant), -24) : std::ldexp(1.0 + mant / 1024.0, int(e) - 15);
    const double expected = (h & 0x8000) ? -mag : mag;
    ASSERT_EQ(double(half_to_float(std::uint16_t(h))), expected) << h;
    if (mag != 0.0) {
      ASSERT_EQ(float_to_half(half_to_float(std::uint16_t(h))), h) << h;
    }
  }
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048.0f), 0x3c00);  // tie -> even (down)
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048.0f), 0x3c02);  // tie -> even (up)
  EXPECT_EQ(float_to_half(70000.0f), 0x7c00);               // overflow -> inf
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);  // tie at 0 -> even
  EXPECT_EQ(float_to_half(std::ldexp(1.5f, -25)), 0x0001);  // rounds up to min subnormal
}

TEST(F3dmCorrupt, TruncatedAtSeveralPoints) {
  const std::string& good = reference_bytes();
  for (std::size_t cut :
       {std::size_t(0), std::size_t(7), std::size_t(15), std::size_t(100), std::size_t(1000),
        std::size_t(500000), good.size() / 2, good.size() - 1}) {
    SCOPED_TRACE(cut);
    expect_format_error(good.substr(0, cut), cut < 16 ? "header" : "");
  }
}

TEST(F3dmCorrupt, BadMagic) {
  std::string b = reference_bytes();
  b[0] = 'X';
  expect_format_error(b, "magic");
}

TEST(F3dmCorrupt, BadVersion) {
  std::string b = reference_bytes();
  poke<std::uint32_t>(b, 8, 2);
  expect_format_error(b, "version 2");
}

TEST(F3dmCorrupt, AbsurdArrayCount) {
  std::string b = reference_bytes();
  poke<std::uint32_t>(b, 12, 0xffffffffu);
  expect_format_error(b, "n_arrays");
  poke<std::uint32_t>(b, 12, 0);
  expect_format_error(b, "n_arrays");
  poke<std::uint32_t>(b, 12, 4000);  // allowed count, but the table would run past the file
  expect_format_error(b.substr(0, 20000), "array table");
}

TEST(F3dmCorrupt, BadDtype) {
  std::string b = reference_bytes();
  poke<std::uint32_t>(b, entry_pos(b, "faces") + 32, 9);
  expect_format_error(b, "unknown dtype 9");
  b = reference_bytes();
  poke<std::uint32_t>(b, entry_pos(b, "faces") + 32, 1);  // valid dtype, wrong for this array
  expect_format_error(b, "'faces': dtype float32");
}

TEST(F3dmCorrupt, BadNdim) {
  std::string b = reference_bytes();
  poke<std::uint32_t>(b, entry_pos(b, "uvs") + 36, 7);
  expect_format_error(b, "ndim 7");
  b = reference_bytes();
  poke<std::uint32_t>(b, entry_pos(b, "uvs") + 36, 0);
  expect_format_error(b, "ndim 0");
}

TEST(F3dmCorrupt, ShapeBeyondFile) {
  std::string b = reference_bytes();
  poke<std::uint32_t>(b, entry_pos(b, "identity_basis") + 40, 1000);
  expect_format_error(b, "'identity_basis'");
  b = reference_bytes();
  const std::size_t p = entry_pos(b, "expression_basis");
  for (int d = 0; d < 3; ++d) poke<std::uint32_t>(b, p + 40 + 4 * d, 0xffffffffu);
  expect_format_error(b, "more elements than the file has bytes");
}

TEST(F3dmCorrupt, InconsistentShapes) {
  std::string b = reference_bytes();
  const std::size_t p = entry_pos(b, "face_part");
  poke<std::uint32_t>(b, p + 40, peek<std::uint32_t>(b, p + 40) - 1);
  expect_format_error(b, "'face_part'");
}

TEST(F3dmCorrupt, OffsetBeyondFile) {
  std::string b = reference_bytes();
  poke<std::uint64_t>(b, entry_pos(b, "license_text") + 56, std::uint64_t(b.size()) / 64 * 64 + 64);
  expect_format_error(b, "runs past the end");
  b = reference_bytes();
  poke<std::uint64_t>(b, entry_pos(b, "license_text") + 56,
                      0xffffffffffffffc0ull);  // would overflow
  expect_format_error(b, "runs past the end");
}

TEST(F3dmCorrupt, MisalignedOffset) {
  std::string b = reference_bytes();
  const std::size_t p = entry_pos(b, "uvs");
  poke<std::uint64_t>(b, p + 56, peek<std::uint64_t>(b, p + 56) + 4);
  expect_format_error(b, "not 64-byte aligned");
}

TEST(F3dmCorrupt, MissingArray) {
  std::string b = reference_bytes();
  std::memcpy(&b[entry_pos(b, "landmarks68")], "landmarksXX", 11);
  expect_format_error(b, "'landmarks68' is missing");
}

TEST(F3dmCorrupt, FaceIndexOutOfRange) {
  std::string b = reference_bytes();
  const auto off = peek<std::uint64_t>(b, entry_pos(b, "faces") + 56);
  poke<std::int32_t>(b, off + 4 * 100, 26719);
  expect_format_error(b, "'faces': element 100 = 26719 is out of range");
  b = reference_bytes();
  poke<std::int32_t>(b, off + 4 * 5, -1);
  expect_format_error(b, "'faces': element 5 = -1");
}

TEST(F3dmCorrupt, UvIndexOutOfRange) {
  std::string b = reference_bytes();
  const auto off = peek<std::uint64_t>(b, entry_pos(b, "faces_uv") + 56);
  poke<std::int32_t>(b, off + 4 * 7, 28911);
  expect_format_error(b, "'faces_uv': element 7 = 28911");
}

TEST(F3dmCorrupt, PartIdOutOfRange) {
  std::string b = reference_bytes();
  const auto off = peek<std::uint64_t>(b, entry_pos(b, "face_part") + 56);
  b[off + 3] = char(200);
  expect_format_error(b, "'face_part'");
}

TEST(F3dmCorrupt, NonFiniteVertex) {
  std::string b = reference_bytes();
  const auto off = peek<std::uint64_t>(b, entry_pos(b, "neutral_vertices") + 56);
  poke<float>(b, off + 8, std::nanf(""));
  expect_format_error(b, "'neutral_vertices': element 2 is not finite");
}

TEST(F3dmCorrupt, BadMetaJson) {
  std::string b = reference_bytes();
  const auto off = peek<std::uint64_t>(b, entry_pos(b, "meta_json") + 56);
  b[off] = '#';
  expect_format_error(b, "meta_json");
}

TEST(F3dmCorrupt, MissingFileIsNotFound) {
  EXPECT_THROW(load_f3dm("/nonexistent/face.f3dm"), NotFoundError);
}

}  // namespace
}  // namespace faceg2e::face
