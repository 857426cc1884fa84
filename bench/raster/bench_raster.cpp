// CPU timings of rasterize (ICT-FaceKit, 52k triangles) and of a full grey-shaded render_mesh
// forward and forward + backward, for 1 and 2 threads at 512^2 and 224^2.
// Target: rasterize <= 20 ms at 512^2 on 2 cores.
//   build-raster/bench/raster/bench_raster [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "core/face/face_model.h"
#include "core/raster/render_mesh.h"

namespace {

using namespace faceg2e;
using namespace faceg2e::raster;

struct Fixture {
  torch::Tensor positions, triangles;
  Camera camera;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    const char* env = std::getenv("FACEG2E_SHARED_DIR");
    const std::filesystem::path shared = env ? env : FACEG2E_SHARED_DIR;
    const face::FaceModel model =
        face::load_f3dm(shared / "data/ict-facekit/ict_facekit_full.f3dm");
    Fixture x;
    x.positions = torch::from_blob(const_cast<float*>(model.neutral_vertices.data()),
                                   {model.num_vertices, 3}, torch::kFloat32)
                      .clone();
    x.triangles = torch::from_blob(const_cast<int32_t*>(model.faces.data()), {model.num_faces, 3},
                                   torch::kInt32)
                      .clone();
    const torch::Tensor lo = std::get<0>(x.positions.min(0)), hi = std::get<0>(x.positions.max(0));
    const torch::Tensor c = (lo + hi) * 0.5;
    const double extent = (hi - lo).max().item<double>();
    PerspectiveParams pp;  // FaceG2E reference fov
    pp.near = extent * 0.5;
    pp.far = extent * 20.0;
    // The head fills most of the frame, as in the pipeline's renders.
    const double distance = 0.55 * extent / std::tan(0.5 * pp.fov_y_deg * M_PI / 180.0);
    x.camera =
        make_orbit_camera({ViewAngles{15.0, 5.0, distance}},
                          {c[0].item<double>(), c[1].item<double>(), c[2].item<double>()}, pp);
    return x;
  }();
  return f;
}

// Args: threads, resolution (the 8 x 8 case isolates the per-triangle setup and binning).
void BM_Rasterize(benchmark::State& state) {
  const Fixture& f = fixture();
  const int threads = static_cast<int>(state.range(0));
  const torch::Tensor clip = transform_points(f.positions, f.camera.view_projection());
  RasterizeParams p;
  p.height = p.width = static_cast<int>(state.range(1));
  p.num_threads = threads;
  double covered = 0;
  for (auto _ : state) {
    RasterOutput out = rasterize(clip, f.triangles, p);
    benchmark::DoNotOptimize(out.triangle_id.data_ptr());
    covered = out.triangle_id.ge(0).to(torch::kFloat64).mean().item<double>();
  }
  state.counters["coverage"] = covered;
}

// Args: threads, resolution.
void BM_RenderMeshForward(benchmark::State& state) {
  const Fixture& f = fixture();
  at::set_num_threads(static_cast<int>(state.range(0)));
  MeshInputs mesh;
  mesh.positions = f.positions;
  mesh.triangles = f.triangles;
  mesh.sh_gamma = sh_light_preset(2);
  RenderMeshParams p;
  p.height = p.width = static_cast<int>(state.range(1));
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    RenderOutput out = render_mesh(mesh, f.camera, p);
    benchmark::DoNotOptimize(out.image.data_ptr());
  }
}

// Args: threads, resolution, silhouette antialiasing (0/1).
void BM_RenderMeshForwardBackward(benchmark::State& state) {
  const Fixture& f = fixture();
  at::set_num_threads(static_cast<int>(state.range(0)));
  MeshInputs mesh;
  mesh.triangles = f.triangles;
  mesh.sh_gamma = sh_light_preset(2);
  RenderMeshParams p;
  p.height = p.width = static_cast<int>(state.range(1));
  p.antialias = state.range(2) != 0;
  for (auto _ : state) {
    mesh.positions = f.positions.clone().requires_grad_(true);
    RenderOutput out = render_mesh(mesh, f.camera, p);
    out.image.sum().backward();
    benchmark::DoNotOptimize(mesh.positions.grad().data_ptr());
  }
}

BENCHMARK(BM_Rasterize)
    ->Args({1, 512})
    ->Args({2, 512})
    ->Args({1, 224})
    ->Args({2, 224})
    ->Args({1, 8})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_RenderMeshForward)
    ->Args({1, 512})
    ->Args({2, 512})
    ->Args({1, 224})
    ->Args({2, 224})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_RenderMeshForwardBackward)
    ->Args({1, 512, 0})
    ->Args({2, 512, 0})
    ->Args({1, 224, 0})
    ->Args({2, 224, 0})
    ->Args({2, 512, 1})
    ->Args({2, 224, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
