#pragma once
// The one writer of output folders (generate, new, export, project saves): a folder is written
// whole or not at all.
//
//   StagedFolder out(final_dir, {.force = force});   // checks the target, makes
//   PARENT/.NAME.staging-* write_everything_into(out.path()); out.commit();   // fsync every file
//   and folder, then swap into place atomically
//
// Construction is the early check (run it before any long work): it fails within the first
// second with a message naming the folder when the parent is not writable, the target is an
// existing file, or the target is a non-empty folder and `force` is off (the message names
// --force). The temporary folder is a sibling of the target so the final step is a rename on
// one filesystem.
//
// commit(): target absent -> rename(temp, target). Target present (an empty folder, or anything
// with force) -> renameat2(RENAME_EXCHANGE) swaps the two folders in one step, then the old
// folder (now under the temporary name) is removed. Two plain renames would leave a moment with
// no folder at all; the exchange never does. A crash, full disk, Ctrl-C or kill -9 at any moment
// leaves the old folder or the new one, never a mix; at worst a hidden .NAME.staging-PID-* or
// .NAME.old-PID-* sibling stays behind, and the next StagedFolder for the same target removes
// those whose process is gone.
//
// The destructor removes the temporary folder when commit() did not run (failure, exception,
// cancellation).
#include <filesystem>
#include <string>

namespace faceg2e {

struct StagedFolderOptions {
  bool force = false;                  // replace an existing non-empty target
  std::string force_flag = "--force";  // how the refusal message names the override
};

class StagedFolder {
 public:
  using Options = StagedFolderOptions;

  // Throws faceg2e::Error naming final_dir (see above). Creates missing parent folders.
  explicit StagedFolder(const std::filesystem::path& final_dir, Options options = {});
  ~StagedFolder();
  StagedFolder(const StagedFolder&) = delete;
  StagedFolder& operator=(const StagedFolder&) = delete;

  // The temporary folder to write into (exists, empty at construction).
  const std::filesystem::path& path() const { return temp_; }
  // The folder this becomes on commit().
  const std::filesystem::path& final_path() const { return final_; }
  bool committed() const { return committed_; }

  // fsyncs every file and folder under path(), swaps it into place and syncs the parent.
  // Throws faceg2e::Error on failure; the target is then unchanged. A target that became a
  // non-empty folder during the run without `force` is refused and the result is kept in path()
  // (the message says where), so no work is lost.
  void commit();

 private:
  std::filesystem::path final_, parent_, temp_;
  Options options_;
  bool committed_ = false;
  bool keep_temp_ = false;
};

// What stands in the way of writing `dir` (empty when nothing): "is a file", "is a project
// folder (holds project.json)", "is a non-empty folder". Used by StagedFolder and by checks
// that want the reason without creating anything.
std::string describe_existing_target(const std::filesystem::path& dir);

// Previews of a run that writes `out`: beside it, never inside before success. `explicit_dir`
// (a --previews flag) wins; otherwise OUT's sibling "NAME.previews". The folder is created. A
// folder that already holds files is refused unless `force`, which empties it first (the
// previews of an earlier run would otherwise mix with this run's).
std::filesystem::path prepare_previews_dir(const std::filesystem::path& out,
                                           const std::filesystem::path& explicit_dir, bool force);

// Every file and folder under `dir` and `dir` itself, fsynced. Throws faceg2e::Error.
void fsync_tree(const std::filesystem::path& dir);

}  // namespace faceg2e
