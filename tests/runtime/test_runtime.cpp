// core/runtime: the worker thread, job states, history rules and snapshots, without a window.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/runtime/runtime.h"
#include "core/session/coefficients.h"
#include "core/session/project.h"
#include "tests/common/scratch_dir.h"
#include "tests/common/shared_dir.h"

namespace fs = std::filesystem;
using faceg2e::pipeline::JobState;
using namespace faceg2e::runtime;

namespace {

std::shared_ptr<const faceg2e::face::FaceAssets> assets() {
  static std::shared_ptr<const faceg2e::face::FaceAssets> a = [] {
    const fs::path model =
        faceg2e::testing::shared_dir() / "data/ict-facekit/ict_facekit_full.f3dm";
    return std::make_shared<const faceg2e::face::FaceAssets>(
        faceg2e::face::FaceAssets::load(model));
  }();
  return a;
}

// Polls snapshots until the job is finished (the UI never blocks; a test may).
JobInfo wait_job(const Runtime& rt, std::uint64_t id, double timeout_s = 300) {
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    const auto s = rt.snapshot();
    for (const auto& j : s->finished)
      if (j.id == id) return j;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s)
      return JobInfo{id, "timeout", JobState::Failed, "timed out"};
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

RuntimeParams params(const fs::path& models_dir) {
  RuntimeParams p;
  p.assets = assets();
  p.models.models_dir = models_dir;
  return p;
}

fs::path make_target(const fs::path& dir) {
  faceg2e::session::ProjectState p;
  p.face.coeffs.identity = {2.0f, -1.5f, 1.0f};
  p.face_model_name = faceg2e::session::face_model_name(assets()->model);
  faceg2e::session::save_project(dir, p);
  return dir;
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(faceg2e::testing::shared_dir() / "data/ict-facekit/ict_facekit_full.f3dm"))
      GTEST_SKIP() << "no face model";
    dir_ = faceg2e::testing::scratch_dir("runtime") /
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "no_models");
  }
  fs::path dir_;
};

}  // namespace

TEST_F(RuntimeTest, FailedJobsCarryTheirMessageAndLeaveTheHistory) {
  Runtime rt(params(dir_ / "no_models"));
  const JobInfo undo = wait_job(rt, rt.undo());
  EXPECT_EQ(undo.state, JobState::Failed);
  EXPECT_NE(undo.message.find("nothing to undo"), std::string::npos) << undo.message;
  // No models: Generate with diffusion models says which role is missing and how to point at it.
  GenerateRequest g;
  g.prompt = "a face";
  const JobInfo gen = wait_job(rt, rt.generate(g));
  EXPECT_EQ(gen.state, JobState::Failed);
  EXPECT_NE(gen.message.find("geometry model (Stable Diffusion 2.x"), std::string::npos)
      << gen.message;
  EXPECT_NE(gen.message.find("Settings"), std::string::npos) << gen.message;
  // A missing target project becomes a failed job, not a crash.
  g.guidance = GuidanceChoice::AnalyticTarget;
  g.target_project = (dir_ / "nope").string();
  const JobInfo bad = wait_job(rt, rt.generate(g));
  EXPECT_EQ(bad.state, JobState::Failed);
  EXPECT_NE(bad.message.find("nope"), std::string::npos) << bad.message;
  const auto s = rt.snapshot();
  EXPECT_TRUE(s->history.empty());
  EXPECT_EQ(s->cursor, -1);
  EXPECT_FALSE(rt.busy());
}

