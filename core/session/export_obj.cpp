#include "core/session/export_obj.h"

#include <charconv>
#include <set>

#include "core/session/coefficients.h"
#include "core/session/export_texture.h"
#include "core/util/atomic_file.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"
#include "core/util/time_stamp.h"

namespace faceg2e::session {
namespace fs = std::filesystem;

namespace {

constexpr const char* kAtlasMaterial = "faceg2e_albedo";

void append_float(std::string& out, float v) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

void append_int(std::string& out, long long v) {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, p);
}

// Plain MTL entries for the faces outside the atlas; colours follow ICTFaceModelMaterial.mtl.
struct PlainMaterial {
  const char* name;
  float kd;
  float d;  // opacity
};
constexpr PlainMaterial kPlainMaterials[] = {
    {"M_EyeLashes", 0.05f, 1.0f},
    {"M_LacrimalFluid", 0.5f, 0.0f},
    {"M_EyeBlend", 0.5f, 0.0f},
    {"M_EyeOcclusion", 0.5f, 0.0f},
};

std::string obj_text(const face::FaceAssets& assets, const std::vector<float>& positions,
                     const std::vector<float>& normals, const std::string& mtl_name,
                     const std::vector<std::string>& face_material, ExportUnits units) {
  const face::FaceModel& m = assets.model;
  const face::UvAtlas& atlas = assets.atlas;
  std::string out;
  out.reserve(std::size_t(m.num_vertices) * 80 + std::size_t(m.num_faces) * 60);
  // The model is in centimetres.
  const float scale = units == ExportUnits::kMetres ? 0.01f : 1.0f;
  out += "# FaceG2E " + app_version() + " export. Units: " + units_name(units) +
         "; right-handed, +Y up, face looks toward +Z.\n";
  out +=
      "# Face model: ICT-FaceKit (MIT, Copyright (c) 2020 USC Institute for Creative "
      "Technologies);\n";
  out += "# the full licence text is in the .json sidecar.\n";
  out += "mtllib " + mtl_name + "\n";
  for (int v = 0; v < m.num_vertices; ++v) {
    out += "v ";
    append_float(out, positions[3 * v] * scale);
    out += ' ';
    append_float(out, positions[3 * v + 1] * scale);
    out += ' ';
    append_float(out, positions[3 * v + 2] * scale);
    out += '\n';
  }
  for (int t = 0; t < m.num_uvs; ++t) {
    out += "vt ";
    append_float(out, atlas.uvs[2 * t]);
    out += ' ';
    append_float(out, atlas.uvs[2 * t + 1]);
    out += '\n';
  }
  for (int v = 0; v < m.num_vertices; ++v) {
    out += "vn ";
    append_float(out, normals[3 * v]);
    out += ' ';
    append_float(out, normals[3 * v + 1]);
    out += ' ';
    append_float(out, normals[3 * v + 2]);
    out += '\n';
  }
  std::string current;
  for (int f = 0; f < m.num_faces; ++f) {
    if (!assets.is_drawn(f)) continue;  // FaceAssets' rule: lashes and eye overlays are hidden
    const std::string& mat = face_material[f];
    if (mat != current) {
      out += "usemtl " + mat + "\n";
      current = mat;
    }
    out += 'f';
    for (int k = 0; k < 3; ++k) {
      const long long v = m.faces[3 * f + k] + 1, t = m.faces_uv[3 * f + k] + 1;
      out += ' ';
      append_int(out, v);
      out += '/';
      append_int(out, t);
      out += '/';
      append_int(out, v);
    }
    out += '\n';
  }
  return out;
}

std::string mtl_text(const std::string& texture_name, const std::set<std::string>& used) {
  std::string out = "# FaceG2E " + app_version() + " export\n";
  out += std::string("newmtl ") + kAtlasMaterial +
         "\nKa 0 0 0\nKd 1 1 1\nKs 0.05 0.05 0.05\nNs 18\nillum 2\nd 1\nmap_Kd " + texture_name +
         "\n";
  for (const auto& pm : kPlainMaterials) {
    if (!used.count(pm.name)) continue;
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "\nnewmtl %s\nKa 0 0 0\nKd %.2f %.2f %.2f\nKs 0 0 0\nillum 1\nd %.2f\n", pm.name,
                  pm.kd, pm.kd, pm.kd, pm.d);
    out += buf;
  }
  return out;
}

