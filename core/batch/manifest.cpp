#include "core/batch/manifest.h"

#include <algorithm>

#include "core/util/sha256.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e::batch {
namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

std::vector<ModelFile> hash_model_files(const std::vector<std::pair<std::string, fs::path>>& models,
                                        const std::function<void(const fs::path&)>& progress) {
  std::vector<fs::path> files;
  for (const auto& [field, path] : models) {
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      files.push_back(path);
    } else if (fs::is_directory(path, ec)) {
      std::vector<fs::path> inside;
      for (auto it = fs::recursive_directory_iterator(
               path, fs::directory_options::follow_directory_symlink);
           it != fs::recursive_directory_iterator(); ++it)
        if (it->is_regular_file()) inside.push_back(it->path());
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else {
      throw NotFoundError(field + ": no such file or folder: " + path.string());
    }
  }
  std::vector<ModelFile> out;
  for (const auto& f : files) {
    if (std::any_of(out.begin(), out.end(), [&](const ModelFile& m) { return m.path == f; }))
      continue;  // a file named twice (e.g. --models DIR and --sd21 DIR/x) is hashed once
    if (progress) progress(f);
    out.push_back({f, fs::file_size(f), sha256_file_hex(f)});
  }
  return out;
}

void verify_model_files(const std::vector<ModelFile>& files,
                        const std::function<void(const fs::path&)>& progress) {
  const std::string planned =
      " (the batch was planned with other model files; plan it again "
      "or restore the files)";
  for (const auto& m : files) {
    std::error_code ec;
    if (!fs::is_regular_file(m.path, ec))
      throw Error("model file " + m.path.string() + " is missing" + planned);
    const auto size = fs::file_size(m.path, ec);
    if (ec || size != m.size)
      throw Error("model file " + m.path.string() + " has " + std::to_string(size) +
                  " bytes, the manifest says " + std::to_string(m.size) + planned);
    if (progress) progress(m.path);
    const std::string h = sha256_file_hex(m.path);
    if (h != m.sha256)
      throw Error("model file " + m.path.string() + " has SHA-256 " + h + ", the manifest says " +
                  m.sha256 + planned);
  }
}

std::string manifest_path_string(const fs::path& batch_dir) {
  return (batch_dir / "batch.json").string();
}

void save_manifest(const fs::path& batch_dir, const Manifest& m) {
  ordered_json j;
  j["format"] = "faceg2e-batch";
  j["version"] = kManifestVersion;
  j["created"] = m.created;
  j["app_version"] = m.app_version;
  j["jobs_file"] = m.jobs_file.string();
  j["defaults_file"] = m.defaults_file.string();
  j["threads"] = m.threads;
  ordered_json models = ordered_json::object();
  for (const auto& [k, p] : m.models) models[k] = p.string();
  j["models"] = models;
  ordered_json files = ordered_json::array();
  for (const auto& f : m.model_files)
    files.push_back(
        ordered_json{{"path", f.path.string()}, {"size", f.size}, {"sha256", f.sha256}});
  j["model_files"] = files;
  ordered_json jobs = ordered_json::array();
  for (const auto& job : m.jobs) jobs.push_back(job_to_json(job));
  j["jobs"] = jobs;
  write_file_atomic(batch_dir / "batch.json", j.dump(2) + "\n");
}

Manifest load_manifest(const fs::path& batch_dir) {
  const std::string file = manifest_path_string(batch_dir);
  std::error_code ec;
  if (!fs::exists(file, ec))
    throw NotFoundError(file + " not found (is " + batch_dir.string() +
                        " a folder made by `faceg2e-cli batch plan`?)");
  // Ordered: a job's options keep the order of the list, and so do its command lines.
  ordered_json j;
  try {
    j = ordered_json::parse(read_file(file));
  } catch (const ordered_json::exception& e) {
    throw FormatError(file, std::string("invalid JSON: ") + e.what());
  }
  auto bad = [&](const std::string& field, const std::string& what) {
    return FormatError(file, "field '" + field + "': " + what);
  };
  if (!j.is_object() || j.value("format", "") != "faceg2e-batch")
    throw bad("format", "not a FaceG2E batch manifest");
  if (j.value("version", 0) != kManifestVersion)
    throw bad("version", "unsupported version " +
                             (j.contains("version") ? j["version"].dump() : "?") +
                             " (this build reads " + std::to_string(kManifestVersion) + ")");
  Manifest m;
  try {
    m.created = j.value("created", "");
    m.app_version = j.value("app_version", "");
    m.jobs_file = j.value("jobs_file", "");
    m.defaults_file = j.value("defaults_file", "");
    m.threads = j.at("threads").get<int>();
    for (const auto& [k, v] : j.at("models").items())
      m.models.emplace_back(k, v.get<std::string>());
    for (const auto& f : j.at("model_files")) {
      ModelFile mf{f.at("path").get<std::string>(), f.at("size").get<std::uint64_t>(),
                   f.at("sha256").get<std::string>()};
      if (mf.sha256.size() != 64) throw bad("model_files[].sha256", "not a SHA-256 hex digest");
      m.model_files.push_back(mf);
    }
  } catch (const json::exception& e) {
    throw bad("models/model_files/threads", e.what());
  }
  if (m.threads < 1) throw bad("threads", "must be at least 1");
  if (!j.contains("jobs") || !j["jobs"].is_array()) throw bad("jobs", "expected a list");
  for (const auto& jj : j["jobs"]) {
    Job job = job_from_json(jj, file);
    if (job.index != static_cast<int>(m.jobs.size()))
      throw bad("jobs[" + std::to_string(m.jobs.size()) + "].index",
                "jobs must be numbered 0, 1, ... in order");
    m.jobs.push_back(std::move(job));
  }
  return m;
}

}  // namespace faceg2e::batch