TEST_F(RuntimeTest, AnalyticTargetGenerateEditUndoRedoDropsTheTailSavesAndExports) {
  Runtime rt(params(dir_ / "no_models"));
  GenerateRequest g;
  g.guidance = GuidanceChoice::AnalyticTarget;
  g.target_project = make_target(dir_ / "target").string();
  g.geometry_steps = 6;
  g.texture_steps = 2;
  g.render_size = 64;
  g.atlas_size = 64;
  const std::uint64_t gen = rt.generate(g);
  EXPECT_TRUE(rt.busy());  // busy from the moment a command is sent
  EditRequest e;
  e.instruction = "make the lips like the target";
  e.guidance = GuidanceChoice::AnalyticTarget;
  e.target_project = g.target_project;
  e.regions = {"lips"};
  e.steps = 3;
  e.render_size = 64;
  e.atlas_size = 64;
  const std::uint64_t edit = rt.edit(e);  // queued behind the generate
  const JobInfo gen_job = wait_job(rt, gen);
  ASSERT_EQ(gen_job.state, JobState::Done) << gen_job.message;
  const JobInfo edit_job = wait_job(rt, edit);
  ASSERT_EQ(edit_job.state, JobState::Done) << edit_job.message;
  auto s = rt.snapshot();
  ASSERT_EQ(s->history.size(), 2u);
  EXPECT_EQ(s->history[0].kind, "generate");
  EXPECT_EQ(s->history[1].kind, "edit");
  EXPECT_EQ(s->cursor, 1);
  ASSERT_TRUE(s->face);
  ASSERT_TRUE(s->weights) << "an edit's W is in the snapshot";
  EXPECT_FALSE(s->weights->empty());
  const auto edited = s->face;
  EXPECT_FALSE(s->loss_curve.empty());

  ASSERT_EQ(wait_job(rt, rt.undo()).state, JobState::Done);
  s = rt.snapshot();
  EXPECT_EQ(s->cursor, 0);
  EXPECT_NE(s->face, edited);
  EXPECT_GT(std::abs(s->face->coeffs.identity.at(0)), 0.05f) << "did not move toward the target";
  ASSERT_EQ(wait_job(rt, rt.redo()).state, JobState::Done);
  EXPECT_EQ(rt.snapshot()->face, edited);
  EXPECT_NE(wait_job(rt, rt.redo()).message.find("nothing to redo"), std::string::npos);

  // Export writes the cursor entry, its W map and the history sidecar.
  ExportRequest x;
  x.out_dir = dir_ / "export";
  ASSERT_EQ(wait_job(rt, rt.export_face(x)).state, JobState::Done);
  std::ifstream side_in(dir_ / "export" / "face.json");
  const auto side = nlohmann::json::parse(side_in);
  EXPECT_FLOAT_EQ(side["coefficients"]["identity"][0].get<float>(), edited->coeffs.identity[0]);
  EXPECT_EQ(side["history"]["entries"].size(), 2u);
  EXPECT_TRUE(fs::exists(dir_ / "export" / "face_weights.png"));

  // Save, then open: the whole history and the cursor come back.
  ASSERT_EQ(wait_job(rt, rt.save(dir_ / "project")).state, JobState::Done);
  EXPECT_FALSE(rt.snapshot()->dirty);
  ASSERT_EQ(wait_job(rt, rt.new_document()).state, JobState::Done);
  EXPECT_TRUE(rt.snapshot()->history.empty());
  const JobInfo opened = wait_job(rt, rt.open(dir_ / "project"));
  ASSERT_EQ(opened.state, JobState::Done) << opened.message;
  s = rt.snapshot();
  ASSERT_EQ(s->history.size(), 2u);
  EXPECT_EQ(s->cursor, 1);
  EXPECT_EQ(s->face->coeffs.identity, edited->coeffs.identity);

  // After an undo, a new edit drops the redo tail.
  ASSERT_EQ(wait_job(rt, rt.go_to(0)).state, JobState::Done);
  e.steps = 1;
  ASSERT_EQ(wait_job(rt, rt.edit(e)).state, JobState::Done);
  s = rt.snapshot();
  EXPECT_EQ(s->history.size(), 2u);
  EXPECT_EQ(s->cursor, 1);
  // Save As into a new folder while a project is open moves the document there.
  const JobInfo saved_as = wait_job(rt, rt.save(dir_ / "project2"));
  ASSERT_EQ(saved_as.state, JobState::Done) << saved_as.message;
  EXPECT_EQ(rt.snapshot()->project_dir, dir_ / "project2");
  EXPECT_TRUE(fs::exists(dir_ / "project2" / "project.json"));
  // An unknown region is a failed job that leaves the history as it was.
  e.regions = {"no such region"};
  const JobInfo bad = wait_job(rt, rt.edit(e));
  EXPECT_EQ(bad.state, JobState::Failed);
  EXPECT_NE(bad.message.find("no such region"), std::string::npos) << bad.message;
  EXPECT_EQ(rt.snapshot()->history.size(), 2u);
}

TEST_F(RuntimeTest, CancelStopsTheRunningJobWithinAStepAndDropsTheQueue) {
  Runtime rt(params(dir_ / "no_models"));
  GenerateRequest g;
  g.guidance = GuidanceChoice::AnalyticTarget;
  g.target_project = make_target(dir_ / "target").string();
  g.geometry_steps = 100000;
  g.render_size = 64;
  const std::uint64_t running = rt.generate(g);
  const std::uint64_t queued = rt.generate(g);
  // Wait until steps are being made, then cancel.
  const auto t0 = std::chrono::steady_clock::now();
  while (rt.snapshot()->progress.step < 2 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(rt.snapshot()->progress.step, 2);
  const auto t_cancel = std::chrono::steady_clock::now();
  rt.cancel();
  const JobInfo a = wait_job(rt, running);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_cancel).count();
  EXPECT_EQ(a.state, JobState::Cancelled);
  EXPECT_LT(seconds, 5.0) << "cancel should take effect within one step";
  EXPECT_EQ(wait_job(rt, queued).state, JobState::Cancelled);
  EXPECT_TRUE(rt.snapshot()->history.empty());
  EXPECT_FALSE(rt.busy());

  // An edit of the default face cancelled mid-run leaves the empty history empty (its first
  // entry, the default face, is added only with the edit).
  EditRequest e;
  e.instruction = "like the target";
  e.guidance = GuidanceChoice::AnalyticTarget;
  e.target_project = g.target_project;
  e.steps = 100000;
  e.render_size = 64;
  e.atlas_size = 64;
  const std::uint64_t edit = rt.edit(e);
  const auto t1 = std::chrono::steady_clock::now();
  auto edit_steps = [&] {
    const auto s = rt.snapshot();
    return s->running && s->running->id == edit ? s->progress.step : 0;
  };
  while (edit_steps() < 2 && std::chrono::steady_clock::now() - t1 < std::chrono::seconds(120))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(edit_steps(), 2);
  EXPECT_TRUE(rt.snapshot()->live) << "a running edit publishes the face as it is";
  rt.cancel();
  EXPECT_EQ(wait_job(rt, edit).state, JobState::Cancelled);
  const auto s = rt.snapshot();
  EXPECT_TRUE(s->history.empty());
  EXPECT_FALSE(s->live);
}
