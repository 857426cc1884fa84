#pragma once
// The project folder, format 2: one document, its whole history, saved so that a crash at any
// moment leaves either the old project or the new one.
//
//   DIR/project.json               the manifest and the ONLY commit point: format, versions,
//                                  face-model name, created/modified, the entry ids in order and
//                                  the cursor. Written atomically, last.
//   DIR/entries/<id>/              one folder per history entry, written whole (into a temporary
//                                  sibling, then renamed) before the manifest names it, and
//                                  never changed afterwards:
//       state.safetensors          F32 "identity" [K], "expression" [E], "albedo" [S,S,3]
//                                  (optional: absent = default albedo), "texture_latent" [C,H,W]
//                                  (optional)
//       weights.safetensors        F32 "weights" [H,W,1] (W, in [0,1]) and "attention" [H,W,1]
//                                  (optional); the file exists only when W does
//       thumb.png                  optional
//       entry.json                 the record: kind, text, scope, words, regions, params, seed,
//                                  model files with SHA-256, timings, final loss, created
//   DIR/writer.lock                while a writer has the project open: pid, host, time (below)
//
// A save writes the entry folders the manifest does not reference yet, commits the manifest,
// then removes entry folders the manifest no longer references (a dropped redo tail, or
// leftovers of a save that was killed). Readers take no lock: the manifest they read names only
// complete, immutable folders.
//
// Format 1 (identity.json, expression.json, albedo.png and a v1 project.json, written by
// releases before history existed) is read as a one-entry history; the next save writes format 2
// and removes the format-1 files after the commit.
#include <filesystem>
#include <memory>
#include <string>

#include "core/session/history.h"
#include "core/util/error.h"

namespace faceg2e::session {

constexpr int kProjectFormatVersion = 2;

struct Project {
  std::string face_model_name;                 // e.g. "ict_facekit_full" (file stem of the model)
  std::string created;                         // ISO 8601 UTC; filled on the first save when empty
  std::string modified;                        // as read; every save sets it
  std::string app_version;                     // of the program that saved it last (as read)
  int format_version = kProjectFormatVersion;  // as read; 1 = upgraded on the next save
  History history;
};

// Reads and validates a project (format 1 or 2) without taking the writer lock. NotFoundError
// for a missing folder/manifest/entry file, FormatError naming the file and field for anything
// corrupt: bad JSON, unknown kinds, tensors of the wrong dtype/shape, truncated tensor files,
// NaN or infinite values, a cursor out of range. Every entry is loaded and checked.
Project read_project(const std::filesystem::path& dir);

// Writes a new format-2 project into `dir` (usually absent or empty, e.g. a StagedFolder's
// temporary folder; other files in it are left alone, but a folder that already holds a
// project is refused): the first entry (`new` or `generate`) with its files, then the manifest.
// Takes no lock: nobody else can know a folder that holds no project yet.
void create_project(const std::filesystem::path& dir, const std::string& face_model_name,
                    HistoryEntry first);

// Another process (or another store in this one) has the project open for writing. The message
// names the holder's pid, host and since when, and the lock file.
class ProjectLockedError : public Error {
 public:
  using Error::Error;
};

// The writer lock of a project folder: DIR/writer.lock, created if needed, held with flock(2)
// so the kernel releases it when the holder dies in any way (kill -9 included); the file names
// the holder for the error message. A lock file left behind by a dead process is "stale": the
// next writer takes it over (the flock is free) and rewrites it. Released (file removed) by the
// destructor. Local filesystems only: flock across NFS clients depends on the server.
class ProjectLock {
 public:
  explicit ProjectLock(const std::filesystem::path& dir);  // ProjectLockedError, Error
  ~ProjectLock();
  ProjectLock(ProjectLock&& other) noexcept;
  ProjectLock& operator=(ProjectLock&&) = delete;
  ProjectLock(const ProjectLock&) = delete;
  ProjectLock& operator=(const ProjectLock&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The record a dead holder had left in the file when we took it over; empty if none.
  const std::string& recovered_from() const { return recovered_from_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::string recovered_from_;
};

// A project open for writing: holds the writer lock from open() until destruction. Change the
// history (append, undo, redo, go_to), then save() to commit.
class ProjectStore {
 public:
  // Takes the lock, then reads the project (format 1 or 2) as read_project does.
  static std::unique_ptr<ProjectStore> open(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const Project& project() const { return project_; }
  History& history() { return project_.history; }
  const History& history() const { return project_.history; }
  const ProjectLock& lock() const { return lock_; }
  // Recorded by the next save (a project regenerated with another face model).
  void set_face_model_name(std::string name) { project_.face_model_name = std::move(name); }

  // Commits the history and cursor: new entry folders, then the manifest, then removal of
  // unreferenced entry folders (and of format-1 files after an upgrade). Throws Error naming
  // the file on failure; the project on disk is then still the one before the save.
  void save();

 private:
  ProjectStore(std::filesystem::path dir, ProjectLock lock, Project project);
  std::filesystem::path dir_;
  ProjectLock lock_;
  Project project_;
};

}  // namespace faceg2e::session
