// The format-2 project store: bit-exact round trips, the redo tail on disk, kill -9 at random
// moments, two writers and stale locks, corrupt manifests/entries/tensors, format-1 upgrade.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "core/session/project.h"
#include "core/session/project_store.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/safetensors_format.h"
#include "tests/common/scratch_dir.h"
#include "tests/session/session_fixture.h"

namespace faceg2e::session {
namespace {

namespace fs = std::filesystem;
using testing::make_entry;
using testing::same_entry;

fs::path fresh_dir(const std::string& name) {
  static int counter = 0;
  const fs::path p = faceg2e::testing::scratch_dir("store") / (name + std::to_string(counter++));
  fs::remove_all(p);
  return p;
}

// The folder names under DIR/entries/.
std::set<std::string> entry_folders(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir / "entries")) out.insert(e.path().filename());
  return out;
}

std::set<std::string> history_ids(const History& h) {
  std::set<std::string> out;
  for (const auto& e : h.entries()) out.insert(e->id);
  return out;
}

void expect_same_history(const History& a, const History& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.cursor(), b.cursor());
  for (int i = 0; i < a.size(); ++i) {
    std::string why;
    EXPECT_TRUE(same_entry(a.at(i), b.at(i), &why)) << "entry " << i << ": " << why;
  }
}

// A project with the `new` entry 0 and `edits` edits 1..edits.
fs::path make_project(const std::string& name, int edits) {
  const fs::path dir = fresh_dir(name);
  create_project(dir, "ict_facekit_full", make_entry(0, -1));
  if (edits > 0) {
    auto store = ProjectStore::open(dir);
    for (int i = 1; i <= edits; ++i) store->history().append(make_entry(float(i), float(i - 1)));
    store->save();
  }
  return dir;
}

TEST(ProjectStore, RoundTripIsBitExact) {
  const fs::path dir = make_project("roundtrip", 2);
  const Project p = read_project(dir);
  EXPECT_EQ(p.format_version, 2);
  EXPECT_EQ(p.face_model_name, "ict_facekit_full");
  EXPECT_FALSE(p.created.empty());
  EXPECT_FALSE(p.app_version.empty());
  ASSERT_EQ(p.history.size(), 3);
  EXPECT_EQ(p.history.cursor(), 2);
  // Against what a store holds in memory after saving (ids and times included).
  auto store = ProjectStore::open(dir);
  expect_same_history(p.history, store->history());
  // And against freshly built entries, field by field.
  for (int i = 0; i < 3; ++i) {
    HistoryEntry want = make_entry(float(i), i ? float(i - 1) : -1.f);
    want.id = p.history.at(i).id;
    want.created = p.history.at(i).created;
    std::string why;
    EXPECT_TRUE(same_entry(p.history.at(i), want, &why)) << i << ": " << why;
  }
  // A saved project holds exactly its entries and the manifest (no temporaries, no lock left).
  store.reset();
  EXPECT_EQ(entry_folders(dir), history_ids(p.history));
  std::set<std::string> top;
  for (const auto& e : fs::directory_iterator(dir)) top.insert(e.path().filename());
  EXPECT_EQ(top, (std::set<std::string>{"entries", "project.json"}));
}

TEST(ProjectStore, UndoThenRedoRestoresTheCursorEntryBitForBit) {
  const fs::path dir = make_project("undoredo", 1);
  const std::string state_before =
      read_file(dir / "entries" / read_project(dir).history.current().id / "state.safetensors");
  const Project before = read_project(dir);
  {
    auto store = ProjectStore::open(dir);
    store->history().undo();
    store->save();
  }
  const Project undone = read_project(dir);
  EXPECT_EQ(undone.history.cursor(), 0);
  EXPECT_EQ(undone.history.current().state.coeffs.identity[0], 0.0f);
  {
    auto store = ProjectStore::open(dir);
    store->history().redo();
    store->save();
  }
  const Project redone = read_project(dir);
  expect_same_history(before.history, redone.history);
  // The entry's files were never rewritten.
  EXPECT_EQ(read_file(dir / "entries" / redone.history.current().id / "state.safetensors"),
            state_before);
}

