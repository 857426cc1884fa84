#include "core/batch/job_commands.h"

#include <algorithm>
#include <cstdio>

namespace faceg2e::batch {
namespace {

void add_models(std::vector<std::string>& a, const Manifest& m, const FlagSet& accepted) {
  for (const auto& [field, path] : m.models) {
    const std::string flag = field_flag(field);
    if (accepted.count(flag)) {
      a.push_back(flag);
      a.push_back(path.string());
    }
  }
}

void add_options(std::vector<std::string>& a, const nlohmann::ordered_json& options) {
  for (const auto& [field, v] : options.items()) {
    if (v.is_boolean()) {
      if (v.get<bool>()) a.push_back(field_flag(field));  // a flag; false = not given
      continue;
    }
    a.push_back(field_flag(field));
    a.push_back(value_word(v));
  }
}

}  // namespace

std::string field_flag(const std::string& field) {
  std::string f = "--" + field;
  std::replace(f.begin(), f.end(), '_', '-');
  return f;
}

std::string value_word(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v.get<double>());
    return buf;
  }
  return v.dump();
}

std::vector<std::string> generate_command(const Job& job, const Manifest& m,
                                          const JobCommandContext& c) {
  std::vector<std::string> a = {"generate", "--out", c.project.string(), "--seed",
                                std::to_string(job.seed)};
  if (!job.prompt.empty()) {
    a.push_back("--prompt");
    a.push_back(job.prompt);
  }
  if (c.generate_flags.count("--device")) {
    a.push_back("--device");
    a.push_back(c.device);
  }
  add_options(a, job.generate);
  add_models(a, m, c.generate_flags);
  return a;
}

std::vector<std::string> edit_command(const Job& job, std::size_t edit_index, const Manifest& m,
                                      const JobCommandContext& c) {
  const EditSpec& e = job.edits.at(edit_index);
  std::vector<std::string> a = {"edit", "--project", c.project.string(), "--instruction",
                                e.instruction};
  if (!e.scope.empty()) {
    a.push_back("--scope");
    a.push_back(e.scope);
  }
  for (const auto& w : e.words) {
    a.push_back("--word");
    a.push_back(w);
  }
  if (!e.regions.empty()) {
    std::string r;
    for (const auto& x : e.regions) r += (r.empty() ? "" : ",") + x;
    a.push_back("--regions");
    a.push_back(r);
  }
  if (e.steps) {
    a.push_back("--steps");
    a.push_back(std::to_string(*e.steps));
  }
  // The job's guidance carries over: an analytic-target job edits towards its target too.
  for (const char* field : {"guidance", "target"}) {
    if (job.generate.contains(field) && c.edit_flags.count(field_flag(field))) {
      a.push_back(field_flag(field));
      a.push_back(value_word(job.generate[field]));
    }
  }
  if (c.edit_flags.count("--seed")) {
    a.push_back("--seed");
    a.push_back(std::to_string(job.seed));
  }
  if (c.edit_flags.count("--device")) {
    a.push_back("--device");
    a.push_back(c.device);
  }
  add_models(a, m, c.edit_flags);
  return a;
}

std::vector<std::string> export_command(const Job& job, const Manifest& m,
                                        const JobCommandContext& c) {
  std::vector<std::string> a = {"export", "--project", c.project.string(), "--out",
                                c.export_dir.string()};
  add_options(a, job.export_options);
  add_models(a, m, c.export_flags);
  return a;
}

}  // namespace faceg2e::batch
