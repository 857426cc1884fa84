#pragma once
// Export of one face state as a textured mesh, used by the CLI and the GUI:
//
//   OUT/<name>.obj         every vertex in the model's order (v, m or cm), per-corner atlas UVs (vt),
//                          per-vertex normals (vn), the drawn triangles (f v/vt/vn; FaceAssets'
//                          rule hides eyelashes and eye overlays), grouped by usemtl
//   OUT/<name>.mtl         material "faceg2e_albedo" with map_Kd <name>_albedo.png (relative);
//                          plain materials for the faces outside the atlas (eyelashes; eye
//                          occlusion / eye blend / lacrimal fluid as transparent "d" overlays)
//   OUT/<name>_albedo.png  the atlas (uv_atlas.h layout), texture_size^2, padded past the
//                          islands so there are no seams
//   OUT/<name>.json        sidecar: face-model name and licence notice, coefficients (with
//                          expression names), units and axes, texture layout, app version,
//                          and the project's generation record when given
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
#include "core/session/face_state.h"
#include "core/session/texture_padding.h"

namespace faceg2e::session {

enum class ExportUnits { kMetres, kCentimetres };
// "m" / "cm" (the --units flag); throws faceg2e::Error otherwise.
ExportUnits parse_export_units(const std::string& s);
// "metres" / "centimetres", as the sidecar records it.
const char* units_name(ExportUnits units);

struct ExportOptions {
  int texture_size = 1024;        // 1024, 2048 or 4096
  std::string basename = "face";  // file names: <basename>.obj, .mtl, _albedo.png, .json
  ExportUnits units = ExportUnits::kMetres;  // OBJ vertex units (the model is in centimetres)
  PaddingParams padding;          // texels grown past the islands
  nlohmann::json generation;      // copied into the sidecar when not null
};

struct ExportResult {
  std::filesystem::path obj, mtl, texture, sidecar;
};

// The texture an export writes: the state's albedo resampled to size x size (or the default
// albedo when it has none), padded past the UV islands. Shared by every export format.
Image8 export_texture(const face::FaceAssets& assets, const FaceState& state, int size,
                      const PaddingParams& padding);

// Writes the four files into `out_dir` (created if needed). An empty state.albedo exports the
// default albedo (face/albedo.h, with the assets' region labels); an albedo of another size is
// resampled to texture_size. Triangles follow FaceAssets' drawn-triangle rule (every vertex is
// kept, in the model's order). Throws faceg2e::Error on bad options or coefficient counts.
ExportResult export_obj(const face::FaceAssets& assets, const FaceState& state,
                        const std::filesystem::path& out_dir, const ExportOptions& options = {});

}  // namespace faceg2e::session
