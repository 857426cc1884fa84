#include "core/batch/job_list.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

#include "core/batch/csv.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace faceg2e::batch {
namespace fs = std::filesystem;
using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

namespace {

// Where a value came from, for the messages: "jobs.csv: line 4, field 'seed': ...".
struct Source {
  std::string file;
  int line = 0;  // 0: the defaults file (no line)
  fs::path base_dir;

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    std::string where = line > 0 ? "line " + std::to_string(line) + ", " : "";
    throw FormatError(file, where + "field '" + field + "': " + what);
  }
  [[noreturn]] void fail_line(const std::string& what) const {
    throw FormatError(file, (line > 0 ? "line " + std::to_string(line) + ": " : "") + what);
  }
};

// A job as given by one line or the defaults file: only the fields it names.
struct PartialJob {
  std::optional<std::string> name, prompt;
  std::optional<std::uint64_t> seed;
  ordered_json generate = ordered_json::object();
  std::optional<std::vector<EditSpec>> edits;
  ordered_json export_options = ordered_json::object();
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string describe(const json& v) {
  std::string d = v.dump();
  if (d.size() > 40) d = d.substr(0, 37) + "...";
  return d;
}

std::uint64_t parse_uint64_text(const std::string& t, const Source& src, const std::string& field) {
  const std::string s = trim(t);
  if (s.empty() || s[0] == '-' || s[0] == '+')
    src.fail(field, "expected a non-negative integer, got '" + t + "'");
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno == ERANGE || end != s.c_str() + s.size() ||
      s.find_first_not_of("0123456789") != std::string::npos)
    src.fail(field, "expected a non-negative integer, got '" + t + "'");
  return v;
}

std::int64_t parse_int64_text(const std::string& t, const Source& src, const std::string& field) {
  const std::string s = trim(t);
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (s.empty() || errno == ERANGE || end != s.c_str() + s.size() ||
      s.find_first_not_of("+-0123456789") != std::string::npos)
    src.fail(field, "expected an integer, got '" + t + "'");
  return v;
}

double parse_double_text(const std::string& t, const Source& src, const std::string& field) {
  const std::string s = trim(t);
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || errno == ERANGE || end != s.c_str() + s.size() || !std::isfinite(v))
    src.fail(field, "expected a number, got '" + t + "'");
  return v;
}

std::uint64_t json_uint64(const json& v, const Source& src, const std::string& field) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0) return v.get<std::uint64_t>();
  src.fail(field, "expected a non-negative integer, got " + describe(v));
}

