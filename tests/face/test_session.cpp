// Project folder round trip and corrupt projects; OBJ export read back with tinyobjloader;
// texture padding.
#include <gtest/gtest.h>
#include <tiny_obj_loader.h>

#include <fstream>

#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/session/export_obj.h"
#include "core/session/project.h"
#include "core/session/texture_padding.h"
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

Image8 gradient_image(int size) {
  Image8 img;
  img.width = img.height = size;
  img.channels = 3;
  img.pixels.resize(std::size_t(size) * size * 3);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      auto* p = &img.pixels[3 * (std::size_t(y) * size + x)];
      p[0] = std::uint8_t(x * 255 / (size - 1));
      p[1] = std::uint8_t(y * 255 / (size - 1));
      p[2] = 77;
    }
  return img;
}

ProjectState sample_project() {
  ProjectState p;
  p.face.coeffs.identity = {0.5f, -1.25f, 3.0f};
  p.face.coeffs.expression = {0.0f, 0.75f};
  p.face.albedo = to_float_image(gradient_image(64));
  p.face_model_name = "ict_facekit_full";
  p.generation = {{"prompt", "an old man"}, {"seed", 42}};
  return p;
}

TEST(Project, SaveLoadRoundTrip) {
  TempDir dir("project");
  save_project(dir.path() / "p", sample_project());
  const ProjectState q = load_project(dir.path() / "p");
  EXPECT_EQ(q.face.coeffs.identity, (std::vector<float>{0.5f, -1.25f, 3.0f}));
  EXPECT_EQ(q.face.coeffs.expression, (std::vector<float>{0.0f, 0.75f}));
  EXPECT_EQ(q.face.albedo.width, 64);
  EXPECT_EQ(to_image8(q.face.albedo).pixels, gradient_image(64).pixels);
  EXPECT_EQ(q.face_model_name, "ict_facekit_full");
  EXPECT_EQ(q.generation["prompt"], "an old man");
  EXPECT_EQ(q.generation["seed"], 42);
  EXPECT_FALSE(q.created.empty());
  EXPECT_FALSE(q.app_version.empty());
  // Saving again without an albedo drops albedo.png and loads back empty.
  ProjectState r = q;
  r.face.albedo = FloatImage{};
  save_project(dir.path() / "p", r);
  EXPECT_FALSE(fs::exists(dir.path() / "p" / "albedo.png"));
  EXPECT_TRUE(load_project(dir.path() / "p").face.albedo.empty());
  EXPECT_EQ(load_project(dir.path() / "p").created, q.created);
}

