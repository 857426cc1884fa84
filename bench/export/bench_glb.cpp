// GLB export time and size at 1K/2K/4K textures, morph targets dense vs sparse (and the
// per-accessor choice the exporter makes), with and without normal deltas. Prints a table;
// not run by ctest.  Usage: bench_glb [MODEL.f3dm] [REPS]
#include <chrono>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>

#include "core/face/face_model.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/session/export_gltf.h"
#include "core/session/export_texture.h"
#include "core/util/data_paths.h"

using namespace faceg2e;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
// Process CPU time: the code is single-threaded, so on a loaded machine this is the better
// measure of its own cost than wall time.
double cpu_seconds() { return double(std::clock()) / CLOCKS_PER_SEC; }
}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path model_path =
      argc > 1 ? std::filesystem::path(argv[1]) : require_face_model(std::nullopt);
  const int reps = argc > 2 ? std::stoi(argv[2]) : 1;
  const face::FaceModel m = face::load_f3dm(model_path);
  const face::UvAtlas atlas = face::build_uv_atlas(m);
  const auto dir = face::find_regions_dir(m);
  std::optional<face::RegionLabels> regions;
  if (!dir.empty()) regions = face::load_regions(dir, m.num_vertices);
  face::FaceCoefficients coeffs;
  coeffs.identity = {1.0f, -0.5f, 0.3f};

  struct Variant {
    const char* name;
    session::MorphStorage storage;
    bool normals;
    float normal_epsilon;
  };
  const Variant variants[] = {
      {"dense, all normal deltas", session::MorphStorage::kDense, true, 0.0f},
      {"sparse, all normal deltas", session::MorphStorage::kSparse, true, 0.0f},
      {"auto, all normal deltas", session::MorphStorage::kAuto, true, 0.0f},
      {"dense, normal deltas >= 1e-3", session::MorphStorage::kDense, true, 1e-3f},
      {"sparse, normal deltas >= 1e-3", session::MorphStorage::kSparse, true, 1e-3f},
      {"auto, normal deltas >= 1e-3 (default)", session::MorphStorage::kAuto, true, 1e-3f},
      {"dense, no normal deltas", session::MorphStorage::kDense, false, 0.0f},
      {"auto, no normal deltas", session::MorphStorage::kAuto, false, 0.0f}};
  std::printf(
      "| texture | morph storage | texture prep s | GLB build s | GLB MB | of which PNG MB "
      "| dense/sparse/empty accessors |\n|---|---|---|---|---|---|---|\n");
  for (int size : {1024, 2048, 4096}) {
    double c0 = cpu_seconds();
    Image8 tex =
        session::export_albedo_texture(m, atlas, {}, size, {}, regions ? &*regions : nullptr);
    const double prep = cpu_seconds() - c0;
    std::size_t png = encode_png(tex).size();
    for (const auto& v : variants) {
      session::GlbOptions o;
      o.storage = v.storage;
      o.morph_normals = v.normals;
      o.morph_normal_epsilon = v.normal_epsilon;
      double best = 1e30, best_cpu = 1e30;
      session::GlbBuild b;
      for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        c0 = cpu_seconds();
        b = session::build_glb(m, atlas, coeffs, tex, nullptr, o);
        best_cpu = std::min(best_cpu, cpu_seconds() - c0);
        best = std::min(best, seconds_since(t0));
      }
      std::printf("| %d | %s | %.2f | %.2f (%.2f) | %.2f | %.2f | %d/%d/%d |\n", size, v.name, prep,
                  best, best_cpu, b.bytes.size() / 1e6, png / 1e6, b.dense_accessors,
                  b.sparse_accessors, b.empty_accessors);
      std::fflush(stdout);
    }
    // A generated albedo carries detail the smooth default lacks; uniform noise is the worst
    // case for PNG (incompressible), so the file size is bracketed.
    std::uint32_t state = 12345;
    for (auto& px : tex.pixels) {
      state = state * 1664525u + 1013904223u;
      px = std::uint8_t(state >> 24);
    }
    png = encode_png(tex).size();
    const auto t0 = std::chrono::steady_clock::now();
    c0 = cpu_seconds();
    const auto b = session::build_glb(m, atlas, coeffs, tex, nullptr, {});
    std::printf(
        "| %d | auto, default; noise texture (PNG worst case) | - | %.2f (%.2f) | %.2f | %.2f "
        "| %d/%d/%d |\n",
        size, seconds_since(t0), cpu_seconds() - c0, b.bytes.size() / 1e6, png / 1e6,
        b.dense_accessors, b.sparse_accessors, b.empty_accessors);
    std::fflush(stdout);
  }
  return 0;
}
