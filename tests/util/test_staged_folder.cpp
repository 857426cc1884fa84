#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/staged_folder.h"
#include "tests/common/scratch_dir.h"

namespace fs = std::filesystem;
using faceg2e::StagedFolder;

namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path d = faceg2e::testing::scratch_dir("staged") / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void write_text(const fs::path& p, const std::string& s) {
  std::ofstream out(p, std::ios::binary);
  out << s;
}

std::string read_text(const fs::path& p) { return faceg2e::read_file(p); }

std::set<std::string> entries(const fs::path& dir) {
  std::set<std::string> s;
  for (const auto& e : fs::directory_iterator(dir)) s.insert(e.path().filename().string());
  return s;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const faceg2e::Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A tmpfs of `size` mounted on `dir`, unmounted on destruction. Needs root (CAP_SYS_ADMIN);
// ok() is false where the test cannot mount one.
struct TmpfsMount {
  fs::path dir;
  bool mounted = false;
  TmpfsMount(const fs::path& d, const std::string& options) : dir(d) {
    fs::create_directories(dir);
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~TmpfsMount() {
    if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
  }
  bool ok() const { return mounted; }
};

}  // namespace

TEST(StagedFolder, WritesIntoATemporarySiblingAndRenamesOnCommit) {
  const fs::path root = fresh_dir("plain");
  const fs::path out = root / "proj";
  {
    StagedFolder f(out);
    EXPECT_EQ(f.path().parent_path(), fs::absolute(root));
    EXPECT_NE(f.path(), fs::absolute(out));
    EXPECT_TRUE(fs::is_directory(f.path()));
    EXPECT_FALSE(fs::exists(out));  // nothing at the target before commit
    write_text(f.path() / "a.txt", "A");
    fs::create_directories(f.path() / "sub");
    write_text(f.path() / "sub" / "b.txt", "B");
    f.commit();
    EXPECT_TRUE(f.committed());
  }
  EXPECT_EQ(read_text(out / "a.txt"), "A");
  EXPECT_EQ(read_text(out / "sub" / "b.txt"), "B");
  EXPECT_EQ(entries(root), std::set<std::string>{"proj"});  // no temporary left
  // A plain mkdir's permissions, not mkdtemp's private 0700.
  EXPECT_NE(fs::status(out).permissions() & fs::perms::group_read, fs::perms::none);
}

TEST(StagedFolder, CreatesMissingParents) {
  const fs::path root = fresh_dir("parents");
  StagedFolder f(root / "a" / "b" / "proj");
  write_text(f.path() / "x", "1");
  f.commit();
  EXPECT_EQ(read_text(root / "a" / "b" / "proj" / "x"), "1");
}

TEST(StagedFolder, NotCommittedLeavesNothing) {
  const fs::path root = fresh_dir("abandon");
  {
    StagedFolder f(root / "proj");
    write_text(f.path() / "identity.json", "{}");
  }
  EXPECT_TRUE(entries(root).empty());
}

TEST(StagedFolder, RefusesAnExistingProjectWithoutForce) {
  const fs::path root = fresh_dir("refuse");
  const fs::path out = root / "proj";
  fs::create_directories(out);
  write_text(out / "project.json", "old");
  const std::string msg = message_of([&] { StagedFolder f(out); });
  EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
  EXPECT_NE(msg.find("existing project"), std::string::npos) << msg;
  EXPECT_NE(msg.find(out.string()), std::string::npos) << msg;
  EXPECT_EQ(read_text(out / "project.json"), "old");
  EXPECT_EQ(entries(root), std::set<std::string>{"proj"});
}

TEST(StagedFolder, RefusesANonEmptyFolderAndNamesTheOverride) {
  const fs::path root = fresh_dir("nonempty");
  fs::create_directories(root / "out");
  write_text(root / "out" / "notes.txt", "mine");
  StagedFolder::Options o;
  o.force_flag = "--overwrite";
  const std::string msg = message_of([&] { StagedFolder f(root / "out", o); });
  EXPECT_NE(msg.find("--overwrite"), std::string::npos) << msg;
  EXPECT_NE(msg.find("notes.txt"), std::string::npos) << msg;
}

TEST(StagedFolder, AnEmptyExistingFolderIsFilled) {
  const fs::path root = fresh_dir("empty");
  fs::create_directories(root / "out");
  StagedFolder f(root / "out");
  write_text(f.path() / "a", "new");
  f.commit();
  EXPECT_EQ(read_text(root / "out" / "a"), "new");
  EXPECT_EQ(entries(root), std::set<std::string>{"out"});
}

TEST(StagedFolder, RefusesAFileEvenWithForce) {
  const fs::path root = fresh_dir("file");
  write_text(root / "out", "a file");
  StagedFolder::Options o;
  o.force = true;
  const std::string msg = message_of([&] { StagedFolder f(root / "out", o); });
  EXPECT_NE(msg.find("existing file"), std::string::npos) << msg;
  EXPECT_EQ(read_text(root / "out"), "a file");
  EXPECT_EQ(entries(root), std::set<std::string>{"out"});
}

TEST(StagedFolder, ForceReplacesTheWholeFolder) {
  const fs::path root = fresh_dir("force");
  const fs::path out = root / "proj";
  fs::create_directories(out / "previews");
  write_text(out / "project.json", "old");
  write_text(out / "albedo.png", "old albedo");
  write_text(out / "previews" / "geometry_0001.png", "old preview");
  StagedFolder::Options o;
  o.force = true;
  {
    StagedFolder f(out, o);
    EXPECT_EQ(read_text(out / "project.json"), "old");  // untouched until commit
    write_text(f.path() / "project.json", "new");
    f.commit();
  }
  // Exactly the new folder: nothing of the old one stays beside it.
  EXPECT_EQ(entries(out), std::set<std::string>{"project.json"});
  EXPECT_EQ(read_text(out / "project.json"), "new");
  EXPECT_EQ(entries(root), std::set<std::string>{"proj"});
}

TEST(StagedFolder, FailureWithForceKeepsTheOldFolder) {
  const fs::path root = fresh_dir("forcefail");
  const fs::path out = root / "proj";
  fs::create_directories(out);
  write_text(out / "project.json", "old");
  StagedFolder::Options o;
  o.force = true;
  try {
    StagedFolder f(out, o);
    write_text(f.path() / "project.json", "new");
    throw std::runtime_error("the run failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(entries(out), std::set<std::string>{"project.json"});
  EXPECT_EQ(read_text(out / "project.json"), "old");
  EXPECT_EQ(entries(root), std::set<std::string>{"proj"});
}

TEST(StagedFolder, ATargetThatAppearsDuringTheRunIsNotOverwritten) {
  const fs::path root = fresh_dir("race");
  const fs::path out = root / "proj";
  StagedFolder f(out);
  write_text(f.path() / "project.json", "new");
  fs::create_directories(out);
  write_text(out / "project.json", "someone else's");
  const std::string msg = message_of([&] { f.commit(); });
  EXPECT_NE(msg.find("kept in"), std::string::npos) << msg;
  EXPECT_EQ(read_text(out / "project.json"), "someone else's");
  EXPECT_EQ(read_text(f.path() / "project.json"), "new");  // the work is not lost
}

TEST(StagedFolder, RemovesWhatAKilledRunLeftBehind) {
  const fs::path root = fresh_dir("stale");
  // A process id that is certainly gone: a child that has exited and been reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  const std::string pid = std::to_string(child);
  fs::create_directories(root / (".proj.staging-" + pid + "-abcdef"));
  fs::create_directories(root / (".proj.old-" + pid));
  fs::create_directories(root / (".other.staging-" + pid + "-abcdef"));  // another target's
  StagedFolder f(root / "proj");
  const auto e = entries(root);
  EXPECT_EQ(e.count(".proj.staging-" + pid + "-abcdef"), 0u);
  EXPECT_EQ(e.count(".proj.old-" + pid), 0u);
  EXPECT_EQ(e.count(".other.staging-" + pid + "-abcdef"), 1u);
}

TEST(StagedFolder, ReadOnlyParentFailsAtConstruction) {
  const fs::path root = fresh_dir("readonly");
  const fs::path ro = root / "ro";
  std::unique_ptr<TmpfsMount> mount;
  if (::geteuid() == 0) {
    // chmod does not stop root: a read-only mount does.
    mount = std::make_unique<TmpfsMount>(ro, "size=64k");
    if (!mount->ok()) GTEST_SKIP() << "cannot mount a tmpfs here; read-only parent not tested";
    ASSERT_EQ(::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
  } else {
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string msg = message_of([&] { StagedFolder f(ro / "proj"); });
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1.0);
  EXPECT_NE(msg.find(ro.string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("cannot write"), std::string::npos) << msg;
  if (!mount) fs::permissions(ro, fs::perms::owner_all);
}

TEST(StagedFolder, FullDiskLeavesTheOldFolderOrNothing) {
  const fs::path root = fresh_dir("fulldisk");
  TmpfsMount disk(root / "disk", "size=256k");
  if (!disk.ok())
    GTEST_SKIP() << "cannot mount a small tmpfs here (needs root); full-disk case not tested";
  const std::string big(400 * 1024, 'x');  // more than the disk holds

  // Nothing there before: a failed write leaves nothing.
  EXPECT_THROW(
      {
        StagedFolder f(disk.dir / "proj");
        faceg2e::write_file_atomic(f.path() / "identity.json", std::string("{}"));
        faceg2e::write_file_atomic(f.path() / "albedo.png", big);
        f.commit();
      },
      faceg2e::Error);
  EXPECT_TRUE(entries(disk.dir).empty());

  // An old folder there: it survives whole.
  fs::create_directories(disk.dir / "proj");
  write_text(disk.dir / "proj" / "project.json", "old");
  write_text(disk.dir / "proj" / "albedo.png", "old albedo");
  StagedFolder::Options o;
  o.force = true;
  EXPECT_THROW(
      {
        StagedFolder f(disk.dir / "proj", o);
        faceg2e::write_file_atomic(f.path() / "project.json", std::string("new"));
        faceg2e::write_file_atomic(f.path() / "albedo.png", big);
        f.commit();
      },
      faceg2e::Error);
  EXPECT_EQ(entries(disk.dir), std::set<std::string>{"proj"});
  EXPECT_EQ(entries(disk.dir / "proj"), (std::set<std::string>{"albedo.png", "project.json"}));
  EXPECT_EQ(read_text(disk.dir / "proj" / "project.json"), "old");
  EXPECT_EQ(read_text(disk.dir / "proj" / "albedo.png"), "old albedo");
}

// kill -9 at random moments while a child rewrites a folder again and again: every time, the
// folder holds one complete generation (all files, all from the same write), never a mix.
TEST(StagedFolder, KillNineLeavesOldOrNewNeverAMix) {
  const fs::path root = fresh_dir("kill9");
  const fs::path out = root / "proj";
  const int kFiles = 8;
  auto write_generation = [&](const fs::path& dir, int gen) {
    for (int i = 0; i < kFiles; ++i)
      write_text(dir / ("part" + std::to_string(i) + ".txt"),
                 std::to_string(gen) + std::string(20000, 'x'));
  };
  {
    StagedFolder f(out);
    write_generation(f.path(), 0);
    f.commit();
  }
  std::mt19937 rng(1234);
  int killed_mid_run = 0;
  for (int trial = 0; trial < 12; ++trial) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      for (int gen = 1;; ++gen) {
        StagedFolder::Options o;
        o.force = true;
        StagedFolder f(out, o);
        write_generation(f.path(), trial * 100000 + gen);
        f.commit();
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(2000 + rng() % 30000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status)) ++killed_mid_run;
    ASSERT_TRUE(fs::is_directory(out)) << "trial " << trial << ": no folder at all";
    std::set<std::string> gens;
    int n = 0;
    for (const auto& e : fs::directory_iterator(out)) {
      const std::string s = read_text(e.path());
      gens.insert(s.substr(0, s.find('x')));
      ASSERT_EQ(s.size(), s.find('x') + 20000) << "trial " << trial << ": truncated " << e.path();
      ++n;
    }
    EXPECT_EQ(n, kFiles) << "trial " << trial;
    EXPECT_EQ(gens.size(), 1u) << "trial " << trial << ": files of different writes mixed";
  }
  EXPECT_EQ(killed_mid_run, 12);
  // The next writer cleans what the killed ones left.
  StagedFolder::Options o;
  o.force = true;
  StagedFolder f(out, o);
  for (const auto& name : entries(root))
    EXPECT_TRUE(name == "proj" || f.path().filename() == name) << "left behind: " << name;
}

TEST(PreviewsDir, BesideTheOutputAndNeverInside) {
  const fs::path root = fresh_dir("previews");
  const fs::path d = faceg2e::prepare_previews_dir(root / "proj", {}, false);
  EXPECT_EQ(d, fs::absolute(root / "proj.previews"));
  EXPECT_TRUE(fs::is_directory(d));
  EXPECT_FALSE(fs::exists(root / "proj"));
  EXPECT_TRUE(entries(d).empty());
  // Previews of an earlier run: refused without force, replaced with it.
  write_text(d / "geometry_0001.png", "old");
  const std::string msg =
      message_of([&] { faceg2e::prepare_previews_dir(root / "proj", {}, false); });
  EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--previews"), std::string::npos) << msg;
  faceg2e::prepare_previews_dir(root / "proj", {}, true);
  EXPECT_TRUE(entries(d).empty());
  // A folder that holds something else is never emptied.
  fs::create_directories(root / "mine");
  write_text(root / "mine" / "keep.txt", "x");
  const std::string msg2 =
      message_of([&] { faceg2e::prepare_previews_dir(root / "proj", root / "mine", true); });
  EXPECT_NE(msg2.find("keep.txt"), std::string::npos) << msg2;
  EXPECT_EQ(read_text(root / "mine" / "keep.txt"), "x");
}
