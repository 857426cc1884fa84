#include "core/batch/job_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e::batch {
namespace fs = std::filesystem;
using json = nlohmann::json;

const char* state_name(JobState s) {
  switch (s) {
    case JobState::kPending:
      return "pending";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
  }
  return "?";
}

JobPaths job_paths(const fs::path& batch_dir, const std::string& name) {
  const fs::path jobs = batch_dir / "jobs";
  return {jobs / name, jobs / (name + ".failed.json"), jobs / (name + ".running.json"),
          jobs / ".staging" / name};
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  std::string h = buf;
  return h.substr(0, h.find('.'));
}

bool marker_held(const fs::path& marker) {
  const int fd = ::open(marker.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops our shared lock, if we got it
  return held;
}

namespace {

json read_json_or_null(const fs::path& p) {
  try {
    return json::parse(read_file(p));
  } catch (const std::exception&) {
    return nullptr;
  }
}

}  // namespace

std::vector<JobStatus> read_statuses(const fs::path& batch_dir, const Manifest& m) {
  std::vector<JobStatus> out;
  for (const auto& job : m.jobs) {
    JobStatus s;
    s.index = job.index;
    s.name = job.name;
    const JobPaths p = job_paths(batch_dir, job.name);
    std::error_code ec;
    if (fs::is_directory(p.done_dir, ec)) {
      s.state = JobState::kDone;
      const json j = read_json_or_null(p.done_dir / "job.json");
      if (j.is_object()) {
        s.detail = j;
        if (j.contains("seconds") && j["seconds"].is_number()) {
          char buf[64];
          std::snprintf(buf, sizeof buf, "%.1f s on %s", j["seconds"].get<double>(),
                        j.value("host", std::string("?")).c_str());
          s.message = buf;
        }
      }
    } else if (fs::exists(p.running_file, ec) && marker_held(p.running_file)) {
      s.state = JobState::kRunning;
      const json j = read_json_or_null(p.running_file);
      if (j.is_object()) {
        s.detail = j;
        s.message = "host " + j.value("host", std::string("?")) + ", pid " +
                    std::to_string(j.value("pid", 0)) + ", since " +
                    j.value("started", std::string("?"));
        if (j.contains("slurm_job")) s.message += ", Slurm " + j["slurm_job"].get<std::string>();
      }
    } else if (fs::exists(p.failed_file, ec)) {
      s.state = JobState::kFailed;
      const json j = read_json_or_null(p.failed_file);
      if (j.is_object()) {
        s.detail = j;
        s.message = j.value("step", std::string("?")) + ": " + j.value("message", std::string("?"));
      } else {
        s.message = "the failure record " + p.failed_file.string() + " is unreadable";
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

JobClaim::JobClaim(JobClaim&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
JobClaim& JobClaim::operator=(JobClaim&& o) noexcept {
  if (this != &o) {
    release();
    fd_ = o.fd_;
    path_ = std::move(o.path_);
    o.fd_ = -1;
  }
  return *this;
}
JobClaim::~JobClaim() { release(); }

void JobClaim::release() {
  if (fd_ < 0) return;
  // Unlink while still holding the lock: a runner that opened the old file re-checks the
  // path's inode after locking and starts over (see try_claim).
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

std::optional<JobClaim> JobClaim::try_claim(const fs::path& marker, const json& details,
                                            json* holder) {
  fs::create_directories(marker.parent_path());
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int fd = ::open(marker.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot open " + marker.string() + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err != EWOULDBLOCK)
        throw Error("cannot lock " + marker.string() + ": " + std::strerror(err));
      // `batch status` takes the lock shared for an instant; only a lock that stays is a runner.
      if (attempt < 5) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      if (holder) *holder = read_json_or_null(marker);
      return std::nullopt;
    }
    struct stat by_fd {
    }, by_path{};
    if (::fstat(fd, &by_fd) != 0 || ::stat(marker.c_str(), &by_path) != 0 ||
        by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev) {
      ::close(fd);  // the file we locked was unlinked by its previous holder; start over
      continue;
    }
    const std::string text = details.dump(2) + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      throw Error("cannot write " + marker.string() + ": " + why);
    }
    JobClaim c;
    c.fd_ = fd;
    c.path_ = marker;
    return c;
  }
  throw Error("cannot claim " + marker.string() + ": it keeps being replaced");
}

}  // namespace faceg2e::batch
