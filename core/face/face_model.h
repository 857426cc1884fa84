#pragma once
// The ICT-FaceKit parametric face model, as read from an F3DM v1 file. Torch-free: the GUI and
// the renderer use it directly. The differentiable (torch) assembly lives in face_torch.h.
//
//   v = neutral + sum_i a_i * identity_basis[i] + sum_j w_j * expression_basis[j]
//
// Units: centimetres; right-handed, +Y up, the face looks toward +Z; +x is the subject's left.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace faceg2e::face {

struct FaceModel {
  std::filesystem::path source;  // the file it was read from
  int num_vertices = 0;          // V (26,719 for ICT-FaceKit)
  int num_uvs = 0;               // T (28,911): UVs are split at seams
  int num_faces = 0;             // F (52,220 triangles)
  int num_identity = 0;          // 100
  int num_expression = 0;        // 53

  std::vector<float> neutral_vertices;      // V*3
  std::vector<float> uvs;                   // T*2, raw UDIM-like tiles along u, OBJ convention
  std::vector<std::int32_t> faces;          // F*3 vertex indices
  std::vector<std::int32_t> faces_uv;       // F*3 indices into uvs
  std::vector<std::uint8_t> face_part;      // F, upstream part id (0 face ... 15-16 eyelashes)
  std::vector<std::uint8_t> face_material;  // F, index into meta["materials"]
  std::vector<std::int32_t> face_src_poly;  // F
  std::vector<std::uint8_t> vertex_part;    // V
  std::vector<std::int32_t> landmarks68;    // 68 vertex ids
  // Bases converted from float16 to float32 on load: [modes][V][3].
  std::vector<float> identity_basis;    // num_identity*V*3
  std::vector<float> expression_basis;  // num_expression*V*3
  std::vector<std::string> identity_names;
  std::vector<std::string> expression_names;
  nlohmann::json meta;       // parts, materials, units, axes, ...
  std::string license_text;  // MIT notice; must travel with every export
};

// Reads and fully validates an F3DM v1 file: magic, version, table size, dtypes, ndim, shapes
// against the file size, 64-byte aligned offsets inside the file, required arrays present with
// consistent V/T/F, every face and UV index in range. Any violation throws
// faceg2e::FormatError naming the file and the field.
FaceModel load_f3dm(const std::filesystem::path& path);

// Writes F3DM v1 atomically (write, fsync, rename). Bases are stored as float16.
void save_f3dm(const FaceModel& model, const std::filesystem::path& path);

// Identity coefficients (num_identity) and expression weights (num_expression). Missing trailing
// values count as 0.
struct FaceCoefficients {
  std::vector<float> identity;
  std::vector<float> expression;
};

// CPU mesh assembly (float32, multithreaded-friendly plain loops), for the GUI and export.
// Returns V*3 positions.
std::vector<float> assemble_vertices(const FaceModel& model, const FaceCoefficients& coeffs);

// Area-weighted per-vertex normals of a triangle mesh, normalised. V*3.
std::vector<float> vertex_normals(const std::vector<float>& positions,
                                  const std::vector<std::int32_t>& faces);

}  // namespace faceg2e::face