// A typed value for `spec` from a CSV cell (text) or a JSON value.
ordered_json convert(const FieldSpec& spec, const json& v, bool from_text, const Source& src) {
  const std::string& f = spec.name;
  const std::string text = from_text ? v.get<std::string>() : std::string();
  switch (spec.kind) {
    case FieldKind::kText:
      if (!from_text && !v.is_string()) src.fail(f, "expected a string, got " + describe(v));
      return from_text ? trim(text) : v.get<std::string>();
    case FieldKind::kPath: {
      if (!from_text && !v.is_string()) src.fail(f, "expected a path (string), got " + describe(v));
      const std::string s = from_text ? trim(text) : v.get<std::string>();
      if (s.empty()) src.fail(f, "empty path");
      fs::path p(s);
      if (p.is_relative()) p = src.base_dir / p;
      return p.lexically_normal().string();
    }
    case FieldKind::kInt:
      if (from_text) return parse_int64_text(text, src, f);
      if (!v.is_number_integer()) src.fail(f, "expected an integer, got " + describe(v));
      return v.get<std::int64_t>();
    case FieldKind::kUInt:
      if (from_text) return parse_uint64_text(text, src, f);
      return json_uint64(v, src, f);
    case FieldKind::kFloat:
      if (from_text) return parse_double_text(text, src, f);
      if (!v.is_number()) src.fail(f, "expected a number, got " + describe(v));
      return v.get<double>();
    case FieldKind::kFlag:
      if (from_text) {
        std::string s = trim(text);
        std::transform(s.begin(), s.end(), s.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        if (s == "1" || s == "true" || s == "yes") return true;
        if (s == "0" || s == "false" || s == "no") return false;
        src.fail(f, "expected true or false, got '" + text + "'");
      }
      if (v.is_boolean()) return v.get<bool>();
      if (v.is_number_integer() && (v.get<std::int64_t>() == 0 || v.get<std::int64_t>() == 1))
        return v.get<std::int64_t>() == 1;
      src.fail(f, "expected true or false, got " + describe(v));
  }
  src.fail(f, "unsupported field kind");
}

std::vector<std::string> string_list(const json& v, bool split_commas, const Source& src,
                                     const std::string& field) {
  std::vector<std::string> out;
  if (v.is_string()) {
    if (!split_commas) return {v.get<std::string>()};
    std::stringstream ss(v.get<std::string>());
    for (std::string s; std::getline(ss, s, ',');) {
      s = trim(s);
      if (!s.empty()) out.push_back(s);
    }
    return out;
  }
  if (!v.is_array()) src.fail(field, "expected a list of strings, got " + describe(v));
  for (const auto& e : v) {
    if (!e.is_string() || e.get<std::string>().empty())
      src.fail(field, "expected a list of non-empty strings, got " + describe(v));
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::vector<EditSpec> parse_edits(const json& v, const Source& src) {
  if (!v.is_array()) src.fail("edits", "expected a list of edit objects, got " + describe(v));
  std::vector<EditSpec> edits;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    const std::string at = "edits[" + std::to_string(i) + "]";
    if (!e.is_object()) src.fail(at, "expected an object, got " + describe(e));
    EditSpec edit;
    for (const auto& [k, val] : e.items()) {
      const std::string f = at + "." + k;
      if (k == "instruction") {
        if (!val.is_string()) src.fail(f, "expected a string, got " + describe(val));
        edit.instruction = val.get<std::string>();
      } else if (k == "scope") {
        if (!val.is_string()) src.fail(f, "expected a string, got " + describe(val));
        edit.scope = val.get<std::string>();
      } else if (k == "words") {
        edit.words = string_list(val, false, src, f);
      } else if (k == "regions") {
        edit.regions = string_list(val, true, src, f);
      } else if (k == "steps") {
        if (!val.is_number_integer() || val.get<std::int64_t>() <= 0)
          src.fail(f, "expected a positive integer, got " + describe(val));
        edit.steps = static_cast<int>(std::min<std::int64_t>(val.get<std::int64_t>(), 1 << 30));
      } else {
        src.fail(f, "unknown edit field (expected instruction, scope, words, regions, steps)");
      }
    }
    if (trim(edit.instruction).empty()) src.fail(at + ".instruction", "missing or empty");
    edits.push_back(std::move(edit));
  }
  return edits;
}

const FieldSpec* find_spec(const JobListSpec& spec, const std::string& name, FieldTarget target) {
  for (const auto& f : spec.fields)
    if (f.name == name && f.target == target) return &f;
  return nullptr;
}

// Fails, naming the field, when `key` is no field a job may give.
void check_key(const std::string& key, const JobListSpec& spec, const Source& src) {
  if (key == "name" || key == "prompt" || key == "seed" || key == "edits" || key == "export" ||
      find_spec(spec, key, FieldTarget::kGenerate) || find_spec(spec, key, FieldTarget::kExport) ||
      (key.rfind("export_", 0) == 0 && find_spec(spec, key.substr(7), FieldTarget::kExport)))
    return;
  if (std::find(spec.batch_wide.begin(), spec.batch_wide.end(), key) != spec.batch_wide.end()) {
    std::string flag = key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    src.fail(key, "is set for the whole batch: give --" + flag + " to batch plan");
  }
  src.fail(key,
           "unknown field (expected name, prompt, seed, edits, a generate option such as "
           "steps_geometry, or an export option)");
}

void set_field(PartialJob& job, const std::string& key, const json& v, bool from_text,
               const JobListSpec& spec, const Source& src) {
  check_key(key, spec, src);
  if (from_text && key != "prompt" && trim(v.get<std::string>()).empty()) return;  // not given
  if (key == "name") {
    if (!from_text && !v.is_string()) src.fail(key, "expected a string, got " + describe(v));
    job.name = trim(v.get<std::string>());
  } else if (key == "prompt") {
    if (!from_text && !v.is_string()) src.fail(key, "expected a string, got " + describe(v));
    if (from_text && v.get<std::string>().empty()) return;
    job.prompt = v.get<std::string>();
  } else if (key == "seed") {
    job.seed =
        from_text ? parse_uint64_text(v.get<std::string>(), src, key) : json_uint64(v, src, key);
  } else if (key == "edits") {
    if (from_text) {
      json parsed;
      try {
        parsed = json::parse(v.get<std::string>());
      } catch (const json::exception& e) {
        src.fail(key, std::string("expected a JSON list of edits: ") + e.what());
      }
      job.edits = parse_edits(parsed, src);
    } else {
      job.edits = parse_edits(v, src);
    }
  } else if (key == "export" && !from_text) {
    if (!v.is_object()) src.fail(key, "expected an object of export options, got " + describe(v));
    for (const auto& [k, val] : v.items()) {
      const FieldSpec* f = find_spec(spec, k, FieldTarget::kExport);
      if (!f) src.fail("export." + k, "unknown export option");
      job.export_options[k] = convert(*f, val, false, src);
    }
  } else if (const FieldSpec* g = find_spec(spec, key, FieldTarget::kGenerate)) {
    job.generate[key] = convert(*g, v, from_text, src);
  } else if (const FieldSpec* e = find_spec(spec, key, FieldTarget::kExport)) {
    job.export_options[key] = convert(*e, v, from_text, src);
  } else if (key.rfind("export_", 0) == 0 && find_spec(spec, key.substr(7), FieldTarget::kExport)) {
    const FieldSpec* x = find_spec(spec, key.substr(7), FieldTarget::kExport);
    job.export_options[x->name] = convert(*x, v, from_text, src);
  } else {
    src.fail(key, "a JSON object is only accepted in JSON Lines");  // "export" in a CSV header
  }
}

PartialJob parse_object(const json& obj, const JobListSpec& spec, const Source& src) {
  PartialJob job;
  for (const auto& [k, v] : obj.items()) {
    if (v.is_null()) continue;  // null = not given
    set_field(job, k, v, false, spec, src);
  }
  return job;
}

std::vector<std::pair<PartialJob, Source>> read_csv_jobs(const std::string& text,
                                                         const JobListSpec& spec,
                                                         const Source& file_src) {
  const auto rows = parse_csv(text, file_src.file);
  std::vector<std::pair<PartialJob, Source>> jobs;
  if (rows.empty()) return jobs;
  std::vector<std::string> header;
  Source hsrc = file_src;
  hsrc.line = rows[0].line;
  std::set<std::string> seen;
  for (const auto& cell : rows[0].cells) {
    const std::string h = trim(cell);
    if (h.empty()) hsrc.fail_line("an empty column name in the header");
    if (!seen.insert(h).second) hsrc.fail(h, "named twice in the header");
    if (h == "export") hsrc.fail(h, "in CSV, give export options as export_<option> columns");
    check_key(h, spec, hsrc);
    header.push_back(h);
  }
  for (std::size_t r = 1; r < rows.size(); ++r) {
    Source src = file_src;
    src.line = rows[r].line;
    if (rows[r].cells.size() != header.size())
      src.fail_line(std::to_string(rows[r].cells.size()) + " cells, but the header has " +
                    std::to_string(header.size()) + " columns");
    PartialJob job;
    for (std::size_t c = 0; c < header.size(); ++c)
      set_field(job, header[c], json(rows[r].cells[c]), true, spec, src);
    jobs.emplace_back(std::move(job), src);
  }
  return jobs;
}

std::vector<std::pair<PartialJob, Source>> read_jsonl_jobs(const std::string& text,
                                                           const JobListSpec& spec,
                                                           const Source& file_src) {
  std::vector<std::pair<PartialJob, Source>> jobs;
  std::stringstream ss(text);
  int line = 0;
  for (std::string l; std::getline(ss, l);) {
    ++line;
    if (trim(l).empty()) continue;
    Source src = file_src;
    src.line = line;
    json obj;
    try {
      obj = json::parse(l);
    } catch (const json::exception& e) {
      src.fail_line(std::string("invalid JSON: ") + e.what());
    }
    if (!obj.is_object()) src.fail_line("expected a JSON object, got " + describe(obj));
    jobs.emplace_back(parse_object(obj, spec, src), src);
  }
  return jobs;
}

bool is_csv(const fs::path& file, const std::string& text) {
  const std::string ext = file.extension().string();
  if (ext == ".csv") return true;
  if (ext == ".jsonl" || ext == ".ndjson" || ext == ".json") return false;
  const auto first = text.find_first_not_of(" \t\r\n");
  return first == std::string::npos || text[first] != '{';
}

}  // namespace

std::string name_problem(const std::string& name) {
  if (name.empty()) return "empty";
  if (name.size() > 100) return "longer than 100 characters";
  if (name[0] == '.') return "starts with '.'";
  for (unsigned char c : name)
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-')
      return "may only hold letters, digits, '.', '_' and '-' (it names a folder)";
  if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".json") == 0)
    return "ends in .json (reserved for the batch's status files)";
  return {};
}