// Writes a good project, lets `damage` change it, expects `load_project` to throw E with
// `needle` in the message.
template <typename E>
void expect_load_error(const std::function<void(const fs::path&)>& damage,
                       const std::string& needle) {
  TempDir dir("badproject");
  const fs::path p = dir.path() / "p";
  save_project(p, sample_project());
  damage(p);
  try {
    load_project(p);
    FAIL() << "no error, expected '" << needle << "'";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Project, CorruptProjectsGiveClearErrors) {
  expect_load_error<NotFoundError>([](const fs::path& p) { fs::remove(p / "project.json"); },
                                   "no project.json");
  expect_load_error<NotFoundError>([](const fs::path& p) { fs::remove(p / "identity.json"); },
                                   "identity.json");
  expect_load_error<NotFoundError>([](const fs::path& p) { fs::remove(p / "albedo.png"); },
                                   "albedo.png");
  expect_load_error<FormatError>(
      [](const fs::path& p) { write_file_atomic(p / "project.json", "{ not json"); },
      "invalid JSON");
  expect_load_error<FormatError>(
      [](const fs::path& p) {
        write_file_atomic(p / "expression.json", R"({"coefficients": [0.1, "x"]})");
      },
      "coefficient 1 is not a number");
  expect_load_error<FormatError>(
      [](const fs::path& p) {
        write_file_atomic(p / "identity.json", R"({"coefficients": [0.1]})");
      },
      "counts.identity");
  expect_load_error<FormatError>(
      [](const fs::path& p) { write_file_atomic(p / "albedo.png", "not a png"); }, "albedo.png");
  expect_load_error<FormatError>(
      [](const fs::path& p) {
        auto j = nlohmann::json::parse(read_file(p / "project.json"));
        j["format_version"] = 99;
        write_file_atomic(p / "project.json", j.dump());
      },
      "format_version 99");
  expect_load_error<FormatError>(
      [](const fs::path& p) {
        auto j = nlohmann::json::parse(read_file(p / "project.json"));
        j["files"]["identity"] = "../../etc/passwd";
        write_file_atomic(p / "project.json", j.dump());
      },
      "files.identity");
  EXPECT_THROW(load_project("/nonexistent/project"), NotFoundError);
}

TEST(Project, CoefficientLists) {
  EXPECT_EQ(parse_coefficients(nlohmann::json::parse("[1, 2.5]"), "f"),
            (std::vector<float>{1.0f, 2.5f}));
  EXPECT_EQ(parse_coefficients(nlohmann::json::parse(R"({"coefficients": [-1]})"), "f"),
            (std::vector<float>{-1.0f}));
  EXPECT_THROW(parse_coefficients(nlohmann::json::parse(R"({"x": []})"), "f"), FormatError);
  // Too many coefficients for the model (what `faceg2e-cli new` checks) is an error.
  face::FaceCoefficients c;
  c.identity.assign(reference_model().num_identity + 1, 0.1f);
  EXPECT_THROW(check_coefficients(c, reference_model(), "new"), Error);
  c.identity.assign(reference_model().num_identity, 0.1f);
  c.expression.assign(reference_model().num_expression + 5, 0.1f);
  EXPECT_THROW(check_coefficients(c, reference_model(), "new"), Error);
  c.expression.resize(3);
  EXPECT_NO_THROW(check_coefficients(c, reference_model(), "new"));
}

TEST(Padding, DilationFillsTexelsJustOutsideIslands) {
  // One 4x4 red island in a 32x32 green image; cells split the image in left/right halves.
  Image8 img;
  img.width = img.height = 32;
  img.channels = 3;
  img.pixels.assign(32 * 32 * 3, 0);
  std::vector<std::uint8_t> cov(32 * 32, 0);
  std::vector<std::int8_t> cells(32 * 32);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) {
      const std::size_t i = std::size_t(y) * 32 + x;
      cells[i] = x < 16 ? 0 : 1;
      const bool island = x >= 10 && x < 14 && y >= 10 && y < 14;
      cov[i] = island;
      img.pixels[3 * i + (island ? 0 : 1)] = 200;
    }
  PaddingParams params;
  params.rings = 8;
  const std::size_t filled = dilate_texture(img, cov, cells, params);
  EXPECT_GT(filled, 0u);
  auto px = [&](int x, int y) { return &img.pixels[3 * (std::size_t(y) * 32 + x)]; };
  // Up to 8 texels past the island, within the left cell: red.
  for (int y = 2; y < 22; ++y)
    for (int x = 2; x < 16; ++x) {
      EXPECT_EQ(px(x, y)[0], 200) << x << "," << y;
      EXPECT_EQ(px(x, y)[1], 0) << x << "," << y;
    }
  // The right cell never receives colour from the left one.
  for (int y = 0; y < 32; ++y) EXPECT_EQ(px(16, y)[1], 200);
  // Beyond 8 rings nothing changes.
  EXPECT_EQ(px(0, 0)[1], 200);
}

TEST(Padding, ResampleKeepsConstantsAndSize) {
  Image8 img = gradient_image(64);
  Image8 big = resample_bilinear(img, 256);
  EXPECT_EQ(big.width, 256);
  EXPECT_EQ(big.pixels[2], 77);
  EXPECT_EQ(big.pixels[3 * (256 * 256 - 1) + 2], 77);
  EXPECT_EQ(big.pixels[0], 0);  // corner stays the corner value
  EXPECT_EQ(big.pixels[3 * (256 * 256 - 1)], 255);
}

struct ObjReadBack {
  tinyobj::attrib_t attrib;
  std::vector<tinyobj::shape_t> shapes;
  std::vector<tinyobj::material_t> materials;
};

ObjReadBack read_obj(const fs::path& obj) {
  ObjReadBack r;
  std::string warn, err;
  const bool ok =
      tinyobj::LoadObj(&r.attrib, &r.shapes, &r.materials, &warn, &err, obj.string().c_str(),
                       obj.parent_path().string().c_str(), /*triangulate=*/false);
  EXPECT_TRUE(ok) << err;
  return r;
}

