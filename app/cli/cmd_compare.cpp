// faceg2e-cli compare: how far one exported face is from another, measured on the files
// themselves (OBJ vertices, albedo PNG), e.g. a generated face against the target it was meant
// to recover, or two generations against each other.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli/cli_commands.h"
#include "core/face/atlas_seams.h"
#include "core/face/face_model.h"
#include "core/face/uv_atlas.h"
#include "core/session/project.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"
#include "core/util/image_io.h"
#include "core/util/json_file.h"

namespace faceg2e::cli {

namespace fs = std::filesystem;

namespace {

struct ExportFiles {
  fs::path obj, png;
};

// An export folder (face.obj + the texture its MTL names) or an .obj file.
ExportFiles locate(const fs::path& p) {
  ExportFiles f;
  f.obj = fs::is_directory(p) ? p / "face.obj" : p;
  if (!fs::exists(f.obj)) throw NotFoundError("compare: no OBJ at " + f.obj.string());
  // The texture: map_Kd of the MTL named by mtllib, relative to the OBJ.
  std::ifstream in(f.obj);
  std::string line, mtl;
  while (std::getline(in, line))
    if (line.rfind("mtllib ", 0) == 0) {
      mtl = line.substr(7);
      break;
    }
  if (!mtl.empty()) {
    std::ifstream m(f.obj.parent_path() / mtl);
    while (std::getline(m, line))
      if (line.rfind("map_Kd ", 0) == 0) f.png = f.obj.parent_path() / line.substr(7);
  }
  return f;
}

std::vector<double> read_vertices(const fs::path& obj) {
  std::ifstream in(obj);
  if (!in) throw NotFoundError("compare: cannot open " + obj.string());
  std::vector<double> v;
  std::string line;
  long line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.size() < 2 || line[0] != 'v' || line[1] != ' ') continue;
    std::istringstream s(line.substr(2));
    double x, y, z;
    if (!(s >> x >> y >> z))
      throw FormatError(obj.string(), "bad vertex on line " + std::to_string(line_no));
    v.insert(v.end(), {x, y, z});
  }
  if (v.empty()) throw FormatError(obj.string(), "no vertices");
  return v;
}

struct Psnr {
  double db = std::numeric_limits<double>::quiet_NaN();
  long texels = 0;
};

// PSNR over the texels where mask != 0 (RGB, 8-bit peak).
Psnr psnr(const Image8& a, const Image8& b, const std::vector<std::uint8_t>& mask) {
  double se = 0;
  long n = 0;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    for (int c = 0; c < 3; ++c) {
      const double d = double(a.pixels[i * 3 + c]) - double(b.pixels[i * 3 + c]);
      se += d * d;
    }
    ++n;
  }
  Psnr r;
  r.texels = n;
  if (n == 0) return r;
  const double mse = se / (3.0 * n) / (255.0 * 255.0);
  r.db = mse > 0 ? 10 * std::log10(1.0 / mse) : std::numeric_limits<double>::infinity();
  return r;
}

// The identity coefficients an export's sidecar (the OBJ's stem + .json) records; none when the
// export has no sidecar.
std::optional<std::vector<float>> sidecar_identity(const fs::path& obj) {
  const fs::path side = obj.parent_path() / (obj.stem().string() + ".json");
  if (!fs::exists(side)) return std::nullopt;
  const nlohmann::json j = read_json_file(side);
  const auto c = j.find("coefficients");
  if (c == j.end() || !c->is_object() || !c->contains("identity"))
    throw FormatError(side.string(), "field 'coefficients.identity' is missing");
  return session::parse_coefficients(c->at("identity"), side.string());
}

// Centimetres per OBJ unit: exports record their units in the sidecar (metres by default since
// the --units flag); an OBJ without a sidecar is taken as centimetres, the face model's own.
double cm_per_obj_unit(const fs::path& obj) {
  const fs::path side = obj.parent_path() / (obj.stem().string() + ".json");
  if (!fs::exists(side)) return 1.0;
  const nlohmann::json j = read_json_file(side);
  const std::string units = j.value("units", std::string("centimetres"));
  if (units == "metres") return 100.0;
  if (units == "centimetres") return 1.0;
  throw FormatError(side.string(),
                    "field 'units' is '" + units + "' (expected metres or centimetres)");
}

