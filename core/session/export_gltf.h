#pragma once
// Binary glTF 2.0 (GLB) export of one face with its expressions as morph targets. Torch-free.
//
// One self-contained file: a JSON chunk and a BIN chunk (both 4-byte aligned), holding
//   - one mesh "face" with four primitives, one per part (GlbPart): head, eyes, teeth and mouth
//     interior, each drawing the triangles the viewport draws (face::drawn_triangles,
//     face_assets.h) with its own pbrMetallicRoughness material (metallic 0, roughness from
//     GlbMaterialParams) and the albedo atlas as the base colour texture (one embedded PNG shared
//     by all four);
//   - POSITION (with min/max), NORMAL and TEXCOORD_0 (glTF's top-left origin: v' = 1 - v);
//     vertices are split only where the UV atlas has seams (one glTF vertex per used
//     (model vertex, UV index) pair), so `vertex_map` says which model vertex each came from;
//   - morph targets: POSITION deltas (and NORMAL deltas unless turned off), each accessor dense or
//     sparse, whichever is smaller (MorphStorage::kAuto); names in mesh.extras.targetNames;
//     default mesh.weights = the face's expression weights;
//   - the identity baked into the base positions (the model's expression deltas do not depend on
//     the identity, so every target stays right on a generated face).
// Units: metres (the model's centimetres * 0.01); right-handed, +Y up, the face looks toward +Z,
// as glTF 2.0 specifies.
//
// ARKit names (BlendshapeNames::kArkit, the default): Apple's 52 ARFaceAnchor names in Apple's
// order. The model's `_L`/`_R` become `Left`/`Right`; its split browInnerUp_L/_R and
// cheekPuff_L/_R are summed into one target each (their weight is the mean of the two model
// weights; an asymmetric pair cannot be represented by one target: GlbBuild::notes says so);
// `tongueOut` has no counterpart in the model and is written as a zero target (an accessor
// without data, all zeros) so that name-mapping tools find all 52 names.
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/face/face_model.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/util/image_io.h"

namespace faceg2e::session {

enum class BlendshapeNames { kArkit, kModel };
// kAuto: per accessor, sparse when its sparse encoding is smaller than the dense one.
enum class MorphStorage { kAuto, kDense, kSparse };

// "arkit" / "model"; throws faceg2e::Error on anything else.
BlendshapeNames parse_blendshape_names(const std::string& s);
const char* to_string(BlendshapeNames n);

// The primitives of the mesh, in file order.
enum GlbPart : int { kPartHead = 0, kPartEyes, kPartTeeth, kPartMouthInterior, kNumGlbParts };
const char* glb_part_name(int part);  // "head", "eyes", "teeth", "mouth_interior"
// The part of an upstream face_part id (face_model.h), or -1 for parts that are never drawn.
int glb_part_of(int face_part);

// Roughness per part (glTF roughnessFactor; metallic is always 0). FaceG2E choices, no measured
// source: skin 0.5 is the usual PBR value for skin; the eyes are wet (cornea, tear film) and
// nearly mirror-like; teeth and the mouth interior are wet but less smooth.
struct GlbMaterialParams {
  double roughness_head = 0.5;
  double roughness_eyes = 0.1;
  double roughness_teeth = 0.3;
  double roughness_mouth_interior = 0.35;
  // The lips are wetter than the skin around them: where the region labels say "lips", the head
  // material's roughness is this instead, through a metallicRoughnessTexture (G = roughness /
  // roughness_head) in the atlas layout. Needs the labels' UV image; without it the head is
  // uniform.
  double roughness_lips = 0.3;
  int roughness_texture_size = 512;  // 0: no texture
};

struct GlbOptions {
  BlendshapeNames names = BlendshapeNames::kArkit;
  MorphStorage storage = MorphStorage::kAuto;
  // NORMAL deltas per target (three.js and Babylon use them; Blender recomputes normals).
  bool morph_normals = true;
  // Normal deltas shorter than this (unit-normal units; 1e-3 is ~0.06 degrees) are written as 0,
  // so the sparse accessors skip the far field where a target bends normals imperceptibly. The
  // deltas are a linear approximation anyway (normals do not blend linearly). FaceG2E choice:
  // it halves the file (bench/RESULTS.md) with no visible change. 0 keeps them all.
  float morph_normal_epsilon = 1e-3f;
  GlbMaterialParams material;
};

// One output morph target: its name and the model expressions summed into it (empty: zero
// target).
struct GlbTarget {
  std::string name;
  std::vector<int> model_expressions;
};

// The targets for `names` given the model's expression names. ARKit mode throws faceg2e::Error
// when a model expression has no ARKit counterpart (another face model).
std::vector<GlbTarget> glb_targets(const std::vector<std::string>& expression_names,
                                   BlendshapeNames names);

struct GlbPrimitiveRange {
  std::string name;
  int first_vertex = 0;  // into vertex_map
  int vertex_count = 0;
  int triangle_count = 0;
};

struct GlbBuild {
  std::string bytes;  // the whole .glb
  // glTF vertex -> model vertex, primitives' vertices concatenated in file order.
  std::vector<std::int32_t> vertex_map;
  std::vector<GlbPrimitiveRange> primitives;
  std::vector<GlbTarget> targets;
  std::vector<float> weights;  // default mesh.weights
  // What the GLB cannot say exactly, for the sidecar (e.g. an asymmetric browInnerUp pair).
  std::vector<std::string> notes;
  int dense_accessors = 0, sparse_accessors = 0, empty_accessors = 0;
};

// Builds the GLB in memory. `albedo` is the finished atlas texture (export_texture.h), any
// square size. `asset_extras` goes into asset.extras. `regions` (may be null) gives the lips
// their roughness. Throws faceg2e::Error on bad input (coefficient counts, atlas/model mismatch,
// empty texture).
GlbBuild build_glb(const face::FaceModel& model, const face::UvAtlas& atlas,
                   const face::FaceCoefficients& coeffs, const Image8& albedo,
                   const nlohmann::json& asset_extras, const GlbOptions& options = {},
                   const face::RegionLabels* regions = nullptr);

// The head material's metallicRoughnessTexture: RGB, size x size in the atlas layout (row 0 =
// v = 1); G = roughness / roughness_head (255 = the head's factor), B = 0 (metallic), R = 255
// (unused occlusion). Empty when `regions` has no UV label image or no "lips" label.
Image8 glb_roughness_texture(const face::UvAtlas& atlas, const face::RegionLabels* regions,
                             const GlbMaterialParams& params, int size);

// build_glb, then writes `file` atomically (temp + fsync + rename). Returns the build without
// its bytes (bytes.size() is kept in `file_size`).
struct GlbWritten {
  GlbBuild build;  // bytes cleared
  std::size_t file_size = 0;
};
GlbWritten write_glb(const std::filesystem::path& file, const face::FaceModel& model,
                     const face::UvAtlas& atlas, const face::FaceCoefficients& coeffs,
                     const Image8& albedo, const nlohmann::json& asset_extras,
                     const GlbOptions& options = {}, const face::RegionLabels* regions = nullptr);

// The sidecar's description of a GLB (key "glb" of the export JSON): file name, units, name
// mode, targets with their model expressions, and "vertex_map": {"primitives": [{"name",
// "first", "count"}...], "model_vertex": [...]}.
nlohmann::json glb_sidecar_json(const GlbBuild& build, const std::string& file_name,
                                const GlbOptions& options);

}  // namespace faceg2e::session