TEST(ProjectStore, NewEntryAfterTwoUndosDropsTheTailOnDisk) {
  const fs::path dir = make_project("tail", 4);  // 5 entries
  const Project five = read_project(dir);
  ASSERT_EQ(five.history.size(), 5);
  std::string new_id;
  {
    auto store = ProjectStore::open(dir);
    store->history().undo();
    store->history().undo();
    new_id = store->history().append(make_entry(42, 2)).id;
    store->save();
  }
  const Project p = read_project(dir);
  ASSERT_EQ(p.history.size(), 4);
  EXPECT_EQ(p.history.cursor(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(p.history.at(i).id, five.history.at(i).id);
  EXPECT_EQ(p.history.at(3).id, new_id);
  EXPECT_EQ(p.history.at(3).state.coeffs.identity[0], 42.0f);
  EXPECT_EQ(p.history.at(3).state.coeffs.identity[1], 2.0f);
  // The files agree: the dropped entries' folders are gone, nothing else is there.
  EXPECT_EQ(entry_folders(dir), history_ids(p.history));
  EXPECT_FALSE(fs::exists(dir / "entries" / five.history.at(3).id));
  EXPECT_FALSE(fs::exists(dir / "entries" / five.history.at(4).id));
}

TEST(ProjectStore, CreateRefusesAFolderThatHoldsFiles) {
  const fs::path dir = make_project("exists", 0);
  EXPECT_THROW(create_project(dir, "m", make_entry(0, -1)), Error);
  EXPECT_THROW(ProjectStore::open(dir / "nope"), NotFoundError);
}

// ---------------------------------------------------------------------------------------------
// kill -9

// The history as read must be a chain: entry 0 is the `new` (identity[0] == 0), every edit's
// identity[1] is its predecessor's identity[0], and every entry's albedo is the pattern its
// identity[0] makes (no entry holds another entry's or a half-written state).
void expect_consistent_chain(const Project& p, int iteration) {
  const History& h = p.history;
  ASSERT_GE(h.size(), 1) << "iteration " << iteration;
  ASSERT_EQ(h.at(0).state.coeffs.identity[0], 0.0f) << "iteration " << iteration;
  for (int i = 0; i < h.size(); ++i) {
    const auto& c = h.at(i).state.coeffs.identity;
    ASSERT_EQ(c.size(), 3u);
    if (i > 0) {
      ASSERT_EQ(c[1], h.at(i - 1).state.coeffs.identity[0])
          << "iteration " << iteration << " entry " << i;
    }
    ASSERT_TRUE(testing::same_image(h.at(i).state.albedo, testing::pattern_image(32, 3, c[0])))
        << "iteration " << iteration << " entry " << i;
  }
}

// The child: open the project and commit edits forever (sometimes after an undo or a goto, so
// that saves also drop tails and remove folders) until it is killed.
[[noreturn]] void commit_forever(const fs::path& dir, unsigned seed, int iteration, int ready_fd) {
  try {
    std::mt19937 rng(seed);
    auto store = ProjectStore::open(dir);
    const char c = 'r';
    if (::write(ready_fd, &c, 1) != 1) ::_exit(4);
    for (int step = 1; step < 1000; ++step) {
      History& h = store->history();
      const unsigned r = rng() % 8;
      if (h.size() > 12)
        h.go_to(int(rng() % 4));
      else if (r == 0 && h.can_undo())
        h.undo();
      const float parent = h.current().state.coeffs.identity[0];
      h.append(make_entry(float(iteration * 1000 + step), parent));
      store->save();
    }
    ::_exit(0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child error: %s\n", e.what());
    ::_exit(3);
  }
}

TEST(ProjectStoreCrash, KillNineAtRandomMomentsLeavesOldOrOldPlusNew) {
  const fs::path dir = make_project("kill", 0);
  // One save's duration on this machine (fsync-bound, so it varies a lot between machines).
  const auto t0 = std::chrono::steady_clock::now();
  create_project(fresh_dir("kill_calibration"), "m", make_entry(0, -1));
  const int save_us = std::max<int>(200, int(std::chrono::duration_cast<std::chrono::microseconds>(
                                                 std::chrono::steady_clock::now() - t0)
                                                 .count()));
  RecordProperty("save_us", save_us);
  std::mt19937 rng(20261201);
  // The delay counts from the moment the child has the project open. A quarter of the kills
  // come within the first save, the rest after 1 to 8 saves' time (most likely inside a later
  // save: the child does nothing else).
  std::uniform_int_distribution<int> early_us(0, save_us), late_us(save_us, 8 * save_us);
  int changed = 0, inside_save = 0;
  std::string previous_manifest = read_file(dir / "project.json");
  constexpr int kIterations = 60;
  for (int it = 0; it < kIterations; ++it) {
    const unsigned child_seed = rng();
    const int wait = rng() % 4 == 0 ? early_us(rng) : late_us(rng);
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) commit_forever(dir, child_seed, it + 1, ready[1]);
    char c = 0;
    const bool opened = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    ::close(ready[1]);
    if (opened) std::this_thread::sleep_for(std::chrono::microseconds(wait));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(opened && WIFSIGNALED(status))
        << "iteration " << it << ": the child failed (status " << status
        << "), see its error above";
    Project p;
    ASSERT_NO_THROW(p = read_project(dir)) << "iteration " << it;
    expect_consistent_chain(p, it);
    if (::testing::Test::HasFatalFailure()) return;
    // Folders the manifest does not name: this kill landed inside a save.
    if (entry_folders(dir) != history_ids(p.history)) ++inside_save;
    const std::string manifest = read_file(dir / "project.json");
    if (manifest != previous_manifest) ++changed;
    previous_manifest = manifest;
  }
  // Most children committed something before they died, so the loads above saw new histories
  // and not only the first one.
  RecordProperty("iterations_with_commits", changed);
  RecordProperty("iterations_killed_inside_a_save", inside_save);
  EXPECT_GT(changed, kIterations / 3);
  EXPECT_GT(inside_save, 0);
  // A clean save afterwards removes every leftover of the killed saves.
  {
    auto store = ProjectStore::open(dir);
    store->save();
  }
  EXPECT_EQ(entry_folders(dir), history_ids(read_project(dir).history));
  EXPECT_FALSE(fs::exists(dir / "writer.lock"));
}

// ---------------------------------------------------------------------------------------------
// Writers

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

TEST(ProjectLock, SecondWriterGetsAClearErrorNamingTheHolder) {
  const fs::path dir = make_project("twowriters", 0);
  auto first = ProjectStore::open(dir);
  try {
    auto second = ProjectStore::open(dir);
    FAIL() << "a second writer opened the project";
  } catch (const ProjectLockedError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("pid " + std::to_string(::getpid())), std::string::npos) << msg;
    EXPECT_NE(msg.find(hostname()), std::string::npos) << msg;
    EXPECT_NE(msg.find("writer.lock"), std::string::npos) << msg;
  }
  // Readers are not blocked.
  EXPECT_EQ(read_project(dir).history.size(), 1);
  first.reset();
  EXPECT_FALSE(fs::exists(dir / "writer.lock"));
  EXPECT_NO_THROW(ProjectStore::open(dir));
}

TEST(ProjectLock, AnotherProcessHoldsItUntilItIsKilledThenTheLockIsRecovered) {
  const fs::path dir = make_project("otherprocess", 0);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      auto store = ProjectStore::open(dir);
      const char c = 'x';
      if (::write(ready[1], &c, 1) != 1) ::_exit(2);
      for (;;) ::pause();
    } catch (...) {
      ::_exit(3);
    }
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  try {
    ProjectStore::open(dir);
    ADD_FAILURE() << "opened while another process holds the lock";
  } catch (const ProjectLockedError& e) {
    EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(pid)), std::string::npos)
        << e.what();
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  // The dead holder's lock file is still there, naming it; the next writer takes it over.
  ASSERT_TRUE(fs::exists(dir / "writer.lock"));
  auto store = ProjectStore::open(dir);
  EXPECT_NE(store->lock().recovered_from().find(std::to_string(pid)), std::string::npos);
  store->history().append(make_entry(1, 0));
  EXPECT_NO_THROW(store->save());
}

