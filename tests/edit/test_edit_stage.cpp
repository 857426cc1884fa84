// The edit stage with the analytic target (no weights needed): a target that differs from the
// baseline everywhere. With a region lock the change stays in the region and the region moves
// toward the target; without a lock and without attention the change spreads over the face.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

#include "core/guidance/analytic_target.h"
#include "core/pipeline/edit_stage.h"
#include "core/pipeline/region_lock.h"
#include "core/util/error.h"
#include "tests/edit/edit_fixture.h"

using namespace faceg2e::pipeline;
using faceg2e::pipeline::testing::assets;
using faceg2e::pipeline::testing::scene;
using faceg2e::pipeline::testing::scene_ptr;
namespace session = faceg2e::session;

namespace {

constexpr int kSize = 128;

session::FaceState baseline() {
  session::FaceState s;
  s.albedo = session::to_float_image(assets().default_albedo(kSize));
  return s;
}

// Every channel of every texel moved by 0.4, toward the far end of [0, 1].
session::FaceState shifted_target(const session::FaceState& base) {
  session::FaceState t = base;
  for (float& v : t.albedo.data) v = v < 0.5f ? v + 0.4f : v - 0.4f;
  return t;
}

struct Outcome {
  double inside_share = 0;     // share of the change's energy inside the region
  double region_progress = 0;  // mean over the region's inner texels of the move toward the target
  double energy = 0;
};

Outcome run_edit(const std::vector<std::string>& lock, const std::string& region, double lambda,
                 int steps, std::uint64_t seed) {
  const session::FaceState base = baseline();
  const session::FaceState target = shifted_target(base);
  EditParams p = target_edit_defaults(EditScope::kTexture);
  p.steps = steps;
  p.render_size = kSize;
  p.atlas_size = kSize;
  p.default_albedo_size = kSize;
  p.lambda = lambda;
  p.lock_regions = lock;
  EditModels models;
  models.guidance = std::make_shared<faceg2e::guidance::AnalyticTargetGuidance>(
      faceg2e::guidance::AnalyticTargetParams{}, nullptr);
  EditStage stage(p, scene_ptr(), models, base, target, seed);
  run_stage(stage, RunControl{});
  const FaceSnapshot snap = stage.snapshot();
  EXPECT_EQ(snap.weights.width, kSize);
  const session::FaceState out = stage.finish();
  EXPECT_EQ(out.albedo.width, kSize);

  const auto labels = atlas_region_labels(assets(), kSize);
  const auto ids = region_ids(*assets().region_labels(), {region});
  // The stage's feather at this size (3 texels of a 512 atlas -> 1): texels at 1 are fully free.
  const auto inner = region_membership(labels, kSize, ids, 1);
  Outcome o;
  double in_e = 0, progress = 0;
  int inner_n = 0;
  for (int i = 0; i < kSize * kSize; ++i) {
    double e = 0, dot = 0, dd = 0;
    for (int c = 0; c < 3; ++c) {
      const std::size_t k = static_cast<std::size_t>(i) * 3 + c;
      const double d = out.albedo.data[k] - base.albedo.data[k];
      const double want = target.albedo.data[k] - base.albedo.data[k];
      e += d * d;
      dot += d * want;
      dd += want * want;
    }
    o.energy += e;
    const bool in_region =
        labels[i] >= 0 && std::find(ids.begin(), ids.end(), labels[i]) != ids.end();
    if (in_region) in_e += e;
    if (inner[i] >= 1.0f) {
      progress += dot / dd;
      ++inner_n;
    }
  }
  o.inside_share = o.energy > 0 ? in_e / o.energy : 0;
  EXPECT_GT(inner_n, 10) << region << ": too few inner texels to judge";
  o.region_progress = inner_n ? progress / inner_n : 0;
  std::printf("lock=%s region=%s lambda=%g: energy %.3f, inside share %.3f, region progress %.3f\n",
              lock.empty() ? "-" : lock[0].c_str(), region.c_str(), lambda, o.energy,
              o.inside_share, o.region_progress);
  return o;
}

}  // namespace

TEST(EditStage, RegionLockKeepsTheChangeInsideAndMovesTheRegion) {
  for (const std::string region : {"lips", "nose"}) {
    const Outcome o = run_edit({region}, region, 15000, 60, 11);
    EXPECT_GE(o.inside_share, 0.9) << region;
    EXPECT_GE(o.region_progress, 0.5) << region;
  }
}

TEST(EditStage, WithoutLockOrAttentionTheChangeSpreads) {
  const Outcome o = run_edit({}, "lips", 15000, 60, 11);
  EXPECT_GT(o.energy, 1.0) << "the target did not move the texture";
  EXPECT_LT(o.inside_share, 0.5);
}

TEST(EditStage, StepsSnapshotsAndCancel) {
  const session::FaceState base = baseline();
  EditParams p = target_edit_defaults(EditScope::kExpression);
  p.steps = 3;
  p.render_size = 64;
  p.atlas_size = 64;
  p.default_albedo_size = kSize;
  session::FaceState target = base;
  target.coeffs.expression.assign(static_cast<std::size_t>(scene().tensors().num_expression()),
                                  0.8f);
  EditModels models;
  models.guidance = std::make_shared<faceg2e::guidance::AnalyticTargetGuidance>(
      faceg2e::guidance::AnalyticTargetParams{}, nullptr);
  EditStage stage(p, scene_ptr(), models, base, target, 1);
  EXPECT_EQ(stage.name(), "edit");
  EXPECT_EQ(stage.total_steps(), 3);
  const StepReport r = stage.step(true);
  EXPECT_EQ(r.step, 1);
  EXPECT_TRUE(r.loss.has_value());
  EXPECT_FALSE(stage.step(false).loss.has_value());
  const FaceSnapshot s = stage.snapshot();
  EXPECT_EQ(s.positions.size(), static_cast<std::size_t>(assets().model.num_vertices) * 3);
  EXPECT_EQ(s.step, 2);
  std::atomic<bool> cancel{true};
  RunControl c;
  c.cancel = &cancel;
  EXPECT_THROW(run_stage(stage, c), faceg2e::Cancelled);
  EXPECT_EQ(stage.steps_done(), 2);
  cancel = false;
  run_stage(stage, c);
  const session::FaceState out = stage.finish();
  ASSERT_EQ(out.coeffs.expression.size(),
            static_cast<std::size_t>(scene().tensors().num_expression()));
  for (float w : out.coeffs.expression) {
    EXPECT_GE(w, 0.0f);
    EXPECT_LE(w, 1.0f);
  }
  EXPECT_TRUE(out.albedo.data == base.albedo.data) << "an expression edit changed the texture";
}