TEST(Export, ObjRoundTripWithTinyObjLoader) {
  const face::FaceModel& m = reference_model();
  TempDir dir("export");
  FaceState state;
  state.coeffs.identity = {1.0f, -0.5f};
  state.coeffs.expression.assign(27, 0.0f);
  state.coeffs.expression[26] = 1.0f;  // jawOpen
  state.albedo = to_float_image(gradient_image(300));  // any size: resampled
  ExportOptions opt;
  opt.texture_size = 1024;
  opt.units = ExportUnits::kCentimetres;  // the model's own units: vertices compare directly
  const ExportResult r = export_obj(assets(), state, dir.path() / "out", opt);
  ASSERT_TRUE(fs::exists(r.obj));
  const ObjReadBack o = read_obj(r.obj);
  EXPECT_EQ(o.attrib.vertices.size(), std::size_t(m.num_vertices) * 3);
  EXPECT_EQ(o.attrib.normals.size(), std::size_t(m.num_vertices) * 3);
  EXPECT_EQ(o.attrib.texcoords.size(), std::size_t(m.num_uvs) * 2);
  std::size_t tris = 0;
  for (const auto& s : o.shapes) {
    for (auto n : s.mesh.num_face_vertices) EXPECT_EQ(n, 3);
    tris += s.mesh.num_face_vertices.size();
  }
  // Every drawn triangle (FaceAssets' rule), and no hidden one (lashes, eye overlays).
  std::size_t drawn = 0;
  for (int f = 0; f < m.num_faces; ++f) drawn += assets().is_drawn(f) ? 1 : 0;
  EXPECT_LT(drawn, std::size_t(m.num_faces));
  EXPECT_EQ(tris, drawn);
  for (const auto& mat : o.materials) EXPECT_NE(mat.name, "M_EyeLashes");
  for (float t : o.attrib.texcoords) {
    ASSERT_GE(t, 0.0f);
    ASSERT_LE(t, 1.0f);
  }
  // Vertices are the assembled mesh in the model's order (independent sum here).
  const std::size_t stride = std::size_t(m.num_vertices) * 3;
  for (std::size_t i = 0; i < stride; i += 997) {
    const double ref = double(m.neutral_vertices[i]) + 1.0 * m.identity_basis[i] -
                       0.5 * m.identity_basis[stride + i] +
                       1.0 * m.expression_basis[26 * stride + i];
    EXPECT_NEAR(o.attrib.vertices[i], ref, 1e-4);
  }
  // The atlas material has a relative map_Kd to an existing texture of the requested size.
  bool found = false;
  for (const auto& mat : o.materials) {
    if (mat.diffuse_texname.empty()) continue;
    found = true;
    EXPECT_FALSE(fs::path(mat.diffuse_texname).is_absolute());
    const fs::path tex = r.obj.parent_path() / mat.diffuse_texname;
    ASSERT_TRUE(fs::exists(tex));
    const Image8 img = read_image(tex);
    EXPECT_EQ(img.width, 1024);
    EXPECT_EQ(img.height, 1024);
  }
  EXPECT_TRUE(found);
  const auto side = nlohmann::json::parse(read_file(r.sidecar));
  EXPECT_EQ(side["units"], "centimetres");
  EXPECT_EQ(side["face_model"]["name"], "ict_facekit_full");
  EXPECT_NE(side["face_model"]["license_text"].get<std::string>().find("MIT License"),
            std::string::npos);
  EXPECT_EQ(side["coefficients"]["identity"].size(), 2u);
  EXPECT_EQ(side["coefficients"]["expression_names"][26], "jawOpen");
  EXPECT_FALSE(side["app_version"].get<std::string>().empty());
}

