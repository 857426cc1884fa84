// Export of the entry at the cursor: undo then redo gives the same files byte for byte, and an
// edit's export carries its W map and the whole history.
#include <gtest/gtest.h>

#include "core/face/face_assets.h"
#include "core/session/export_obj.h"
#include "core/session/project_store.h"
#include "core/util/atomic_file.h"
#include "tests/common/scratch_dir.h"
#include "tests/face/face_fixture.h"
#include "tests/session/session_fixture.h"

namespace faceg2e::session {
namespace {

namespace fs = std::filesystem;
using face::testing::reference_model;
using testing::make_entry;

const face::FaceAssets& assets() {
  static const face::FaceAssets a = face::FaceAssets::from_model(reference_model());
  return a;
}

struct Exported {
  std::string obj, mtl, png, weights;
  nlohmann::json sidecar;
};

// Exports the cursor entry of the project as the CLI does and reads the files back.
Exported export_cursor(const fs::path& project, const fs::path& out) {
  const Project p = read_project(project);
  const HistoryEntry& e = p.history.current();
  ExportOptions opt;
  opt.generation = entry_record_json(e);
  opt.history = history_json(p.history);
  if (!e.weights.empty()) opt.weights = &e.weights;
  const ExportResult r = export_obj(assets(), e.state, out, opt);
  Exported x;
  x.obj = read_file(r.obj);
  x.mtl = read_file(r.mtl);
  x.png = read_file(r.texture);
  if (!r.weights.empty()) x.weights = read_file(r.weights);
  x.sidecar = nlohmann::json::parse(read_file(r.sidecar));
  x.sidecar.erase("created");  // the export's own time stamp
  return x;
}

TEST(ExportHistory, UndoThenRedoExportsTheSameBytes) {
  const fs::path dir = faceg2e::testing::scratch_dir("exporthist") / "p";
  fs::remove_all(dir);
  HistoryEntry first = make_entry(0, -1, 64);
  first.state.coeffs.identity = {0.5f, -1.0f};
  create_project(dir, "ict_facekit_full", first);
  {
    auto store = ProjectStore::open(dir);
    HistoryEntry edit = make_entry(1, 0, 64);
    edit.state.coeffs.identity = {1.5f, 0.25f};
    store->history().append(edit);
    store->save();
  }
  const fs::path out = faceg2e::testing::scratch_dir("exporthist");
  const Exported edited = export_cursor(dir, out / "a");
  {
    auto store = ProjectStore::open(dir);
    store->history().undo();
    store->save();
  }
  const Exported undone = export_cursor(dir, out / "b");
  EXPECT_NE(undone.obj, edited.obj);
  EXPECT_NE(undone.png, edited.png);
  EXPECT_TRUE(undone.weights.empty());  // the `new` entry has no W
  {
    auto store = ProjectStore::open(dir);
    store->history().redo();
    store->save();
  }
  const Exported redone = export_cursor(dir, out / "c");
  EXPECT_TRUE(redone.obj == edited.obj);
  EXPECT_TRUE(redone.mtl == edited.mtl);
  EXPECT_TRUE(redone.png == edited.png);
  EXPECT_TRUE(redone.weights == edited.weights);
  EXPECT_EQ(redone.sidecar, edited.sidecar);

  // The edit's export: W as a texture-size PNG, the whole history in the sidecar.
  ASSERT_FALSE(edited.weights.empty());
  const Image8 w = read_image(out / "a" / "face_weights.png");
  EXPECT_EQ(w.width, 1024);
  EXPECT_EQ(w.channels, 1);
  const auto& h = edited.sidecar["history"];
  EXPECT_EQ(h["cursor"], 1);
  ASSERT_EQ(h["entries"].size(), 2u);
  EXPECT_EQ(h["entries"][1]["text"], "edit 1");
  EXPECT_EQ(h["entries"][1]["seed"], 8);
  EXPECT_EQ(h["entries"][1]["models"][0]["sha256"], std::string(64, 'a'));
  EXPECT_EQ(edited.sidecar["weights"]["file"], "face_weights.png");
  EXPECT_EQ(undone.sidecar["history"]["cursor"], 0);
}

}  // namespace
}  // namespace faceg2e::session