// asset.extras of the GLB: what the sidecar says about where the face came from.
nlohmann::json glb_asset_extras(const face::FaceModel& model, const FaceState& state,
                                const nlohmann::json& generation) {
  nlohmann::json x;
  x["app_version"] = app_version();
  if (generation.is_object()) {
    for (const char* key : {"prompt", "negative_prompt", "seed", "history"})
      if (generation.contains(key)) x[key] = generation[key];
    x["generation"] = generation;
  }
  x["identity"] = state.coeffs.identity;
  x["face_model"] = {{"name", face_model_name(model)},
                     {"source", model.meta.value("source", std::string())},
                     {"license", model.meta.value("license", std::string("MIT"))},
                     {"license_text", model.license_text}};
  return x;
}

}  // namespace

ExportUnits parse_export_units(const std::string& s) {
  if (s == "m") return ExportUnits::kMetres;
  if (s == "cm") return ExportUnits::kCentimetres;
  throw Error("export: units must be m or cm, got '" + s + "'");
}

const char* units_name(ExportUnits units) {
  return units == ExportUnits::kMetres ? "metres" : "centimetres";
}

void set_export_format(ExportOptions& options, const std::string& format) {
  if (format != "obj" && format != "glb" && format != "all")
    throw Error("export format '" + format + "': expected obj, glb or all");
  options.obj = format != "glb";
  options.glb = format != "obj";
}