std::vector<Job> parse_job_list(const fs::path& file, const JobListSpec& spec,
                                const fs::path& defaults_file) {
  const fs::path abs_file = fs::absolute(file);
  PartialJob defaults;
  if (!defaults_file.empty()) {
    const json d = read_json_file(defaults_file);
    Source dsrc{defaults_file.string(), 0, fs::absolute(defaults_file).parent_path()};
    if (!d.is_object()) dsrc.fail_line("expected a JSON object of default fields");
    if (d.contains("name")) dsrc.fail("name", "a default name would repeat on every job");
    defaults = parse_object(d, spec, dsrc);
  }
  const std::string text = read_file(file);
  const Source file_src{file.string(), 0, abs_file.parent_path()};
  const auto partials = is_csv(file, text) ? read_csv_jobs(text, spec, file_src)
                                           : read_jsonl_jobs(text, spec, file_src);
  if (partials.empty()) throw FormatError(file.string(), "no jobs in the list");

  std::vector<Job> jobs;
  std::map<std::string, int> first_line;
  for (const auto& [p, src] : partials) {
    Job job;
    job.index = static_cast<int>(jobs.size());
    job.line = src.line;
    if (!p.name) src.fail("name", "missing");
    job.name = *p.name;
    if (const std::string why = name_problem(job.name); !why.empty())
      src.fail("name", "'" + job.name + "' " + why);
    if (auto [it, fresh] = first_line.emplace(job.name, src.line); !fresh)
      src.fail("name", "duplicate name '" + job.name + "' (first on line " +
                           std::to_string(it->second) + ")");
    const std::optional<std::uint64_t> seed = p.seed ? p.seed : defaults.seed;
    if (!seed) src.fail("seed", "missing (give it in the list or in --defaults)");
    job.seed = *seed;
    job.generate = defaults.generate;
    for (const auto& [k, v] : p.generate.items()) job.generate[k] = v;
    job.export_options = defaults.export_options;
    for (const auto& [k, v] : p.export_options.items()) job.export_options[k] = v;
    job.edits = p.edits ? *p.edits : defaults.edits.value_or(std::vector<EditSpec>{});
    const bool target_mode =
        job.generate.contains("guidance") && job.generate["guidance"] == "target";
    const auto prompt = p.prompt ? p.prompt : defaults.prompt;
    if (!prompt && !target_mode) src.fail("prompt", "missing");
    job.prompt = prompt.value_or("");
    if (target_mode && find_spec(spec, "target", FieldTarget::kGenerate)) {
      if (!job.generate.contains("target")) src.fail("target", "missing (guidance is 'target')");
      const fs::path t = job.generate["target"].get<std::string>();
      std::error_code ec;
      if (!fs::is_directory(t, ec)) src.fail("target", "no such project folder: " + t.string());
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

ordered_json job_to_json(const Job& job) {
  ordered_json j;
  j["index"] = job.index;
  j["name"] = job.name;
  j["prompt"] = job.prompt;
  j["seed"] = job.seed;
  j["generate"] = job.generate;
  ordered_json edits = ordered_json::array();
  for (const auto& e : job.edits) {
    ordered_json o;
    o["instruction"] = e.instruction;
    if (!e.scope.empty()) o["scope"] = e.scope;
    if (!e.words.empty()) o["words"] = e.words;
    if (!e.regions.empty()) o["regions"] = e.regions;
    if (e.steps) o["steps"] = *e.steps;
    edits.push_back(o);
  }
  j["edits"] = edits;
  j["export"] = job.export_options;
  if (job.line > 0) j["line"] = job.line;
  return j;
}

Job job_from_json(const ordered_json& j, const std::string& file) {
  auto bad = [&](const std::string& field, const std::string& what) -> FormatError {
    return FormatError(file, "field '" + field + "': " + what);
  };
  if (!j.is_object()) throw bad("jobs[]", "expected an object");
  Job job;
  const std::string at = "jobs[" + (j.contains("index") ? j["index"].dump() : "?") + "]";
  try {
    job.index = j.at("index").get<int>();
    job.name = j.at("name").get<std::string>();
    job.prompt = j.at("prompt").get<std::string>();
    job.seed = j.at("seed").get<std::uint64_t>();
    job.generate = j.at("generate");
    job.export_options = j.at("export");
    job.line = j.value("line", 0);
  } catch (const json::exception& e) {
    throw bad(at, e.what());
  }
  if (!job.generate.is_object()) throw bad(at + ".generate", "expected an object");
  if (!job.export_options.is_object()) throw bad(at + ".export", "expected an object");
  if (const std::string why = name_problem(job.name); !why.empty())
    throw bad(at + ".name", "'" + job.name + "' " + why);
  Source src{file, 0, {}};
  try {
    job.edits = parse_edits(json(j.at("edits")), src);
  } catch (const json::exception& e) {
    throw bad(at + ".edits", e.what());
  }
  return job;
}

}  // namespace faceg2e::batch
