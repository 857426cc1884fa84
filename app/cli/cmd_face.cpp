// Face-model and project commands: import-ict, info, new, export.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>

#include "app/cli/cli_commands.h"
#include "core/face/albedo.h"
#include "core/face/face_model.h"
#include "core/face/ict_import.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/session/export_obj.h"
#include "core/session/project.h"
#include "core/session/texture_padding.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"
#include "core/util/staged_folder.h"

namespace faceg2e::cli {
namespace {

namespace fs = std::filesystem;

std::optional<fs::path> optional_path(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return fs::path(s);
}

face::FaceModel load_model(const std::string& flag) {
  const fs::path path = require_face_model(optional_path(flag));
  return face::load_f3dm(path);
}

void run_import(const std::string& dir, const std::string& out) {
  face::IctImportOptions opt;
  int warnings = 0;
  opt.warn = [&](const std::string& w) {
    ++warnings;
    std::fprintf(stderr, "warning: %s\n", w.c_str());
  };
  opt.progress = [](int done, int total) {
    if (done == total || done % 20 == 0)
      std::fprintf(stderr, "read %d/%d OBJ files\n", done, total);
  };
  const face::FaceModel m = face::import_ict_facekit(dir, opt);
  face::save_f3dm(m, out);
  // Read back what was written: the file must pass the full reader.
  const face::FaceModel back = face::load_f3dm(out);
  std::printf("wrote %s: %d vertices, %d triangles, %d UVs, %d identity modes, %d expressions%s\n",
              out.c_str(), back.num_vertices, back.num_faces, back.num_uvs, back.num_identity,
              back.num_expression, warnings ? " (some listed modes missing, see warnings)" : "");
}

void run_info(const std::string& flag) {
  const fs::path path = require_face_model(optional_path(flag));
  const face::FaceModel m = face::load_f3dm(path);
  std::printf("face model:   %s\n", path.string().c_str());
  std::printf("vertices:     %d\n", m.num_vertices);
  std::printf("triangles:    %d\n", m.num_faces);
  std::printf("UVs:          %d\n", m.num_uvs);
  std::printf("identity:     %d modes (coefficients ~ N(0,1))\n", m.num_identity);
  std::printf("expressions:  %d\n", m.num_expression);
  std::string line;
  for (std::size_t i = 0; i < m.expression_names.size(); ++i) {
    if (line.size() + m.expression_names[i].size() > 90) {
      std::printf("  %s\n", line.c_str());
      line.clear();
    }
    line += m.expression_names[i] + (i + 1 < m.expression_names.size() ? ", " : "");
  }
  if (!line.empty()) std::printf("  %s\n", line.c_str());
  std::map<int, int> tris;
  for (auto p : m.face_part) ++tris[p];
  std::printf("parts:\n");
  const auto& parts = m.meta.at("parts");
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const std::string name =
        parts[p].is_object() ? parts[p].value("name", std::string("?")) : std::string("?");
    std::printf("  %2zu %-22s %6d triangles\n", p, name.c_str(), tris[int(p)]);
  }
  std::printf("units:        %s\n", m.meta.value("units", std::string("centimetres")).c_str());
  std::printf("axes:         %s\n", m.meta.value("axes", std::string("?")).c_str());
  const std::string lic = m.license_text.substr(0, m.license_text.find('\n'));
  std::printf("licence:      %s (%s)\n", lic.c_str(),
              m.meta.value("license", std::string()).c_str());
}

struct NewArgs {
  std::string out, identity, expression, albedo, face_model;
  bool force = false;
};

// Output folders are written whole (core/util/staged_folder.h): refused when they exist unless
// --force, created beside the target and swapped in when complete.
StagedFolder staged_output(const std::string& out, bool force) {
  StagedFolder::Options o;
  o.force = force;
  return StagedFolder(out, o);
}

void run_new(const NewArgs& a) {
  StagedFolder folder =
      staged_output(a.out, a.force);  // before any work: fails in the first second
  const face::FaceModel m = load_model(a.face_model);
  session::ProjectState p;
  p.face_model_name = session::face_model_name(m);
  if (!a.identity.empty()) p.face.coeffs.identity = session::read_coefficients_file(a.identity);
  if (!a.expression.empty())
    p.face.coeffs.expression = session::read_coefficients_file(a.expression);
  session::check_coefficients(p.face.coeffs, m, "new");
  if (!a.albedo.empty()) {
    Image8 albedo = read_image(a.albedo, 3);
    const int side = std::max(albedo.width, albedo.height);
    if (side < 16) throw FormatError(a.albedo, "the albedo atlas is smaller than 16 px");
    // The atlas is square; a non-square image is stretched to its longer side.
    if (albedo.width != albedo.height) albedo = session::resample_bilinear(albedo, side);
    p.face.albedo = session::to_float_image(albedo);
  }
  p.generation = {{"command", "new"},
                  {"identity_file", a.identity},
                  {"expression_file", a.expression},
                  {"albedo_file", a.albedo}};
  session::save_project(folder.path(), p);
  folder.commit();
  std::printf("wrote project %s (%zu identity, %zu expression coefficients, %s albedo)\n",
              a.out.c_str(), p.face.coeffs.identity.size(), p.face.coeffs.expression.size(),
              p.face.albedo.empty() ? "default" : "custom");
}

struct ExportArgs {
  std::string project, face_model, out;
  int texture_size = 1024;
  std::string units = "m";
  bool force = false;
};

void run_export(const ExportArgs& a) {
  StagedFolder folder = staged_output(a.out, a.force);  // before any work: fails in the first second
  std::string warning;
  const face::FaceAssets assets = face::FaceAssets::load(optional_path(a.face_model), &warning);
  if (!warning.empty()) spdlog::warn("{}", warning);
  const face::FaceModel& m = assets.model;
  session::FaceState state;
  session::ExportOptions opt;
  opt.texture_size = a.texture_size;
  opt.units = session::parse_export_units(a.units);
  if (!a.project.empty()) {
    session::ProjectState p = session::load_project(a.project);
    if (!p.face_model_name.empty() && p.face_model_name != session::face_model_name(m))
      spdlog::warn("project was made with face model '{}', exporting with '{}'", p.face_model_name,
                   session::face_model_name(m));
    state = std::move(p.face);
    opt.generation = p.generation;
  }
  session::check_coefficients(state.coeffs, m,
                              a.project.empty() ? "export" : "project " + a.project);
  const auto r = session::export_obj(assets, state, folder.path(), opt);
  folder.commit();
  const fs::path out(a.out);
  std::printf("wrote %s\n      %s\n      %s\n      %s\n", (out / r.obj.filename()).string().c_str(),
              (out / r.mtl.filename()).string().c_str(), (out / r.texture.filename()).string().c_str(),
              (out / r.sidecar.filename()).string().c_str());
}

}  // namespace

