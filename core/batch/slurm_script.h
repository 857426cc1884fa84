#pragma once
// The Slurm job array for a batch's pending jobs: DIR/slurm/array.sbatch.
#include <filesystem>
#include <string>
#include <vector>

namespace faceg2e::batch {

// Slurm's --array value: ascending indices, runs of three or more as ranges ("0-2,5,7"),
// "%K" appended when max_parallel > 0. Throws Error for an empty list.
std::string array_spec(std::vector<int> indices, int max_parallel);

struct SbatchParams {
  std::filesystem::path batch_dir;   // absolute
  std::filesystem::path executable;  // absolute path of faceg2e-cli on the nodes
  std::string job_name = "faceg2e-batch";
  std::vector<int> indices;  // pending jobs
  int max_parallel = 0;      // 0: no limit
  std::string partition;     // empty: the cluster's default
  int gpus_per_task = 0;
  int cpus_per_task = 1;              // = the manifest's thread count
  std::string time;                   // empty: the partition's default
  std::string device = "cpu";         // batch run --device
  std::vector<std::string> extra;     // more "#SBATCH" options, verbatim ("--account=x")
  std::vector<std::string> comments;  // lines for the header comment
};

// The script's text. Throws Error when a path or value holds characters that #SBATCH lines
// cannot carry (white space, quotes, newlines).
std::string sbatch_script(const SbatchParams& p);

// Single-quoted for bash.
std::string shell_quote(const std::string& s);

}  // namespace faceg2e::batch