void run_compare(const std::string& a_path, const std::string& b_path, const std::string& model_path) {
  const ExportFiles a = locate(a_path), b = locate(b_path);
  const auto ca = sidecar_identity(a.obj), cb = sidecar_identity(b.obj);
  std::vector<double> va = read_vertices(a.obj), vb = read_vertices(b.obj);
  const double sa = cm_per_obj_unit(a.obj), sb = cm_per_obj_unit(b.obj);
  for (double& x : va) x *= sa;
  for (double& x : vb) x *= sb;
  if (va.size() != vb.size())
    throw Error("compare: " + a.obj.string() + " has " + std::to_string(va.size() / 3) +
                " vertices, " + b.obj.string() + " has " + std::to_string(vb.size() / 3));
  double sum = 0, worst = 0;
  for (std::size_t i = 0; i < va.size(); i += 3) {
    double d2 = 0;
    for (int k = 0; k < 3; ++k) d2 += (va[i + k] - vb[i + k]) * (va[i + k] - vb[i + k]);
    sum += d2;
    worst = std::max(worst, std::sqrt(d2));
  }
  const std::size_t nv = va.size() / 3;
  std::printf("vertices: %zu\n", nv);
  std::printf("vertex_rmse_cm: %.4f\n", std::sqrt(sum / nv));
  std::printf("vertex_max_cm: %.4f\n", worst);
  if (ca && cb) {
    // Modes a list leaves out are 0.
    const std::size_t n = std::max(ca->size(), cb->size());
    double s2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = i < ca->size() ? (*ca)[i] : 0.0, y = i < cb->size() ? (*cb)[i] : 0.0;
      s2 += (x - y) * (x - y);
    }
    std::printf("identity_coef_rmse: %.4f (%zu modes)\n", n ? std::sqrt(s2 / n) : 0.0, n);
  } else {
    std::printf("identity: not compared (no sidecar JSON beside both OBJs)\n");
  }

  if (a.png.empty() || b.png.empty()) {
    std::printf("albedo: not compared (no map_Kd texture in both exports)\n");
    return;
  }
  const Image8 ia = read_image(a.png, 3), ib = read_image(b.png, 3);
  if (ia.width != ib.width || ia.height != ib.height || ia.width != ia.height)
    throw Error("compare: textures differ in size or are not square (" + std::to_string(ia.width) +
                "x" + std::to_string(ia.height) + " vs " + std::to_string(ib.width) + "x" +
                std::to_string(ib.height) + "); export both with the same --texture-size");
  // Which texels belong to which part: the atlas of the face model the exports came from.
  const face::FaceModel model = face::load_f3dm(
      require_face_model(model_path.empty() ? std::nullopt : std::optional<fs::path>(model_path)));
  if (static_cast<std::size_t>(model.num_vertices) != nv)
    throw Error("compare: the exports have " + std::to_string(nv) + " vertices, the face model " +
                std::to_string(model.num_vertices));
  const face::UvAtlas atlas = face::build_uv_atlas(model);
  const int size = ia.width;
  const auto cover = face::atlas_coverage(model, atlas, size);
  const auto cells = face::atlas_cell_map(atlas, size);
  std::vector<std::uint8_t> face_mask(cover.size()), all_mask(cover.size());
  for (std::size_t i = 0; i < cover.size(); ++i) {
    all_mask[i] = cover[i] && cells[i] != face::kCellUntextured;
    face_mask[i] = cover[i] && cells[i] == face::kCellFace;
  }
  const Psnr pf = psnr(ia, ib, face_mask), pa = psnr(ia, ib, all_mask);
  std::printf("albedo_psnr_face_db: %.2f (%ld texels of the face cell the mesh covers)\n", pf.db,
              pf.texels);
  std::printf("albedo_psnr_all_db: %.2f (%ld texels of all textured cells)\n", pa.db, pa.texels);
  // Colour seams where atlas cells meet on the mesh (face/atlas_seams.h), of each texture.
  for (const auto& [name, img] : {std::pair<const char*, const Image8*>{"a", &ia}, {"b", &ib}}) {
    const face::SeamReport r = face::measure_atlas_seams(model, atlas, *img);
    std::printf("albedo_seam_%s: mean %.2f p95 %.2f max %.2f (|dRGB| of 255 over %zu cross-cell edges, %dpx)\n",
                name, r.mean_abs, r.p95_abs, r.max_abs, r.edges, img->width);
  }
}

}  // namespace

void register_compare_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "compare", "Distance between two exported faces: vertex RMSE (cm), identity coefficient RMSE and albedo PSNR over the face");
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  auto model = std::make_shared<std::string>();
  cmd->add_option("A", *a, "export folder (face.obj + MTL + PNG) or OBJ file")->required();
  cmd->add_option("B", *b, "export folder or OBJ file")->required();
  cmd->add_option("--face-model", *model, "F3DM file the exports came from (for the atlas regions)");
  cmd->callback([a, b, model] { run_compare(*a, *b, *model); });
}

}  // namespace faceg2e::cli
