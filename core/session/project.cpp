#include "core/session/project.h"

#include <cmath>
#include <ctime>

#include "core/util/atomic_file.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace faceg2e::session {
namespace fs = std::filesystem;

namespace {

constexpr const char* kFormatName = "faceg2e-project";
constexpr const char* kIdentityFile = "identity.json";
constexpr const char* kExpressionFile = "expression.json";
constexpr const char* kAlbedoFile = "albedo.png";
constexpr const char* kProjectFile = "project.json";

std::string string_field(const nlohmann::json& j, const char* key, const fs::path& file,
                         bool required) {
  auto it = j.find(key);
  if (it == j.end()) {
    if (required) throw FormatError(file.string(), std::string("field '") + key + "' is missing");
    return {};
  }
  if (!it->is_string())
    throw FormatError(file.string(), std::string("field '") + key + "' is not a string");
  return it->get<std::string>();
}

}  // namespace

std::string utc_now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string face_model_name(const face::FaceModel& model) {
  const std::string stem = model.source.stem().string();
  return stem.empty() ? "unknown" : stem;
}

std::vector<float> parse_coefficients(const nlohmann::json& j, const std::string& file) {
  const nlohmann::json* list = &j;
  if (j.is_object()) {
    auto it = j.find("coefficients");
    if (it == j.end()) throw FormatError(file, "no 'coefficients' list");
    list = &*it;
  }
  if (!list->is_array()) throw FormatError(file, "'coefficients' is not a list");
  std::vector<float> out;
  out.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& v = (*list)[i];
    if (!v.is_number())
      throw FormatError(file, "coefficient " + std::to_string(i) + " is not a number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::abs(d) > 1e6)
      throw FormatError(file, "coefficient " + std::to_string(i) + " is not a finite, sane value");
    out.push_back(static_cast<float>(d));
  }
  return out;
}

std::vector<float> read_coefficients_file(const fs::path& path) {
  return parse_coefficients(read_json_file(path), path.string());
}

void check_coefficients(const face::FaceCoefficients& c, const face::FaceModel& m,
                        const std::string& what) {
  if (c.identity.size() > std::size_t(m.num_identity))
    throw Error(what + ": " + std::to_string(c.identity.size()) +
                " identity coefficients, but the face model " + m.source.string() + " has " +
                std::to_string(m.num_identity) + " identity modes");
  if (c.expression.size() > std::size_t(m.num_expression))
    throw Error(what + ": " + std::to_string(c.expression.size()) +
                " expression coefficients, but the face model " + m.source.string() + " has " +
                std::to_string(m.num_expression) + " expressions");
}

void save_project(const fs::path& dir, ProjectState state) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir))
    throw Error("cannot create project folder " + dir.string() + ": " + ec.message());
  for (float v : state.face.coeffs.identity)
    if (!std::isfinite(v)) throw Error("save_project: non-finite identity coefficient");
  for (float v : state.face.coeffs.expression)
    if (!std::isfinite(v)) throw Error("save_project: non-finite expression coefficient");

  const nlohmann::json identity = {{"coefficients", state.face.coeffs.identity}};
  write_file_atomic(dir / kIdentityFile, identity.dump(1) + "\n");
  const nlohmann::json expression = {{"coefficients", state.face.coeffs.expression}};
  write_file_atomic(dir / kExpressionFile, expression.dump(1) + "\n");
  const bool has_albedo = !state.face.albedo.empty();
  if (has_albedo) write_png(dir / kAlbedoFile, to_image8(state.face.albedo));

  if (state.created.empty()) state.created = utc_now_iso8601();
  nlohmann::json p;
  p["format"] = kFormatName;
  p["format_version"] = kProjectFormatVersion;
  p["app_version"] = app_version();
  p["face_model"] = state.face_model_name;
  p["created"] = state.created;
  p["modified"] = utc_now_iso8601();
  p["files"] = {{"identity", kIdentityFile},
                {"expression", kExpressionFile},
                {"albedo", has_albedo ? nlohmann::json(kAlbedoFile) : nlohmann::json(nullptr)}};
  p["counts"] = {{"identity", state.face.coeffs.identity.size()},
                 {"expression", state.face.coeffs.expression.size()}};
  p["generation"] = state.generation.is_null() ? nlohmann::json::object() : state.generation;
  write_file_atomic(dir / kProjectFile, p.dump(1) + "\n");
  // A stale albedo from an earlier save would be ignored anyway (project.json is the authority);
  // remove it so the folder says what it holds.
  if (!has_albedo) fs::remove(dir / kAlbedoFile, ec);
}

