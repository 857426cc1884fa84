// The upstream-OBJ importer against the shipped reference F3DM, on the raw subset.
#include <gtest/gtest.h>

#include <cmath>

#include "core/face/float16.h"
#include "core/face/ict_import.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/face/face_fixture.h"

namespace faceg2e::face {
namespace {

using testing::ict_dir;
using testing::reference_model;
using testing::TempDir;

struct Imported {
  FaceModel model;
  std::vector<std::string> warnings;
};

const Imported& imported() {
  static const Imported result = [] {
    Imported r;
    IctImportOptions opt;
    opt.warn = [&](const std::string& w) { r.warnings.push_back(w); };
    r.model = import_ict_facekit(ict_dir() / "raw-subset", opt);
    return r;
  }();
  return result;
}

// Index of `name` in `names`, or -1.
int find_name(const std::vector<std::string>& names, const std::string& name) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

// A basis computed from OBJ text must match the reference float16 basis to float16 rounding:
// rounding ours to float16 lands on the reference value or on a neighbouring float16.
void expect_basis_matches(const std::vector<float>& ours, std::size_t ours_mode,
                          const std::vector<float>& ref, std::size_t ref_mode, std::size_t stride) {
  std::size_t exact = 0;
  double max_err = 0;
  for (std::size_t i = 0; i < stride; ++i) {
    const float a = half_to_float(float_to_half(ours[ours_mode * stride + i]));
    const float b = ref[ref_mode * stride + i];
    exact += a == b;
    max_err = std::max(max_err, double(std::abs(a - b)));
  }
  EXPECT_LT(max_err, 2e-3);  // one float16 ulp at |x| < 4 cm is <= 0.002
  EXPECT_GT(double(exact) / double(stride), 0.999);
}

TEST(IctImport, RawSubsetMatchesReference) {
  const FaceModel& m = imported().model;
  const FaceModel& ref = reference_model();
  ASSERT_EQ(m.num_vertices, ref.num_vertices);
  ASSERT_EQ(m.num_uvs, ref.num_uvs);
  ASSERT_EQ(m.num_faces, ref.num_faces);
  EXPECT_EQ(m.neutral_vertices, ref.neutral_vertices);
  EXPECT_EQ(m.uvs, ref.uvs);
  EXPECT_EQ(m.faces, ref.faces);
  EXPECT_EQ(m.faces_uv, ref.faces_uv);
  EXPECT_EQ(m.face_part, ref.face_part);
  EXPECT_EQ(m.face_material, ref.face_material);
  EXPECT_EQ(m.face_src_poly, ref.face_src_poly);
  EXPECT_EQ(m.vertex_part, ref.vertex_part);
  EXPECT_EQ(m.landmarks68, ref.landmarks68);
  EXPECT_EQ(m.meta["materials"], ref.meta["materials"]);
  EXPECT_EQ(m.meta["parts"], ref.meta["parts"]);
  EXPECT_EQ(m.license_text, ref.license_text);

  EXPECT_EQ(m.identity_names, (std::vector<std::string>{"identity000", "identity001"}));
  EXPECT_EQ(m.expression_names, (std::vector<std::string>{"jawOpen", "mouthSmile_L"}));
  const std::size_t stride = std::size_t(m.num_vertices) * 3;
  for (int k = 0; k < m.num_identity; ++k) {
    SCOPED_TRACE(m.identity_names[k]);
    const int r = find_name(ref.identity_names, m.identity_names[k]);
    ASSERT_GE(r, 0);
    expect_basis_matches(m.identity_basis, k, ref.identity_basis, r, stride);
  }
  for (int k = 0; k < m.num_expression; ++k) {
    SCOPED_TRACE(m.expression_names[k]);
    const int r = find_name(ref.expression_names, m.expression_names[k]);
    ASSERT_GE(r, 0);
    expect_basis_matches(m.expression_basis, k, ref.expression_basis, r, stride);
  }
}

TEST(IctImport, WarnsAboutMissingModes) {
  const auto& w = imported().warnings;
  EXPECT_EQ(w.size(), 98u + 51u);  // 100 identities and 53 expressions listed, 2 + 2 present
  bool saw_identity002 = false, saw_browdown = false;
  for (const auto& s : w) {
    saw_identity002 |= s.find("identity002.obj") != std::string::npos;
    saw_browdown |= s.find("browDown_L.obj") != std::string::npos;
  }
  EXPECT_TRUE(saw_identity002);
  EXPECT_TRUE(saw_browdown);
}

TEST(IctImport, WrittenFileLoadsBack) {
  TempDir dir("import");
  save_f3dm(imported().model, dir.path() / "subset.f3dm");
  const FaceModel back = load_f3dm(dir.path() / "subset.f3dm");
  EXPECT_EQ(back.num_identity, 2);
  EXPECT_EQ(back.num_expression, 2);
  EXPECT_EQ(back.faces, imported().model.faces);
  EXPECT_EQ(back.expression_names, imported().model.expression_names);
}

TEST(IctImport, MalformedObjNamesFileAndLine) {
  TempDir dir("badobj");
  std::string obj = read_file(ict_dir() / "raw-subset" / "generic_neutral_mesh.obj");
  const std::size_t at = obj.find("\nv ");
  obj.insert(at + 3, "x");  // "v x0 -2.48..." on line 27
  write_file_atomic(dir.path() / "generic_neutral_mesh.obj", obj);
  write_file_atomic(dir.path() / "vertex_indices.json",
                    read_file(ict_dir() / "raw-subset" / "vertex_indices.json"));
  write_file_atomic(dir.path() / "LICENSE", read_file(ict_dir() / "raw-subset" / "LICENSE"));
  try {
    import_ict_facekit(dir.path());
    FAIL() << "no error";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("generic_neutral_mesh.obj"), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 27"), std::string::npos) << msg;
  }
}

TEST(IctImport, MissingFolderOrFiles) {
  EXPECT_THROW(import_ict_facekit("/nonexistent/FaceXModel"), NotFoundError);
  TempDir dir("empty");
  EXPECT_THROW(import_ict_facekit(dir.path()), NotFoundError);
}

}  // namespace
}  // namespace faceg2e::face