ExportResult export_obj(const face::FaceAssets& assets, const FaceState& state,
                        const fs::path& out_dir, const ExportOptions& opt) {
  const face::FaceModel& model = assets.model;
  const face::UvAtlas& atlas = assets.atlas;
  const face::RegionLabels* regions = assets.region_labels();
  if (opt.texture_size != 1024 && opt.texture_size != 2048 && opt.texture_size != 4096)
    throw Error("export: texture size " + std::to_string(opt.texture_size) +
                " is not 1024, 2048 or 4096");
  if (!opt.obj && !opt.glb) throw Error("export: no format chosen (obj, glb or all)");
  if (opt.basename.empty() || opt.basename.find_first_of("/\\") != std::string::npos)
    throw Error("export: bad base name '" + opt.basename + "'");
  check_coefficients(state.coeffs, model, "export");
  FACEG2E_CHECK(atlas.uvs.size() == std::size_t(model.num_uvs) * 2,
                "atlas does not match the model");
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (!fs::is_directory(out_dir))
    throw Error("export: cannot create folder " + out_dir.string() + ": " + ec.message());

  ExportResult r;
  if (opt.obj) {
    r.obj = out_dir / (opt.basename + ".obj");
    r.mtl = out_dir / (opt.basename + ".mtl");
    r.texture = out_dir / (opt.basename + "_albedo.png");
  }
  if (opt.glb) r.glb = out_dir / (opt.basename + ".glb");
  r.sidecar = out_dir / (opt.basename + ".json");

  const int size = opt.texture_size;
  const Image8 tex =
      export_albedo_texture(model, atlas, to_image8(state.albedo), size, opt.padding, regions);

  const auto positions = face::assemble_vertices(model, state.coeffs);
  const auto normals = face::vertex_normals(positions, model.faces);
  std::vector<std::string> face_material(model.num_faces);
  std::set<std::string> used_plain;
  const auto& materials = model.meta.at("materials");
  for (int f = 0; f < model.num_faces; ++f) {
    if (!assets.is_drawn(f)) continue;
    if (atlas.face_in_atlas[f]) {
      face_material[f] = kAtlasMaterial;
    } else {
      face_material[f] = materials.at(model.face_material[f]).get<std::string>();
      bool known = false;
      for (const auto& pm : kPlainMaterials) known |= face_material[f] == pm.name;
      if (!known) face_material[f] = "M_EyeLashes";  // unknown non-atlas material: plain dark
      used_plain.insert(face_material[f]);
    }
  }

  nlohmann::json side;
  side["format"] = "faceg2e-export";
  side["format_version"] = 1;
  side["app_version"] = app_version();
  side["created"] = faceg2e::utc_now_iso8601();
  side["face_model"] = {{"name", face_model_name(model)},
                        {"source", model.meta.value("source", std::string())},
                        {"license", model.meta.value("license", std::string("MIT"))},
                        {"license_text", model.license_text}};
  side["units"] = units_name(opt.units);
  side["units_per_face_model_unit"] = opt.units == ExportUnits::kMetres ? 0.01 : 1.0;  // model: cm
  side["axes"] = "right-handed, +Y up, the face looks toward +Z";
  side["coefficients"] = {{"identity", state.coeffs.identity},
                          {"expression", state.coeffs.expression}};
  std::vector<std::string> names(
      model.expression_names.begin(),
      model.expression_names.begin() +
          std::min(model.expression_names.size(), state.coeffs.expression.size()));
  side["coefficients"]["expression_names"] = names;
  int drawn = 0;
  for (int f = 0; f < model.num_faces; ++f) drawn += assets.is_drawn(f) ? 1 : 0;
  side["mesh"] = {{"vertices", model.num_vertices},
                  {"uvs", model.num_uvs},
                  {"triangles", drawn},
                  {"triangles_not_drawn", model.num_faces - drawn},
                  {"hidden_triangles", "eyelashes and transparent eye overlays (FaceAssets rule)"}};
  if (opt.obj) {
    side["mesh"]["obj"] = r.obj.filename().string();
    side["mesh"]["mtl"] = r.mtl.filename().string();
  }
  nlohmann::json cell_list = nlohmann::json::array();
  for (const auto& c : atlas.cells)
    cell_list.push_back({{"name", c.name},
                         {"rect_uv", {c.rect.u0, c.rect.v0, c.rect.u1, c.rect.v1}},
                         {"source_tile", c.source_tile}});
  side["texture"] = {{"file", opt.obj ? r.texture.filename().string() : std::string()},
                     {"size", size},
                     {"layout", "faceg2e-atlas-v1"},
                     {"cells", cell_list},
                     {"padding_texels", opt.padding.rings}};
  if (!opt.generation.is_null()) side["generation"] = opt.generation;
  if (!opt.history.is_null()) side["history"] = opt.history;
  Image8 weights_png;
  if (opt.weights && !opt.weights->empty()) {
    FACEG2E_CHECK(opt.weights->channels == 1, "the W map must have 1 channel");
    r.weights = out_dir / (opt.basename + "_weights.png");
    // W is a per-texel quantity, resampled like the albedo so the two overlay exactly.
    weights_png = resample_bilinear(to_image8(*opt.weights), size);
    side["weights"] = {{"file", r.weights.filename().string()},
                       {"size", size},
                       {"meaning", "W of the edit: 255 = kept as before, 0 = free to change"}};
  }

  // Texture and material first, the OBJ that references them after, the sidecar last.
  if (opt.obj) {
    write_png(r.texture, tex);
    write_file_atomic(r.mtl, mtl_text(r.texture.filename().string(), used_plain));
    write_file_atomic(r.obj, obj_text(assets, positions, normals, r.mtl.filename().string(),
                                      face_material, opt.units));
  }
  if (!r.weights.empty()) write_png(r.weights, weights_png);
  if (opt.glb) {
    nlohmann::json provenance = opt.generation;
    if (!opt.history.is_null()) {
      if (!provenance.is_object()) provenance = nlohmann::json::object();
      provenance["history"] = opt.history;
    }
    const auto glb = write_glb(r.glb, model, atlas, state.coeffs, tex,
                               glb_asset_extras(model, state, provenance), opt.glb_options, regions);
    side["glb"] = glb_sidecar_json(glb.build, r.glb.filename().string(), opt.glb_options);
  }
  write_file_atomic(r.sidecar, side.dump(1) + "\n");
  return r;
}

}  // namespace faceg2e::session
