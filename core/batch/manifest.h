#pragma once
// DIR/batch.json: what a batch runs, written once by `batch plan`:
//   {"format": "faceg2e-batch", "version": 1, "created", "app_version",
//    "jobs_file", "defaults_file", "threads",
//    "models": {"face_model": "/abs/file", "sd21": "/abs/dir", ...}   (plan's model flags)
//    "model_files": [{"path", "size", "sha256"}, ...]   every file under those paths
//    "jobs": [job_to_json(...), ...]}                     numbered from 0
// Every machine that runs a job first checks model_files, so a batch runs with the models it
// was planned with or not at all.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/batch/job_list.h"

namespace faceg2e::batch {

constexpr int kManifestVersion = 1;

struct ModelFile {
  std::filesystem::path path;
  std::uint64_t size = 0;
  std::string sha256;
};

struct Manifest {
  std::string created, app_version;
  std::filesystem::path jobs_file, defaults_file;
  int threads = 1;  // torch threads of every job: the same count reduces in the same order
  std::vector<std::pair<std::string, std::filesystem::path>> models;  // field -> absolute path
  std::vector<ModelFile> model_files;
  std::vector<Job> jobs;
};

// Every regular file under each model path (a file is itself; a folder is walked, sorted by
// path), hashed. `progress` is told each file before it is read (large checkpoints take a
// while). Throws NotFoundError naming a path that does not exist.
std::vector<ModelFile> hash_model_files(
    const std::vector<std::pair<std::string, std::filesystem::path>>& models,
    const std::function<void(const std::filesystem::path&)>& progress = {});

// Re-hashes the recorded files. Throws Error naming the first file that is missing or whose
// size or SHA-256 differs, and saying that the batch was planned with other models.
void verify_model_files(const std::vector<ModelFile>& files,
                        const std::function<void(const std::filesystem::path&)>& progress = {});

std::string manifest_path_string(const std::filesystem::path& batch_dir);  // DIR/batch.json
void save_manifest(const std::filesystem::path& batch_dir, const Manifest& m);
// Throws NotFoundError when DIR/batch.json is missing, FormatError naming it and the field.
Manifest load_manifest(const std::filesystem::path& batch_dir);

}  // namespace faceg2e::batch