ProjectState load_project(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw NotFoundError("project folder not found: " + dir.string());
  const fs::path pj = dir / kProjectFile;
  if (!fs::exists(pj))
    throw NotFoundError("not a project folder (no project.json): " + dir.string());
  const nlohmann::json p = read_json_file(pj);
  if (!p.is_object()) throw FormatError(pj.string(), "not a JSON object");
  if (string_field(p, "format", pj, true) != kFormatName)
    throw FormatError(pj.string(), "field 'format' is not '" + std::string(kFormatName) + "'");
  auto ver = p.find("format_version");
  if (ver == p.end() || !ver->is_number_integer())
    throw FormatError(pj.string(), "field 'format_version' is missing or not an integer");
  if (ver->get<int>() < 1 || ver->get<int>() > kProjectFormatVersion)
    throw FormatError(pj.string(), "format_version " + std::to_string(ver->get<int>()) +
                                       " is not supported (this build reads 1.." +
                                       std::to_string(kProjectFormatVersion) + ")");
  ProjectState s;
  s.face_model_name = string_field(p, "face_model", pj, true);
  s.created = string_field(p, "created", pj, false);
  s.modified = string_field(p, "modified", pj, false);
  s.app_version = string_field(p, "app_version", pj, false);
  if (auto g = p.find("generation"); g != p.end()) {
    if (!g->is_object()) throw FormatError(pj.string(), "field 'generation' is not an object");
    s.generation = *g;
  }

  auto file_of = [&](const char* key, const char* fallback) -> fs::path {
    auto files = p.find("files");
    if (files == p.end()) return fallback;
    if (!files->is_object()) throw FormatError(pj.string(), "field 'files' is not an object");
    auto it = files->find(key);
    if (it == files->end() || it->is_null()) return {};
    if (!it->is_string())
      throw FormatError(pj.string(), std::string("field 'files.") + key + "' is not a string");
    const fs::path rel = it->get<std::string>();
    // Project files live in the folder: no absolute paths or escapes through "..".
    if (rel.is_absolute() || rel.empty() || rel.string().find("..") != std::string::npos)
      throw FormatError(pj.string(),
                        std::string("field 'files.") + key + "' is not a plain file name");
    return rel;
  };
  const fs::path id_rel = file_of("identity", kIdentityFile);
  const fs::path ex_rel = file_of("expression", kExpressionFile);
  if (id_rel.empty() || ex_rel.empty())
    throw FormatError(pj.string(), "'files' must name identity and expression");
  s.face.coeffs.identity = read_coefficients_file(dir / id_rel);
  s.face.coeffs.expression = read_coefficients_file(dir / ex_rel);
  if (auto counts = p.find("counts"); counts != p.end() && counts->is_object()) {
    auto check = [&](const char* key, std::size_t have) {
      auto it = counts->find(key);
      if (it != counts->end() && (!it->is_number_unsigned() || it->get<std::size_t>() != have))
        throw FormatError(pj.string(), std::string("counts.") + key + " does not match " + key +
                                           ".json (" + std::to_string(have) +
                                           " values): truncated or mixed-up files?");
    };
    check("identity", s.face.coeffs.identity.size());
    check("expression", s.face.coeffs.expression.size());
  }
  const fs::path al_rel = file_of("albedo", kAlbedoFile);
  if (!al_rel.empty()) {
    if (!fs::exists(dir / al_rel))
      throw NotFoundError("project " + dir.string() + " names " + al_rel.string() +
                          " but it is missing");
    const Image8 albedo = read_image(dir / al_rel, 3);
    if (albedo.width != albedo.height || albedo.width < 16)
      throw FormatError((dir / al_rel).string(), "albedo atlas must be square and at least 16 px");
    s.face.albedo = to_float_image(albedo);
  }
  return s;
}

}  // namespace faceg2e::session
