#pragma once
// A batch's job list: one job per CSV row or JSON line. A job has a name, a prompt and a seed,
// options of `generate` (field = the long flag with dashes turned into underscores), a list of
// edits and options of `export`. The fields a job may give come from the commands themselves
// (FieldSpec, built by the CLI from its option tables), so a new generate flag is a new field
// without touching this file.
#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace faceg2e::batch {

enum class FieldKind { kText, kPath, kInt, kUInt, kFloat, kFlag };
enum class FieldTarget { kGenerate, kExport };

struct FieldSpec {
  std::string name;  // job field: "steps_geometry"
  std::string flag;  // command flag: "--steps-geometry"
  FieldKind kind = FieldKind::kText;
  FieldTarget target = FieldTarget::kGenerate;
};

struct EditSpec {
  std::string instruction;
  std::string scope;                 // empty: the edit command's default
  std::vector<std::string> words;    // --word W, repeated
  std::vector<std::string> regions;  // --regions a,b
  std::optional<int> steps;          // --steps N
};

struct Job {
  int index = 0;
  std::string name;
  std::string prompt;
  std::uint64_t seed = 0;
  nlohmann::ordered_json generate = nlohmann::ordered_json::object();  // field -> typed value
  std::vector<EditSpec> edits;
  nlohmann::ordered_json export_options = nlohmann::ordered_json::object();
  int line = 0;  // where the job came from (0: not from a file)
};

struct JobListSpec {
  std::vector<FieldSpec> fields;
  // Names that are batch-wide (model paths): a job that gives one gets an error saying so.
  std::vector<std::string> batch_wide;
};

// Reads FILE (CSV with a header row, or JSON Lines: by extension .csv / .jsonl / .ndjson, else
// by the first character) and applies `defaults` (a JSON object with the same fields; relative
// paths in it are resolved against `defaults_file`'s folder) to fields a job does not give.
// Relative paths in the list resolve against the list's folder. Throws FormatError naming the
// file, the line and the field for anything malformed, and for duplicate or unsafe names.
std::vector<Job> parse_job_list(const std::filesystem::path& file, const JobListSpec& spec,
                                const std::filesystem::path& defaults_file = {});

// A job name is used as a folder name: letters, digits, '.', '_', '-'; not starting with '.',
// at most 100 characters. Returns the reason when it is not usable, empty when it is.
std::string name_problem(const std::string& name);

nlohmann::ordered_json job_to_json(const Job& job);
// Reads back what job_to_json wrote; throws FormatError naming `file` and the field.
Job job_from_json(const nlohmann::ordered_json& j, const std::string& file);

}  // namespace faceg2e::batch
