#pragma once
// Where a batch keeps each job's state, and how a runner claims a job.
//
//   DIR/jobs/<name>/               done: project/, export/, job.json, log.txt (appears whole)
//   DIR/jobs/<name>.failed.json    the last run failed: step, exit code, message, log tail
//   DIR/jobs/<name>.running.json   a runner's marker: host, pid, start; it holds an flock on it
//   DIR/jobs/.staging/<name>/      the running job's output before it moves into place
//
// "Running" means the marker's lock is held. The kernel (or the NFS server, for a node that
// died) drops the lock with the process, so a killed runner never leaves a job stuck.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/batch/manifest.h"

namespace faceg2e::batch {

enum class JobState { kPending, kRunning, kDone, kFailed };
const char* state_name(JobState s);  // "pending", "running", "done", "failed"

struct JobPaths {
  std::filesystem::path done_dir, failed_file, running_file, staging_dir;
};
JobPaths job_paths(const std::filesystem::path& batch_dir, const std::string& name);

struct JobStatus {
  int index = 0;
  std::string name;
  JobState state = JobState::kPending;
  nlohmann::json detail = nlohmann::json::object();  // failed.json / marker / job.json summary
  std::string message;                               // one line for the table
};

// The state of every job. Reads only; a malformed failed.json is still "failed", with a
// message saying its record is unreadable.
std::vector<JobStatus> read_statuses(const std::filesystem::path& batch_dir, const Manifest& m);

// True when someone holds the lock on `marker` (a runner is alive).
bool marker_held(const std::filesystem::path& marker);

// A claimed job: the marker exists with our details and we hold its lock until release() or
// destruction (which also removes the marker file).
class JobClaim {
 public:
  JobClaim() = default;
  JobClaim(JobClaim&& o) noexcept;
  JobClaim& operator=(JobClaim&& o) noexcept;
  JobClaim(const JobClaim&) = delete;
  JobClaim& operator=(const JobClaim&) = delete;
  ~JobClaim();

  // Claims the job, or returns nullopt with `holder` filled with the marker's content when a
  // live runner holds it. Throws Error naming the file on I/O errors.
  static std::optional<JobClaim> try_claim(const std::filesystem::path& marker,
                                           const nlohmann::json& details, nlohmann::json* holder);
  void release();

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// This machine's short host name.
std::string host_name();

}  // namespace faceg2e::batch
