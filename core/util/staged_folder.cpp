#include "core/util/staged_folder.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <stdio.h>  // renameat2, RENAME_EXCHANGE (glibc >= 2.28, _GNU_SOURCE)
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/util/error.h"

namespace faceg2e {
namespace fs = std::filesystem;

namespace {

std::string errno_text(int e) { return std::strerror(e); }

void fsync_one(const fs::path& p, bool directory) {
  const int fd = ::open(p.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) {
    if (directory) return;  // Some filesystems refuse to open folders; the files are synced.
    throw Error("cannot open " + p.string() + " to sync: " + errno_text(errno));
  }
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  // EINVAL: the filesystem cannot sync this kind of file (special files); nothing to lose.
  if (rc != 0 && e != EINVAL)
    throw Error("cannot sync " + p.string() + ": " + errno_text(e) +
                (e == ENOSPC ? " (disk full)" : ""));
}

// Folders of this target left by a process that is gone (killed mid-run or mid-swap).
void remove_stale_siblings(const fs::path& parent, const std::string& name) {
  std::error_code ec;
  fs::directory_iterator it(parent, ec), end;
  if (ec) return;
  const std::string prefixes[] = {"." + name + ".staging-", "." + name + ".old-"};
  for (; it != end; it.increment(ec)) {
    if (ec) return;
    const std::string n = it->path().filename().string();
    for (const auto& prefix : prefixes) {
      if (n.rfind(prefix, 0) != 0) continue;
      const std::string rest = n.substr(prefix.size());
      const long pid = std::strtol(rest.c_str(), nullptr, 10);
      if (pid <= 0 || pid == ::getpid()) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // still running
      std::error_code rm;
      fs::remove_all(it->path(), rm);
      if (!rm) spdlog::info("removed {} (left by an interrupted run)", it->path().string());
    }
  }
}

bool is_empty_dir(const fs::path& dir) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  return !ec && it == fs::directory_iterator();
}

}  // namespace

std::string describe_existing_target(const fs::path& dir) {
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (ec || !fs::exists(st)) return {};
  if (fs::is_symlink(st)) return "is a symbolic link (give the folder it points to)";
  if (!fs::is_directory(st)) return "is an existing file, not a folder";
  if (is_empty_dir(dir)) return {};
  if (fs::exists(dir / "project.json", ec)) return "is an existing project (holds project.json)";
  std::size_t n = 0;
  std::string first;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (n == 0) first = it->path().filename().string();
    ++n;
  }
  return "is a folder that is not empty (" + std::to_string(n) +
         (n == 1 ? " entry: " : " entries, e.g. ") + first + ")";
}

void fsync_tree(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> dirs;
  for (fs::recursive_directory_iterator it(dir, ec), end; it != end; it.increment(ec)) {
    if (ec) break;
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    if (fs::is_regular_file(st))
      fsync_one(it->path(), false);
    else if (fs::is_directory(st))
      dirs.push_back(it->path());
  }
  if (ec) throw Error("cannot list " + dir.string() + " to sync it: " + ec.message());
  for (const auto& d : dirs) fsync_one(d, true);
  fsync_one(dir, true);
}

StagedFolder::StagedFolder(const fs::path& final_dir, Options options)
    : options_(std::move(options)) {
  if (final_dir.empty()) throw Error("no output folder given");
  std::error_code ec;
  fs::path abs = fs::absolute(final_dir, ec);
  if (ec)
    throw Error("cannot resolve the output folder " + final_dir.string() + ": " + ec.message());
  abs = abs.lexically_normal();
  if (abs.filename().empty()) abs = abs.parent_path();  // "out/" -> "out"
  if (abs == abs.root_path()) throw Error("the output folder cannot be " + abs.string());
  final_ = abs;
  parent_ = final_.parent_path();
  const std::string name = final_.filename().string();
  const std::string shown = final_dir.string();

  const std::string obstacle = describe_existing_target(final_);
  if (!obstacle.empty()) {
    const fs::file_status st = fs::symlink_status(final_, ec);
    if (!fs::is_directory(st))
      throw Error("output folder " + shown + " " + obstacle + "; choose another folder");
    if (!options_.force)
      throw Error("output folder " + shown + " " + obstacle +
                  ": refusing to overwrite it. Choose another folder, or pass " +
                  options_.force_flag +
                  " to replace it (the old folder stays until the new one is complete)");
  }

  fs::create_directories(parent_, ec);
  if (ec)
    throw Error("cannot create the folder " + parent_.string() + " for " + shown + ": " +
                ec.message());
  remove_stale_siblings(parent_, name);

  std::string templ =
      (parent_ / ("." + name + ".staging-" + std::to_string(::getpid()) + "-XXXXXX")).string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    const int e = errno;
    throw Error("cannot write the output folder " + shown + ": creating a folder in " +
                parent_.string() + " failed: " + errno_text(e) +
                (e == EROFS    ? " (the filesystem is mounted read-only)"
                 : e == ENOSPC ? " (disk full)"
                               : ""));
  }
  temp_ = fs::path(buf.data());
  // mkdtemp makes the folder private (0700); the result should have the permissions a plain
  // mkdir gives.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(temp_.c_str(), 0777 & ~mask);
}