TEST(ProjectLock, StaleLockFileFromADeadPidIsRecovered) {
  const fs::path dir = make_project("stale", 0);
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);  // `pid` is now dead
  const std::string stale =
      "{\"pid\": " + std::to_string(pid) + ", \"host\": \"" + hostname() +
      "\", \"program\": \"faceg2e-cli\", \"since\": \"2026-12-01T00:00:00Z\"}\n";
  write_file_atomic(dir / "writer.lock", stale);
  auto store = ProjectStore::open(dir);
  EXPECT_EQ(store->lock().recovered_from(), stale);
  const std::string now = read_file(dir / "writer.lock");
  EXPECT_NE(now.find("\"pid\":" + std::to_string(::getpid())), std::string::npos) << now;
  store.reset();
  EXPECT_FALSE(fs::exists(dir / "writer.lock"));
}

// ---------------------------------------------------------------------------------------------
// Corrupt input

// Builds a good project with one edit, lets `damage` change it, and expects read_project to
// throw E whose message contains every needle.
template <typename E>
void expect_rejected(const std::string& label,
                     const std::function<void(const fs::path& dir, const fs::path& edit)>& damage,
                     std::vector<std::string> needles) {
  SCOPED_TRACE(label);
  const fs::path dir = make_project("corrupt", 1);
  const fs::path edit = dir / "entries" / read_project(dir).history.at(1).id;
  damage(dir, edit);
  try {
    read_project(dir);
    ADD_FAILURE() << "accepted";
  } catch (const E& e) {
    for (const auto& n : needles)
      EXPECT_NE(std::string(e.what()).find(n), std::string::npos)
          << "'" << n << "' not in: " << e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

void edit_json(const fs::path& file, const std::function<void(nlohmann::json&)>& change) {
  auto j = nlohmann::json::parse(read_file(file));
  change(j);
  write_file_atomic(file, j.dump());
}

TEST(ProjectStoreCorrupt, ManifestsAreRejectedNamingFileAndField) {
  expect_rejected<FormatError>(
      "bad json",
      [](const fs::path& d, const fs::path&) { write_file_atomic(d / "project.json", "{ x"); },
      {"project.json", "invalid JSON"});
  expect_rejected<FormatError>("version",
                               [](const fs::path& d, const fs::path&) {
                                 edit_json(d / "project.json",
                                           [](auto& j) { j["format_version"] = 99; });
                               },
                               {"project.json", "format_version 99"});
  expect_rejected<FormatError>("cursor",
                               [](const fs::path& d, const fs::path&) {
                                 edit_json(d / "project.json", [](auto& j) { j["cursor"] = 2; });
                               },
                               {"project.json", "'cursor'"});
  expect_rejected<FormatError>("entries type",
                               [](const fs::path& d, const fs::path&) {
                                 edit_json(d / "project.json",
                                           [](auto& j) { j["entries"] = "all"; });
                               },
                               {"project.json", "'entries'"});
  expect_rejected<FormatError>("escaping id",
                               [](const fs::path& d, const fs::path&) {
                                 edit_json(d / "project.json",
                                           [](auto& j) { j["entries"][1] = "../../etc"; });
                               },
                               {"project.json", "entries[1]"});
  expect_rejected<FormatError>(
      "order",
      [](const fs::path& d, const fs::path&) {
        edit_json(d / "project.json", [](auto& j) { std::swap(j["entries"][0], j["entries"][1]); });
      },
      {"project.json", "'entries'"});
  expect_rejected<NotFoundError>("missing folder",
                                 [](const fs::path&, const fs::path& e) { fs::remove_all(e); },
                                 {"history entry folder missing"});
  expect_rejected<FormatError>("missing face model",
                               [](const fs::path& d, const fs::path&) {
                                 edit_json(d / "project.json",
                                           [](auto& j) { j.erase("face_model"); });
                               },
                               {"project.json", "'face_model'"});
  EXPECT_THROW(read_project("/nonexistent/project"), NotFoundError);
}

TEST(ProjectStoreCorrupt, EntriesAreRejectedNamingFileAndField) {
  expect_rejected<FormatError>("kind",
                               [](const fs::path&, const fs::path& e) {
                                 edit_json(e / "entry.json", [](auto& j) { j["kind"] = "merge"; });
                               },
                               {"entry.json", "'kind'", "merge"});
  expect_rejected<FormatError>("id mismatch",
                               [](const fs::path&, const fs::path& e) {
                                 edit_json(e / "entry.json",
                                           [](auto& j) { j["id"] = "0001-00000000"; });
                               },
                               {"entry.json", "'id'"});
  expect_rejected<FormatError>("seed",
                               [](const fs::path&, const fs::path& e) {
                                 edit_json(e / "entry.json", [](auto& j) { j["seed"] = -4; });
                               },
                               {"entry.json", "'seed'"});
  expect_rejected<FormatError>("hash",
                               [](const fs::path&, const fs::path& e) {
                                 edit_json(e / "entry.json",
                                           [](auto& j) { j["models"][0]["sha256"] = "xyz"; });
                               },
                               {"entry.json", "models[0]", "'sha256'"});
  expect_rejected<FormatError>("words",
                               [](const fs::path&, const fs::path& e) {
                                 edit_json(e / "entry.json", [](auto& j) { j["words"] = {1, 2}; });
                               },
                               {"entry.json", "'words[0]'"});
  expect_rejected<NotFoundError>(
      "missing state",
      [](const fs::path&, const fs::path& e) { fs::remove(e / "state.safetensors"); },
      {"state.safetensors"});
  expect_rejected<FormatError>(
      "thumb",
      [](const fs::path&, const fs::path& e) { write_file_atomic(e / "thumb.png", "nope"); },
      {"thumb.png"});
}

// Rewrites entries/<edit>/state.safetensors with `tensors` (F32 unless given).
void write_state(const fs::path& edit, const std::map<std::string, safetensors::TensorBytes>& t) {
  safetensors::write_file(edit / "state.safetensors", t);
}

TEST(ProjectStoreCorrupt, TensorsAreRejectedNamingFileAndTensor) {
  using safetensors::Dtype;
  static const std::vector<float> ident = {1.f, 0.f, 0.125f}, expr = {0.5f, 0.f};
  static const std::vector<float> albedo(32 * 32 * 3, 0.5f);
  auto base = [] {
    std::map<std::string, safetensors::TensorBytes> t;
    t["identity"] = {Dtype::F32, {3}, ident.data()};
    t["expression"] = {Dtype::F32, {2}, expr.data()};
    t["albedo"] = {Dtype::F32, {32, 32, 3}, albedo.data()};
    return t;
  };
  // The base itself is accepted (so the failures below are the damage's).
  {
    const fs::path dir = make_project("tensorbase", 1);
    write_state(dir / "entries" / read_project(dir).history.at(1).id, base());
    EXPECT_NO_THROW(read_project(dir));
  }
  expect_rejected<FormatError>("truncated",
                               [](const fs::path&, const fs::path& e) {
                                 const std::string bytes = read_file(e / "state.safetensors");
                                 write_file_atomic(e / "state.safetensors",
                                                   bytes.substr(0, bytes.size() - 100));
                               },
                               {"state.safetensors", "data_offsets"});
  expect_rejected<FormatError>("truncated weights",
                               [](const fs::path&, const fs::path& e) {
                                 const std::string bytes = read_file(e / "weights.safetensors");
                                 write_file_atomic(e / "weights.safetensors", bytes.substr(0, 20));
                               },
                               {"weights.safetensors"});
  expect_rejected<FormatError>("albedo shape",
                               [&](const fs::path&, const fs::path& e) {
                                 auto t = base();
                                 t["albedo"] = {Dtype::F32, {32, 48, 2}, albedo.data()};
                                 write_state(e, t);
                               },
                               {"state.safetensors", "'albedo'", "[32,48,2]"});
  expect_rejected<FormatError>("identity rank",
                               [&](const fs::path&, const fs::path& e) {
                                 auto t = base();
                                 t["identity"] = {Dtype::F32, {3, 1}, ident.data()};
                                 write_state(e, t);
                               },
                               {"state.safetensors", "'identity'"});
  expect_rejected<FormatError>("NaN",
                               [&](const fs::path&, const fs::path& e) {
                                 static std::vector<float> bad = albedo;
                                 bad[777] = std::numeric_limits<float>::quiet_NaN();
                                 auto t = base();
                                 t["albedo"] = {Dtype::F32, {32, 32, 3}, bad.data()};
                                 write_state(e, t);
                               },
                               {"state.safetensors", "'albedo'", "element 777", "NaN"});
  expect_rejected<FormatError>(
      "inf coefficient",
      [&](const fs::path&, const fs::path& e) {
        static std::vector<float> bad = {1.f, std::numeric_limits<float>::infinity(), 0.f};
        auto t = base();
        t["identity"] = {Dtype::F32, {3}, bad.data()};
        write_state(e, t);
      },
      {"state.safetensors", "'identity'", "infinite"});
  expect_rejected<FormatError>("dtype",
                               [&](const fs::path&, const fs::path& e) {
                                 static const std::vector<std::int32_t> ints = {1, 2, 3};
                                 auto t = base();
                                 t["identity"] = {Dtype::I32, {3}, ints.data()};
                                 write_state(e, t);
                               },
                               {"state.safetensors", "'identity'", "I32"});
  expect_rejected<FormatError>("missing tensor",
                               [&](const fs::path&, const fs::path& e) {
                                 auto t = base();
                                 t.erase("expression");
                                 write_state(e, t);
                               },
                               {"state.safetensors", "'expression'", "missing"});
  expect_rejected<FormatError>("W out of range",
                               [&](const fs::path&, const fs::path& e) {
                                 static std::vector<float> w(16 * 16, 0.5f);
                                 w[3] = 1.5f;
                                 safetensors::write_file(
                                     e / "weights.safetensors",
                                     {{"weights", {Dtype::F32, {16, 16, 1}, w.data()}}});
                               },
                               {"weights.safetensors", "'weights'", "element 3"});
}

// ---------------------------------------------------------------------------------------------
// Format 1

// The folder today's release writes (format 1), built by hand.
void write_format1(const fs::path& dir) {
  fs::create_directories(dir);
  write_file_atomic(dir / "identity.json", R"({"coefficients": [0.5, -1.25, 3.0]})");
  write_file_atomic(dir / "expression.json", R"({"coefficients": [0.0, 0.75]})");
  Image8 albedo;
  albedo.width = albedo.height = 16;
  albedo.channels = 3;
  for (int i = 0; i < 16 * 16 * 3; ++i) albedo.pixels.push_back(std::uint8_t(i % 256));
  write_png(dir / "albedo.png", albedo);
  write_file_atomic(dir / "project.json", R"({
    "format": "faceg2e-project", "format_version": 1, "app_version": "0.4.0",
    "face_model": "ict_facekit_full", "created": "2026-11-30T10:00:00Z",
    "modified": "2026-11-30T10:05:00Z",
    "files": {"identity": "identity.json", "expression": "expression.json", "albedo": "albedo.png"},
    "counts": {"identity": 3, "expression": 2},
    "generation": {"command": "generate", "prompt": "an old man", "seed": 42,
                   "timings": {"total_s": 12.5}}})");
}

TEST(ProjectStoreFormat1, OpensAndIsUpgradedOnSave) {
  const fs::path dir = fresh_dir("v1");
  write_format1(dir);
  const Project p = read_project(dir);
  EXPECT_EQ(p.format_version, 1);
  EXPECT_EQ(p.face_model_name, "ict_facekit_full");
  EXPECT_EQ(p.created, "2026-11-30T10:00:00Z");
  ASSERT_EQ(p.history.size(), 1);
  const HistoryEntry& e = p.history.current();
  EXPECT_EQ(e.kind, EntryKind::Generate);
  EXPECT_EQ(e.text, "an old man");
  EXPECT_EQ(e.seed, std::optional<std::uint64_t>(42));
  EXPECT_EQ(e.timings["total_s"], 12.5);
  EXPECT_EQ(e.state.coeffs.identity, (std::vector<float>{0.5f, -1.25f, 3.0f}));
  EXPECT_EQ(e.state.coeffs.expression, (std::vector<float>{0.0f, 0.75f}));
  ASSERT_EQ(e.state.albedo.width, 16);
  EXPECT_EQ(e.state.albedo.data[5], 5.0f / 255.0f);

  // The compatibility reader sees the same state.
  EXPECT_EQ(load_project(dir).face.coeffs.identity, e.state.coeffs.identity);

  {
    auto store = ProjectStore::open(dir);
    store->history().append(make_entry(1, 0.5f));
    store->save();
  }
  const auto manifest = nlohmann::json::parse(read_file(dir / "project.json"));
  EXPECT_EQ(manifest["format_version"], 2);
  EXPECT_EQ(manifest["created"], "2026-11-30T10:00:00Z");
  for (const char* old : {"identity.json", "expression.json", "albedo.png"})
    EXPECT_FALSE(fs::exists(dir / old)) << old;
  const Project q = read_project(dir);
  EXPECT_EQ(q.format_version, 2);
  ASSERT_EQ(q.history.size(), 2);
  // The upgraded entry, bit for bit (its id is given on the upgrade).
  HistoryEntry upgraded = e;
  upgraded.id = q.history.at(0).id;
  std::string why;
  EXPECT_TRUE(same_entry(q.history.at(0), upgraded, &why)) << why;
  EXPECT_EQ(entry_folders(dir), history_ids(q.history));
}

TEST(ProjectStoreFormat1, CorruptFormat1FilesAreNamed) {
  const fs::path dir = fresh_dir("v1bad");
  write_format1(dir);
  write_file_atomic(dir / "expression.json", R"({"coefficients": [0.1, "x"]})");
  try {
    read_project(dir);
    FAIL() << "accepted";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("expression.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("coefficient 1"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// The one-state API that generate still uses.

TEST(ProjectCompat, SaveLoadWritesFormat2AndReplacesAnExistingProject) {
  const fs::path dir = fresh_dir("compat");
  ProjectState s;
  s.face = make_entry(3, -1).state;
  s.face_model_name = "ict_facekit_full";
  s.generation = {{"command", "generate"}, {"prompt", "a child"}, {"seed", 7}};
  save_project(dir, s);
  const Project p = read_project(dir);
  EXPECT_EQ(p.format_version, 2);
  EXPECT_EQ(p.history.current().kind, EntryKind::Generate);
  EXPECT_EQ(p.history.current().text, "a child");
  const ProjectState back = load_project(dir);
  EXPECT_TRUE(testing::same_image(back.face.albedo, s.face.albedo));
  EXPECT_EQ(back.generation["seed"], 7);
  // Saving over it replaces the history; the old entry's folder goes.
  const std::string old_id = p.history.current().id;
  s.face.coeffs.identity = {9.f};
  save_project(dir, s);
  const Project q = read_project(dir);
  ASSERT_EQ(q.history.size(), 1);
  EXPECT_EQ(q.history.current().state.coeffs.identity, std::vector<float>{9.f});
  EXPECT_EQ(q.created, p.created);
  EXPECT_FALSE(fs::exists(dir / "entries" / old_id));
  // Other files in the folder (generate's previews/) stay as they are.
  const fs::path other = fresh_dir("compat_other");
  fs::create_directories(other / "previews");
  write_file_atomic(other / "previews" / "p.png", "mine");
  save_project(other, s);
  EXPECT_EQ(read_file(other / "previews" / "p.png"), "mine");
  EXPECT_EQ(read_project(other).history.size(), 1);
}

}  // namespace
}  // namespace faceg2e::session
