#include "core/batch/slurm_script.h"

#include <algorithm>

#include "core/util/error.h"

namespace faceg2e::batch {

std::string array_spec(std::vector<int> indices, int max_parallel) {
  if (indices.empty()) throw Error("array_spec: no jobs");
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  std::string out;
  for (std::size_t i = 0; i < indices.size();) {
    std::size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    if (!out.empty()) out += ',';
    if (j - i >= 2) {
      out += std::to_string(indices[i]) + "-" + std::to_string(indices[j]);
    } else {
      for (std::size_t k = i; k <= j; ++k) out += (k > i ? "," : "") + std::to_string(indices[k]);
    }
    i = j + 1;
  }
  if (max_parallel > 0) out += "%" + std::to_string(max_parallel);
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

void check_sbatch_value(const std::string& what, const std::string& v) {
  if (v.find_first_of(" \t\r\n'\"\\") != std::string::npos)
    throw Error(what + " '" + v +
                "' holds white space, a quote or a backslash, which #SBATCH lines cannot carry");
}

}  // namespace

std::string sbatch_script(const SbatchParams& p) {
  const std::string dir = p.batch_dir.string();
  check_sbatch_value("the batch folder", dir);
  check_sbatch_value("--partition", p.partition);
  check_sbatch_value("--time", p.time);
  std::string s = "#!/bin/bash\n";
  for (const auto& c : p.comments) s += "# " + c + "\n";
  s += "#SBATCH --job-name=" + p.job_name + "\n";
  s += "#SBATCH --array=" + array_spec(p.indices, p.max_parallel) + "\n";
  s += "#SBATCH --output=" + dir + "/slurm/logs/%A_%a.out\n";
  s += "#SBATCH --ntasks=1\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(std::max(1, p.cpus_per_task)) + "\n";
  if (!p.partition.empty()) s += "#SBATCH --partition=" + p.partition + "\n";
  if (p.gpus_per_task > 0) s += "#SBATCH --gpus-per-task=" + std::to_string(p.gpus_per_task) + "\n";
  if (!p.time.empty()) s += "#SBATCH --time=" + p.time + "\n";
  for (const auto& e : p.extra) {
    if (e.find('\n') != std::string::npos) throw Error("an #SBATCH option holds a line break");
    s += "#SBATCH " + e + "\n";
  }
  s += "\n";
  // exec: the scheduler's signals (scancel, time limit) reach batch run itself, which stops
  // its step and removes the job's staging folder.
  s += "exec " + shell_quote(p.executable.string()) + " batch run --batch " + shell_quote(dir) +
       " --index \"${SLURM_ARRAY_TASK_ID}\" --device " + shell_quote(p.device) + "\n";
  return s;
}

}  // namespace faceg2e::batch
