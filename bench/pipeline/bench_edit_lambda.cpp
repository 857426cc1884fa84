// The measurement behind the geometry/expression consistency weight (edit_stage.cpp,
// kGeometryLambda): geometry edits toward a random target face with the analytic target and a
// region lock, for a sweep of lambda; prints how much of the vertex displacement energy stays
// in the region and how far the region's vertices move toward the target. Usage:
//   bench_edit_lambda [--region nose] [--steps 100] [--size 128] [--scope geometry] [lambda ...]
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/face/face_assets.h"
#include "core/guidance/analytic_target.h"
#include "core/pipeline/edit_stage.h"
#include "core/pipeline/face_scene.h"
#include "core/pipeline/region_lock.h"

using namespace faceg2e;
using namespace faceg2e::pipeline;

int main(int argc, char** argv) {
  std::string region = "nose", scope = "geometry";
  int steps = 100, size = 128;
  std::vector<double> lambdas;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--region") && i + 1 < argc)
      region = argv[++i];
    else if (!std::strcmp(argv[i], "--steps") && i + 1 < argc)
      steps = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--size") && i + 1 < argc)
      size = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--scope") && i + 1 < argc)
      scope = argv[++i];
    else
      lambdas.push_back(std::atof(argv[i]));
  }
  if (lambdas.empty()) lambdas = {0, 100, 1000, 10000, 100000};
  auto assets_ptr = std::make_shared<const face::FaceAssets>(face::FaceAssets::load(std::nullopt));
  auto scene_ptr = std::make_shared<const FaceScene>(assets_ptr, torch::kCPU);
  const face::FaceAssets& assets = *assets_ptr;
  const FaceScene& scene = *scene_ptr;
  const int K = scene.num_identity(), E = scene.tensors().num_expression();
  session::FaceState base, target;
  torch::Generator g = at::detail::createCPUGenerator(20261201);
  if (scope == "geometry") {
    const torch::Tensor a = torch::randn({K}, g, torch::kFloat32) * 1.5;
    target.coeffs.identity.assign(a.data_ptr<float>(), a.data_ptr<float>() + K);
  } else {
    const torch::Tensor e = torch::rand({E}, g, torch::kFloat32);
    target.coeffs.expression.assign(e.data_ptr<float>(), e.data_ptr<float>() + E);
  }
  const auto ids = region_ids(*assets.region_labels(), {region});
  const auto& vl = assets.region_labels()->vertex_labels;
  torch::NoGradGuard outer;
  const torch::Tensor v0 =
      face::assemble_vertices(scene.tensors(), torch::zeros({K}), torch::zeros({E}));
  const torch::Tensor vt = face::assemble_vertices(
      scene.tensors(),
      torch::tensor(target.coeffs.identity.empty() ? std::vector<float>(K, 0)
                                                   : target.coeffs.identity),
      torch::tensor(target.coeffs.expression.empty() ? std::vector<float>(E, 0)
                                                     : target.coeffs.expression));
  std::printf(
      "%s edit toward a random target, region lock '%s', analytic target, %d steps, %d px\n",
      scope.c_str(), region.c_str(), steps, size);
  std::printf("%10s %14s %14s %14s\n", "lambda", "inside share", "region prog.", "outside rms cm");
  for (double lambda : lambdas) {
    EditParams p = target_edit_defaults(parse_edit_scope(scope));
    p.steps = steps;
    p.render_size = size;
    p.atlas_size = size;
    p.default_albedo_size = size;
    p.lambda = lambda;
    p.lock_regions = {region};
    EditModels m;
    m.guidance = std::make_shared<guidance::AnalyticTargetGuidance>(
        guidance::AnalyticTargetParams{}, nullptr);
    EditStage stage(p, scene_ptr, m, base, target, 3);
    {
      torch::AutoGradMode on(true);
      run_stage(stage, RunControl{});
    }
    const session::FaceState out = stage.finish();
    const torch::Tensor v = face::assemble_vertices(
        scene.tensors(),
        torch::tensor(out.coeffs.identity.empty() ? std::vector<float>(K, 0) : out.coeffs.identity),
        torch::tensor(out.coeffs.expression.empty() ? std::vector<float>(E, 0)
                                                    : out.coeffs.expression));
    const torch::Tensor d = (v - v0).pow(2).sum(1), want = vt - v0;
    double in = 0, all = 0, prog = 0, out_sq = 0;
    int n_in = 0, n_out = 0;
    for (std::size_t i = 0; i < vl.size(); ++i) {
      // Only the vertices the renders see (the face part) count.
      if (assets.model.vertex_part[i] != 0) continue;
      const double di = d[i].item<double>();
      all += di;
      if (std::find(ids.begin(), ids.end(), vl[i]) != ids.end()) {
        in += di;
        const double ww = want[i].pow(2).sum().item<double>();
        if (ww > 1e-8) prog += ((v[i] - v0[i]) * want[i]).sum().item<double>() / ww;
        ++n_in;
      } else {
        out_sq += di;
        ++n_out;
      }
    }
    std::printf("%10g %14.3f %14.3f %14.4f\n", lambda, all > 0 ? in / all : 0,
                n_in ? prog / n_in : 0, n_out ? std::sqrt(out_sq / n_out) : 0);
    std::fflush(stdout);
  }
  return 0;
}