void register_face_commands(CLI::App& app) {
  {
    auto* cmd = app.add_subcommand(
        "import-ict", "Convert the upstream ICT-FaceKit FaceXModel/ folder to F3DM v1");
    auto dir = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    cmd->add_option("FACEXMODEL_DIR", *dir,
                    "ICT-FaceKit FaceXModel/ folder (OBJs + vertex_indices.json)")
        ->required();
    cmd->add_option("OUT", *out, "output .f3dm file")->required();
    cmd->callback([dir, out] { run_import(*dir, *out); });
  }
  {
    auto* cmd = app.add_subcommand("info", "Load, validate and summarise the face model");
    auto path = std::make_shared<std::string>();
    cmd->add_option("--face-model", *path, "F3DM file (default: the documented search order)");
    cmd->callback([path] { run_info(*path); });
  }
  {
    auto* cmd = app.add_subcommand("new", "Make a project folder holding one face state");
    auto a = std::make_shared<NewArgs>();
    cmd->option_defaults()->always_capture_default();
    cmd->add_option("--out", a->out, "project folder to write (an existing one needs --force)")
        ->required();
    cmd->add_flag("--force", a->force,
                  "replace an existing --out folder (atomically, when the new one is complete)");
    cmd->add_option("--identity", a->identity,
                    "JSON list of identity coefficients (missing modes are 0)");
    cmd->add_option("--expression", a->expression,
                    "JSON list of expression weights (missing are 0)");
    cmd->add_option("--albedo", a->albedo,
                    "albedo PNG in the export atlas layout (any square size)");
    cmd->add_option("--face-model", a->face_model,
                    "F3DM file (default: the documented search order)");
    cmd->callback([a] { run_new(*a); });
  }
  {
    auto* cmd = app.add_subcommand(
        "export", "Export a project (or the default face) as OBJ + MTL + PNG + JSON");
    auto a = std::make_shared<ExportArgs>();
    cmd->option_defaults()->always_capture_default();
    cmd->add_option("--project", a->project, "project folder")->default_str("the default face");
    cmd->add_option("--face-model", a->face_model,
                    "F3DM file (default: the documented search order)");
    cmd->add_option("--out", a->out, "output folder (an existing one needs --force)")->required();
    cmd->add_flag("--force", a->force,
                  "replace an existing --out folder (atomically, when the new export is complete)");
    cmd->add_option("--texture-size", a->texture_size, "albedo texture size")
        ->check(CLI::IsMember({1024, 2048, 4096}));
    cmd->add_option("--units", a->units,
                    "OBJ vertex units: m (metres, what Blender and glTF expect) or cm (the face "
                    "model's own)")
        ->check(CLI::IsMember({"m", "cm"}));
    cmd->callback([a] { run_export(*a); });
  }
}

}  // namespace faceg2e::cli