TEST(Export, MetresByDefaultAndTheSidecarSaysSo) {
  const face::FaceModel& m = reference_model();
  TempDir dir("export_units");
  FaceState state;
  state.coeffs.identity = {0.7f};
  const ExportResult r = export_obj(assets(), state, dir.path() / "m", {});
  ExportOptions cm;
  cm.units = ExportUnits::kCentimetres;
  const ExportResult rc = export_obj(assets(), state, dir.path() / "cm", cm);
  const ObjReadBack a = read_obj(r.obj), b = read_obj(rc.obj);
  ASSERT_EQ(a.attrib.vertices.size(), b.attrib.vertices.size());
  const std::size_t stride = std::size_t(m.num_vertices) * 3;
  float height_m = 0;
  float lo = 1e9f, hi = -1e9f;
  for (std::size_t i = 0; i < a.attrib.vertices.size(); ++i) {
    EXPECT_NEAR(a.attrib.vertices[i], 0.01 * b.attrib.vertices[i], 1e-5) << i;
    if (i % 3 == 1) {
      lo = std::min(lo, a.attrib.vertices[i]);
      hi = std::max(hi, a.attrib.vertices[i]);
    }
  }
  // Independent of the export: the model's own neutral + identity, in cm.
  for (std::size_t i = 0; i < stride; i += 1231)
    EXPECT_NEAR(a.attrib.vertices[i], 0.01 * (double(m.neutral_vertices[i]) + 0.7 * m.identity_basis[i]), 1e-5);
  height_m = hi - lo;
  EXPECT_GT(height_m, 0.15f);  // a head and neck is tens of centimetres tall, not metres
  EXPECT_LT(height_m, 0.6f);
  EXPECT_EQ(nlohmann::json::parse(read_file(r.sidecar))["units"], "metres");
  EXPECT_EQ(nlohmann::json::parse(read_file(rc.sidecar))["units"], "centimetres");
  EXPECT_NE(read_file(r.obj).find("Units: metres"), std::string::npos);
  EXPECT_THROW(parse_export_units("mm"), Error);
}

TEST(Export, TexturePaddedPastIslands) {
  // A project albedo that is white on covered texels and black elsewhere; after export the
  // texels 1..8 rings outside the islands must be white (dilated), not black.
  const face::FaceModel& m = reference_model();
  const int size = 1024;
  const auto cov = face::atlas_coverage(m, atlas(), size);
  const auto cells = face::atlas_cell_map(atlas(), size);
  Image8 img;
  img.width = img.height = size;
  img.channels = 3;
  img.pixels.assign(std::size_t(size) * size * 3, 0);
  for (std::size_t i = 0; i < cov.size(); ++i)
    if (cov[i]) std::fill_n(&img.pixels[3 * i], 3, 255);
  FaceState state;
  state.albedo = to_float_image(img);
  TempDir dir("pad");
  const auto r = export_obj(assets(), state, dir.path(), {});
  const Image8 out = read_image(r.texture, 3);
  // Texels at distance 1..8 (Chebyshev) from coverage, in the same cell.
  std::size_t checked = 0, white = 0;
  for (int y = 8; y < size - 8; y += 3)
    for (int x = 8; x < size - 8; x += 3) {
      const std::size_t i = std::size_t(y) * size + x;
      if (cov[i] || cells[i] < 0) continue;
      bool near = false;
      for (int d = -4; d <= 4 && !near; ++d)
        for (int e = -4; e <= 4; ++e)
          if (cov[std::size_t(y + d) * size + x + e] &&
              cells[std::size_t(y + d) * size + x + e] == cells[i]) {
            near = true;
            break;
          }
      if (!near) continue;
      ++checked;
      white += out.pixels[3 * i] == 255;
    }
  EXPECT_GT(checked, 1000u);
  EXPECT_EQ(white, checked);
}

TEST(Export, DefaultFaceAndBadOptions) {
  const face::FaceModel& m = reference_model();
  TempDir dir("default");
  ASSERT_NE(assets().region_labels(), nullptr);
  const auto r = export_obj(assets(), FaceState{}, dir.path(), {});
  const ObjReadBack o = read_obj(r.obj);
  for (std::size_t i = 0; i < o.attrib.vertices.size(); i += 1013)
    EXPECT_NEAR(o.attrib.vertices[i], 0.01f * m.neutral_vertices[i], 1e-6f);  // metres
  ExportOptions bad;
  bad.texture_size = 1000;
  EXPECT_THROW(export_obj(assets(), FaceState{}, dir.path(), bad), Error);
  FaceState too_many;
  too_many.coeffs.identity.assign(101, 0.f);
  EXPECT_THROW(export_obj(assets(), too_many, dir.path(), {}), Error);
}

}  // namespace
}  // namespace faceg2e::session
