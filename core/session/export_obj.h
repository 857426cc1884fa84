#pragma once
// Export of one face state as a textured mesh, used by the CLI and the GUI:
//
//   OUT/<name>.obj         every vertex in the model's order (v, metres or cm), per-corner atlas
//                          UVs (vt), per-vertex normals (vn), the drawn triangles (f v/vt/vn;
//                          FaceAssets' rule hides eyelashes and eye overlays), grouped by usemtl
//   OUT/<name>.mtl         material "faceg2e_albedo" with map_Kd <name>_albedo.png (relative);
//                          plain materials for the faces outside the atlas (eyelashes; eye
//                          occlusion / eye blend / lacrimal fluid as transparent "d" overlays)
//   OUT/<name>_albedo.png  the atlas (uv_atlas.h layout), texture_size^2, padded past the
//                          islands so there are no seams
//   OUT/<name>.json        sidecar: face-model name and licence notice, coefficients (with
//                          expression names), units and axes, texture layout, app version,
//                          and the project's generation record when given; the project's
//                          whole history (texts, seeds, model hashes) when given; with a GLB,
//                          its description under "glb" (export_gltf.h), including "vertex_map"
//   OUT/<name>_weights.png the W map of an edit (1 channel, atlas layout, texture_size^2,
//                          255 = locked), when given
//   OUT/<name>.glb         binary glTF 2.0 with the expressions as morph targets
//                          (export_gltf.h); metres, the same texture embedded
//
// ExportOptions::obj / ::glb choose the formats (CLI --format obj|glb|all); the sidecar is
// always written.
//
// Units: metres by default (what Blender's OBJ importer and glTF assume: a cm OBJ imports 100x too
// large), centimetres (ICT-FaceKit's own) on request; the sidecar's "units" says which.
// Axes: right-handed, +Y up, the face looks toward +Z
// (Blender's OBJ importer maps this to its Z-up world with its default "Y forward / Z up").
// Every file is written atomically (temp + fsync + rename).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "core/face/face_assets.h"
#include "core/session/export_gltf.h"
#include "core/session/face_state.h"
#include "core/session/texture_padding.h"

namespace faceg2e::session {

enum class ExportUnits { kMetres, kCentimetres };
// "m" / "cm" (the --units flag); throws faceg2e::Error otherwise.
ExportUnits parse_export_units(const std::string& s);
// "metres" / "centimetres", as the sidecar records it.
const char* units_name(ExportUnits units);

struct ExportOptions {
  int texture_size = 1024;              // 1024, 2048 or 4096
  std::string basename = "face";        // file names: <basename>.obj, .mtl, _albedo.png, .json
  ExportUnits units = ExportUnits::kMetres;  // OBJ vertex units (the model is in centimetres)
  PaddingParams padding;                // texels grown past the islands
  nlohmann::json generation;            // copied into the sidecar when not null
  nlohmann::json history;               // sidecar "history" when not null (session::history_json)
  const FloatImage* weights = nullptr;  // W map written as <basename>_weights.png when set
  bool obj = true;                      // OBJ + MTL + PNG
  bool glb = true;                      // GLB (always metres, as glTF says)
  GlbOptions glb_options;
};

// "obj", "glb" or "all" into options.obj / options.glb; throws faceg2e::Error otherwise.
void set_export_format(ExportOptions& options, const std::string& format);

struct ExportResult {
  std::filesystem::path obj, mtl, texture, sidecar, glb;  // empty when not written
  std::filesystem::path weights;  // empty unless options.weights was set
};

// Writes the files into `out_dir` (created if needed). An empty state.albedo exports the
// default albedo (face/albedo.h, with the assets' region labels); an albedo of another size is
// resampled to texture_size. Triangles follow FaceAssets' drawn-triangle rule (every vertex is
// kept, in the model's order). Throws faceg2e::Error on bad options or coefficient counts.
ExportResult export_obj(const face::FaceAssets& assets, const FaceState& state,
                        const std::filesystem::path& out_dir, const ExportOptions& options = {});

}  // namespace faceg2e::session