StagedFolder::~StagedFolder() {
  if (committed_ || keep_temp_ || temp_.empty()) return;
  std::error_code ec;
  fs::remove_all(temp_, ec);
}

void StagedFolder::commit() {
  if (committed_) throw Error("output folder " + final_.string() + " was already committed");
  fsync_tree(temp_);

  std::error_code ec;
  const fs::file_status st = fs::symlink_status(final_, ec);
  if (!fs::exists(st)) {
    if (::rename(temp_.c_str(), final_.c_str()) != 0) {
      const int e = errno;
      keep_temp_ = true;
      throw Error("cannot move the finished folder " + temp_.string() + " to " + final_.string() +
                  ": " + errno_text(e) + " (the result is kept in " + temp_.string() + ")");
    }
    fsync_one(parent_, true);
    committed_ = true;
    return;
  }
  const std::string obstacle = describe_existing_target(final_);
  if (!fs::is_directory(st) || (!obstacle.empty() && !options_.force)) {
    keep_temp_ = true;
    throw Error(
        "output folder " + final_.string() + " " + obstacle +
        " (it appeared during the run): not replaced; the result is kept in " + temp_.string() +
        (fs::is_directory(st) ? "; move it, or run again with " + options_.force_flag : ""));
  }

  fs::path old;
  if (::renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, final_.c_str(), RENAME_EXCHANGE) == 0) {
    old = temp_;  // the exchange left the old folder under the temporary name
  } else if (errno == EINVAL || errno == ENOSYS) {
    // The filesystem cannot exchange (some network / FUSE filesystems): two renames, with a
    // moment where only the hidden copies exist. Both stay recoverable under their names.
    old = parent_ / ("." + final_.filename().string() + ".old-" + std::to_string(::getpid()));
    if (::rename(final_.c_str(), old.c_str()) != 0) {
      const int e = errno;
      throw Error("cannot move " + final_.string() + " aside: " + errno_text(e));
    }
    if (::rename(temp_.c_str(), final_.c_str()) != 0) {
      const int e = errno;
      ::rename(old.c_str(), final_.c_str());
      throw Error("cannot move the finished folder to " + final_.string() + ": " + errno_text(e));
    }
  } else {
    const int e = errno;
    throw Error("cannot swap the finished folder into " + final_.string() + ": " + errno_text(e));
  }
  committed_ = true;
  fsync_one(parent_, true);
  fs::remove_all(old, ec);
  if (ec)
    spdlog::warn("the replaced folder {} could not be removed: {}", old.string(), ec.message());
}

fs::path prepare_previews_dir(const fs::path& out, const fs::path& explicit_dir, bool force) {
  fs::path dir = explicit_dir;
  if (dir.empty()) {
    fs::path abs = fs::absolute(out).lexically_normal();
    if (abs.filename().empty()) abs = abs.parent_path();
    dir = abs.parent_path() / (abs.filename().string() + ".previews");
  }
  std::error_code ec;
  const fs::file_status st = fs::symlink_status(dir, ec);
  if (fs::exists(st) && !fs::is_directory(st))
    throw Error("previews folder " + dir.string() +
                " is an existing file; choose another with --previews DIR");
  if (fs::is_directory(st) && !is_empty_dir(dir)) {
    // Only earlier previews (PNG files) are removed, never anything else a user keeps there.
    std::vector<fs::path> pngs;
    std::string other;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file() && it->path().extension() == ".png")
        pngs.push_back(it->path());
      else if (other.empty())
        other = it->path().filename().string();
    }
    if (!other.empty())
      throw Error("previews folder " + dir.string() + " holds other files (e.g. " + other +
                  "); choose another with --previews DIR");
    if (!force)
      throw Error("previews folder " + dir.string() +
                  " holds the previews of an earlier run; remove them, choose "
                  "another folder with --previews DIR, or pass --force to replace them");
    for (const auto& p : pngs) fs::remove(p, ec);
  }
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create the previews folder " + dir.string() + ": " + ec.message());
  const fs::path probe = dir / ".faceg2e-write-check";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    throw Error("cannot write to the previews folder " + dir.string() + ": " + errno_text(errno));
  ::close(fd);
  fs::remove(probe, ec);
  return dir;
}

}  // namespace faceg2e
