#include "core/session/project_store.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>

#include "core/session/coefficients.h"
#include "core/util/atomic_file.h"
#include "core/util/data_paths.h"
#include "core/util/json_file.h"
#include "core/util/safetensors_format.h"
#include "core/util/time_stamp.h"

namespace faceg2e::session {
namespace fs = std::filesystem;
namespace st = faceg2e::safetensors;

namespace {

constexpr const char* kFormatName = "faceg2e-project";
constexpr const char* kEntryFormatName = "faceg2e-entry";
constexpr int kEntryFormatVersion = 1;
constexpr const char* kStateFormatName = "faceg2e-state";
constexpr const char* kManifestFile = "project.json";
constexpr const char* kEntriesDir = "entries";
constexpr const char* kLockFile = "writer.lock";
constexpr const char* kStateFile = "state.safetensors";
constexpr const char* kWeightsFile = "weights.safetensors";
constexpr const char* kThumbFile = "thumb.png";
constexpr const char* kEntryFile = "entry.json";
// Format-1 files, read for the upgrade and removed after the first format-2 commit.
constexpr const char* kV1Identity = "identity.json";
constexpr const char* kV1Expression = "expression.json";
constexpr const char* kV1Albedo = "albedo.png";
// Bounds that no real face model reaches; larger counts mean a corrupt file, not a big model.
constexpr std::int64_t kMaxCoefficients = 100000;
constexpr std::int64_t kMaxAtlasSide = 16384;
constexpr int kMinAtlasSide = 16;  // as format 1 required of albedo.png
// Readers retry when the manifest changed while they read (a writer committed and removed a
// folder the old manifest named).
constexpr int kReadAttempts = 3;

std::string errno_text() { return std::strerror(errno); }

// ---------------------------------------------------------------------------------------------
// JSON field access with errors naming the file and field.

const nlohmann::json& field(const nlohmann::json& j, const char* key, const fs::path& file) {
  auto it = j.find(key);
  if (it == j.end())
    throw FormatError(file.string(), std::string("field '") + key + "' is missing");
  return *it;
}

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

std::vector<std::string> string_list_field(const nlohmann::json& j, const char* key,
                                           const fs::path& file) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array())
    throw FormatError(file.string(), std::string("field '") + key + "' is not a list");
  for (std::size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_string())
      throw FormatError(file.string(), std::string("field '") + key + "[" + std::to_string(i) +
                                           "]' is not a string");
    out.push_back((*it)[i].get<std::string>());
  }
  return out;
}

nlohmann::json object_field(const nlohmann::json& j, const char* key, const fs::path& file) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nlohmann::json::object();
  if (!it->is_object())
    throw FormatError(file.string(), std::string("field '") + key + "' is not an object");
  return *it;
}

// Entry ids become folder names: letters, digits and '-' only, so no id can escape entries/.
bool valid_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-'))
      return false;
  return true;
}

void check_format(const nlohmann::json& j, const char* name, const fs::path& file) {
  if (!j.is_object()) throw FormatError(file.string(), "not a JSON object");
  if (string_field(j, "format", file, true) != name)
    throw FormatError(file.string(), std::string("field 'format' is not '") + name + "'");
}

int format_version(const nlohmann::json& j, const fs::path& file, int max_supported) {
  auto ver = j.find("format_version");
  if (ver == j.end() || !ver->is_number_integer())
    throw FormatError(file.string(), "field 'format_version' is missing or not an integer");
  const int v = ver->get<int>();
  if (v < 1 || v > max_supported)
    throw FormatError(file.string(), "format_version " + std::to_string(v) +
                                         " is not supported (this build reads 1.." +
                                         std::to_string(max_supported) + ")");
  return v;
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // some filesystems refuse to open folders; the data is synced anyway
  ::fsync(fd);
  ::close(fd);
}

// ---------------------------------------------------------------------------------------------
// Tensors: writing and checked reading.

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

void check_finite(const std::vector<float>& v, const std::string& tensor, const fs::path& file) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw FormatError(file.string(), "tensor '" + tensor + "': element " + std::to_string(i) +
                                           " is " + (std::isnan(v[i]) ? "NaN" : "infinite"));
}

std::vector<float> read_coefficient_tensor(const st::File& f, const char* name) {
  const fs::path& file = f.path();
  if (!f.contains(name))
    throw FormatError(file.string(), std::string("tensor '") + name + "' is missing");
  const auto& info = f.info(name);
  if (info.shape.size() != 1 || info.shape[0] > kMaxCoefficients)
    throw FormatError(file.string(),
                      std::string("tensor '") + name + "': shape " + shape_text(info.shape) +
                          ", expected [N] with N <= " + std::to_string(kMaxCoefficients));
  std::vector<float> v = f.read_f32(name, 1);
  check_finite(v, name, file);
  for (std::size_t i = 0; i < v.size(); ++i)
    if (std::abs(v[i]) > 1e6f)
      throw FormatError(file.string(), std::string("tensor '") + name + "': element " +
                                           std::to_string(i) + " is not a sane coefficient");
  return v;
}

// An HWC image tensor [H, W, channels]; `square` requires H == W >= kMinAtlasSide.
FloatImage read_image_tensor(const st::File& f, const char* name, int channels, bool square) {
  const fs::path& file = f.path();
  const auto& info = f.info(name);
  const auto& s = info.shape;
  const bool ok = s.size() == 3 && s[2] == channels && s[0] >= 1 && s[1] >= 1 &&
                  s[0] <= kMaxAtlasSide && s[1] <= kMaxAtlasSide &&
                  (!square || (s[0] == s[1] && s[0] >= kMinAtlasSide));
  if (!ok)
    throw FormatError(file.string(),
                      std::string("tensor '") + name + "': shape " + shape_text(s) + ", expected " +
                          (square ? "[S,S," : "[H,W,") + std::to_string(channels) + "]" +
                          (square ? " with S >= " + std::to_string(kMinAtlasSide) : ""));
  FloatImage img;
  img.height = int(s[0]);
  img.width = int(s[1]);
  img.channels = channels;
  img.data = f.read_f32(name, 3);
  check_finite(img.data, name, file);
  return img;
}

void check_image(const FloatImage& img, int channels, const char* what) {
  FACEG2E_CHECK(img.width > 0 && img.height > 0 && img.channels == channels &&
                    img.data.size() == std::size_t(img.width) * img.height * channels,
                std::string("malformed ") + what + " image");
}

st::TensorBytes image_bytes(const FloatImage& img) {
  return {st::Dtype::F32, {img.height, img.width, img.channels}, img.data.data()};
}

void write_state_file(const fs::path& path, const FaceState& s) {
  std::map<std::string, st::TensorBytes> t;
  t["identity"] = {
      st::Dtype::F32, {std::int64_t(s.coeffs.identity.size())}, s.coeffs.identity.data()};
  t["expression"] = {
      st::Dtype::F32, {std::int64_t(s.coeffs.expression.size())}, s.coeffs.expression.data()};
  if (!s.albedo.empty()) {
    check_image(s.albedo, 3, "albedo");
    t["albedo"] = image_bytes(s.albedo);
  }
  if (!s.latent.empty()) {
    FACEG2E_CHECK(
        s.latent.data.size() == std::size_t(s.latent.channels) * s.latent.height * s.latent.width,
        "malformed texture latent");
    t["texture_latent"] = {
        st::Dtype::F32, {s.latent.channels, s.latent.height, s.latent.width}, s.latent.data.data()};
  }
  st::write_file(path, t, {{"format", kStateFormatName}, {"format_version", "1"}});
}

FaceState read_state_file(const fs::path& path) {
  const auto f = st::File::open(path);
  FaceState s;
  s.coeffs.identity = read_coefficient_tensor(*f, "identity");
  s.coeffs.expression = read_coefficient_tensor(*f, "expression");
  if (f->contains("albedo")) s.albedo = read_image_tensor(*f, "albedo", 3, true);
  if (f->contains("texture_latent")) {
    const auto& sh = f->info("texture_latent").shape;
    if (sh.size() != 3 || sh[0] < 1 || sh[0] > 64 || sh[1] < 1 || sh[2] < 1 ||
        sh[1] > kMaxAtlasSide || sh[2] > kMaxAtlasSide)
      throw FormatError(path.string(), "tensor 'texture_latent': shape " + shape_text(sh) +
                                           ", expected [C,H,W] with 1 <= C <= 64");
    s.latent.channels = int(sh[0]);
    s.latent.height = int(sh[1]);
    s.latent.width = int(sh[2]);
    s.latent.data = f->read_f32("texture_latent", 3);
    check_finite(s.latent.data, "texture_latent", path);
  }
  for (const auto& name : f->names())
    if (name != "identity" && name != "expression" && name != "albedo" && name != "texture_latent")
      throw FormatError(path.string(), "unexpected tensor '" + name + "'");
  return s;
}

void write_weights_file(const fs::path& path, const HistoryEntry& e) {
  std::map<std::string, st::TensorBytes> t;
  check_image(e.weights, 1, "W");
  t["weights"] = image_bytes(e.weights);
  if (!e.attention.empty()) {
    check_image(e.attention, 1, "attention");
    t["attention"] = image_bytes(e.attention);
  }
  st::write_file(path, t, {{"format", "faceg2e-weights"}, {"format_version", "1"}});
}

void read_weights_file(const fs::path& path, HistoryEntry& e) {
  const auto f = st::File::open(path);
  if (!f->contains("weights")) throw FormatError(path.string(), "tensor 'weights' is missing");
  e.weights = read_image_tensor(*f, "weights", 1, false);
  for (std::size_t i = 0; i < e.weights.data.size(); ++i)
    if (e.weights.data[i] < 0.f || e.weights.data[i] > 1.f)
      throw FormatError(path.string(),
                        "tensor 'weights': element " + std::to_string(i) + " is outside [0, 1]");
  if (f->contains("attention")) e.attention = read_image_tensor(*f, "attention", 1, false);
}

// ---------------------------------------------------------------------------------------------
// Entries.

void write_entry_folder(const fs::path& folder, const HistoryEntry& e) {
  write_state_file(folder / kStateFile, e.state);
  const bool has_weights = !e.weights.empty();
  if (has_weights) write_weights_file(folder / kWeightsFile, e);
  const bool has_thumb = !e.thumbnail.empty();
  if (has_thumb) write_png(folder / kThumbFile, e.thumbnail);
  nlohmann::json j = entry_record_json(e);
  j["format"] = kEntryFormatName;
  j["format_version"] = kEntryFormatVersion;
  j["files"] = {{"state", kStateFile},
                {"weights", has_weights ? nlohmann::json(kWeightsFile) : nlohmann::json(nullptr)},
                {"thumbnail", has_thumb ? nlohmann::json(kThumbFile) : nlohmann::json(nullptr)}};
  // entry.json last: a folder with an entry.json was written through (the rename below is what
  // makes it visible, but this keeps a half-copied folder recognisable too).
  write_file_atomic(folder / kEntryFile, j.dump(1) + "\n");
}

// Writes the entry into DIR/entries/<id>/ through a temporary sibling and a rename, so the
// folder either is complete or does not exist.
void publish_entry(const fs::path& entries_dir, const HistoryEntry& e) {
  const fs::path final_dir = entries_dir / e.id;
  const fs::path tmp = entries_dir / (".tmp-" + e.id + "-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  if (!fs::create_directories(tmp, ec) && !fs::is_directory(tmp))
    throw Error("cannot create " + tmp.string() + ": " + ec.message());
  try {
    write_entry_folder(tmp, e);
    fsync_dir(tmp);
    // A folder of this name is garbage from a killed save (the manifest does not name it: ids
    // of committed entries are never written twice).
    fs::remove_all(final_dir, ec);
    if (::rename(tmp.c_str(), final_dir.c_str()) != 0)
      throw Error("cannot rename " + tmp.string() + " to " + final_dir.string() + ": " +
                  errno_text());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

HistoryEntry read_entry_folder(const fs::path& folder, const std::string& id) {
  const fs::path ej = folder / kEntryFile;
  if (!fs::is_directory(folder))
    throw NotFoundError("history entry folder missing: " + folder.string());
  const nlohmann::json j = read_json_file(ej);
  check_format(j, kEntryFormatName, ej);
  format_version(j, ej, kEntryFormatVersion);
  HistoryEntry e;
  e.id = string_field(j, "id", ej, true);
  if (e.id != id)
    throw FormatError(ej.string(), "field 'id' is '" + e.id + "' but the folder is '" + id + "'");
  const std::string kind = string_field(j, "kind", ej, true);
  const auto k = parse_entry_kind(kind);
  if (!k) throw FormatError(ej.string(), "field 'kind' is '" + kind + "', not new|generate|edit");
  e.kind = *k;
  e.created = string_field(j, "created", ej, false);
  e.text = string_field(j, "text", ej, false);
  e.scope = string_field(j, "scope", ej, false);
  e.words = string_list_field(j, "words", ej);
  e.regions = string_list_field(j, "regions", ej);
  e.params = object_field(j, "params", ej);
  e.timings = object_field(j, "timings", ej);
  if (auto s = j.find("seed"); s != j.end() && !s->is_null()) {
    if (!s->is_number_unsigned() && !(s->is_number_integer() && s->get<std::int64_t>() >= 0))
      throw FormatError(ej.string(), "field 'seed' is not a non-negative integer");
    e.seed = s->get<std::uint64_t>();
  }
  if (auto l = j.find("final_loss"); l != j.end() && !l->is_null()) {
    if (!l->is_number()) throw FormatError(ej.string(), "field 'final_loss' is not a number");
    e.final_loss = l->get<double>();
  }
  if (auto m = j.find("models"); m != j.end() && !m->is_null()) {
    if (!m->is_array()) throw FormatError(ej.string(), "field 'models' is not a list");
    for (std::size_t i = 0; i < m->size(); ++i) {
      const auto& mj = (*m)[i];
      const fs::path where = ej.string() + " models[" + std::to_string(i) + "]";
      if (!mj.is_object()) throw FormatError(where.string(), "not an object");
      ModelFile mf{string_field(mj, "role", where, true), string_field(mj, "path", where, false),
                   string_field(mj, "sha256", where, false)};
      if (!mf.sha256.empty() &&
          (mf.sha256.size() != 64 ||
           mf.sha256.find_first_not_of("0123456789abcdef") != std::string::npos))
        throw FormatError(where.string(), "field 'sha256' is not 64 lowercase hex digits");
      e.models.push_back(std::move(mf));
    }
  }
  const nlohmann::json files = object_field(j, "files", ej);
  auto has_file = [&](const char* key, const char* name) {
    auto it = files.find(key);
    if (it == files.end() || it->is_null()) return false;
    if (!it->is_string() || it->get<std::string>() != name)
      throw FormatError(ej.string(),
                        std::string("field 'files.") + key + "' is not '" + name + "'");
    return true;
  };
  if (!has_file("state", kStateFile))
    throw FormatError(ej.string(), "field 'files.state' is missing");
  e.state = read_state_file(folder / kStateFile);
  if (has_file("weights", kWeightsFile)) read_weights_file(folder / kWeightsFile, e);
  if (has_file("thumbnail", kThumbFile)) e.thumbnail = read_image(folder / kThumbFile);
  return e;
}

// ---------------------------------------------------------------------------------------------
// Manifests.

Project read_format1(const fs::path& dir, const nlohmann::json& p, const fs::path& pj) {
  Project out;
  out.format_version = 1;
  out.face_model_name = string_field(p, "face_model", pj, true);
  out.created = string_field(p, "created", pj, false);
  out.modified = string_field(p, "modified", pj, false);
  out.app_version = string_field(p, "app_version", pj, false);
  const nlohmann::json gen = object_field(p, "generation", pj);

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
  const fs::path id_rel = file_of("identity", kV1Identity);
  const fs::path ex_rel = file_of("expression", kV1Expression);
  if (id_rel.empty() || ex_rel.empty())
    throw FormatError(pj.string(), "'files' must name identity and expression");
  HistoryEntry e;
  e.kind = gen.value("command", std::string()) == "generate" ? EntryKind::Generate : EntryKind::New;
  e.created = out.modified.empty() ? out.created : out.modified;
  e.state.coeffs.identity = read_coefficients_file(dir / id_rel);
  e.state.coeffs.expression = read_coefficients_file(dir / ex_rel);
  if (auto counts = p.find("counts"); counts != p.end() && counts->is_object()) {
    auto check = [&](const char* key, std::size_t have) {
      auto it = counts->find(key);
      if (it != counts->end() && (!it->is_number_unsigned() || it->get<std::size_t>() != have))
        throw FormatError(pj.string(), std::string("counts.") + key + " does not match " + key +
                                           ".json (" + std::to_string(have) +
                                           " values): truncated or mixed-up files?");
    };
    check("identity", e.state.coeffs.identity.size());
    check("expression", e.state.coeffs.expression.size());
  }
  const fs::path al_rel = file_of("albedo", kV1Albedo);
  if (!al_rel.empty()) {
    if (!fs::exists(dir / al_rel))
      throw NotFoundError("project " + dir.string() + " names " + al_rel.string() +
                          " but it is missing");
    const Image8 img = read_image(dir / al_rel, 3);
    if (img.width != img.height || img.width < kMinAtlasSide)
      throw FormatError((dir / al_rel).string(), "albedo atlas must be square and at least 16 px");
    // Format 1 kept only the 8-bit PNG; this is the one place a PNG becomes a state.
    e.state.albedo = to_float_image(img);
  }
  if (auto t = gen.find("prompt"); t != gen.end() && t->is_string()) e.text = t->get<std::string>();
  if (auto s = gen.find("seed"); s != gen.end() && s->is_number_unsigned())
    e.seed = s->get<std::uint64_t>();
  if (auto t = gen.find("timings"); t != gen.end() && t->is_object()) e.timings = *t;
  e.params = gen;
  out.history.append(std::move(e));
  return out;
}

Project read_once(const fs::path& dir, const std::string& manifest_text) {
  const fs::path pj = dir / kManifestFile;
  nlohmann::json p;
  try {
    p = nlohmann::json::parse(manifest_text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(pj.string(), std::string("invalid JSON: ") + e.what());
  }
  check_format(p, kFormatName, pj);
  if (format_version(p, pj, kProjectFormatVersion) == 1) return read_format1(dir, p, pj);

  Project out;
  out.face_model_name = string_field(p, "face_model", pj, true);
  out.created = string_field(p, "created", pj, false);
  out.modified = string_field(p, "modified", pj, false);
  out.app_version = string_field(p, "app_version", pj, false);
  const nlohmann::json& list = field(p, "entries", pj);
  if (!list.is_array() || list.empty())
    throw FormatError(pj.string(), "field 'entries' is not a non-empty list");
  const nlohmann::json& cursor = field(p, "cursor", pj);
  if (!cursor.is_number_integer() || cursor.get<std::int64_t>() < 0 ||
      cursor.get<std::int64_t>() >= std::int64_t(list.size()))
    throw FormatError(pj.string(), "field 'cursor' is not an entry index (0.." +
                                       std::to_string(list.size() - 1) + ")");
  std::vector<History::EntryPtr> entries;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string where = "field 'entries[" + std::to_string(i) + "]'";
    if (!list[i].is_string() || !valid_id(list[i].get<std::string>()))
      throw FormatError(pj.string(), where + " is not an entry id (letters, digits, '-')");
    const std::string id = list[i].get<std::string>();
    entries.push_back(
        std::make_shared<const HistoryEntry>(read_entry_folder(dir / kEntriesDir / id, id)));
  }
  try {
    out.history = History::from_entries(std::move(entries), cursor.get<int>());
  } catch (const FormatError&) {
    throw;
  } catch (const Error& e) {
    throw FormatError(pj.string(), std::string("field 'entries': ") + e.what());
  }
  return out;
}

void write_manifest(const fs::path& dir, const Project& p) {
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& e : p.history.entries()) ids.push_back(e->id);
  nlohmann::json j;
  j["format"] = kFormatName;
  j["format_version"] = kProjectFormatVersion;
  j["app_version"] = app_version();
  j["face_model"] = p.face_model_name;
  j["created"] = p.created;
  j["modified"] = utc_now_iso8601();
  j["cursor"] = p.history.cursor();
  j["entries"] = ids;
  write_file_atomic(dir / kManifestFile, j.dump(1) + "\n");
}

// Writes every entry whose folder is not in `on_disk`, then the manifest. Returns the ids now
// committed.
std::set<std::string> commit(const fs::path& dir, Project& p,
                             const std::set<std::string>& on_disk) {
  if (p.history.empty()) throw Error("cannot save project " + dir.string() + ": empty history");
  const fs::path entries_dir = dir / kEntriesDir;
  std::error_code ec;
  fs::create_directories(entries_dir, ec);
  if (!fs::is_directory(entries_dir))
    throw Error("cannot create " + entries_dir.string() + ": " + ec.message());
  std::set<std::string> ids;
  bool wrote = false;
  for (const auto& e : p.history.entries()) {
    FACEG2E_CHECK(valid_id(e->id), "history entry id '" + e->id + "' is not a folder name");
    ids.insert(e->id);
    if (on_disk.count(e->id)) continue;
    publish_entry(entries_dir, *e);
    wrote = true;
  }
  if (wrote) fsync_dir(entries_dir);  // the renames are durable before the manifest names them
  if (p.created.empty()) p.created = utc_now_iso8601();
  write_manifest(dir, p);
  return ids;
}

// After a commit: entry folders the manifest does not name and format-1 files go.
void collect_garbage(const fs::path& dir, const std::set<std::string>& keep) {
  std::error_code ec;
  const fs::path entries_dir = dir / kEntriesDir;
  for (fs::directory_iterator it(entries_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (keep.count(name)) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    if (rm) spdlog::warn("could not remove unreferenced {}: {}", it->path().string(), rm.message());
  }
  for (const char* old : {kV1Identity, kV1Expression, kV1Albedo}) fs::remove(dir / old, ec);
  fsync_dir(entries_dir);
}

std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

std::string program_name() {
  std::string s;
  try {
    s = read_file("/proc/self/comm");
  } catch (const Error&) {
  }
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s.empty() ? "faceg2e" : s;
}

std::string read_fd_text(int fd) {
  std::string s;
  char buf[512];
  off_t off = 0;
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, off);
    if (n <= 0 || s.size() > 4096) break;
    s.append(buf, std::size_t(n));
    off += n;
  }
  return s;
}

// "pid 123 (faceg2e-cli) on host h since T" from a lock file's JSON; the raw text otherwise.
std::string describe_holder(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    return "pid " + std::to_string(j.at("pid").get<long>()) + " (" +
           j.value("program", std::string("?")) + ") on host " + j.value("host", std::string("?")) +
           " since " + j.value("since", std::string("?"));
  } catch (const std::exception&) {
    return text.empty() ? "an unknown process" : "'" + text.substr(0, 200) + "'";
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------

Project read_project(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw NotFoundError("project folder not found: " + dir.string());
  const fs::path pj = dir / kManifestFile;
  if (!fs::exists(pj))
    throw NotFoundError("not a project folder (no project.json): " + dir.string());
  std::string text = read_file(pj);
  for (int attempt = 1;; ++attempt) {
    try {
      return read_once(dir, text);
    } catch (const Error&) {
      // A writer may have committed a new manifest and removed folders the old one named.
      if (attempt >= kReadAttempts) throw;
      std::string now = read_file(pj);
      if (now == text) throw;
      text = std::move(now);
    }
  }
}

void create_project(const fs::path& dir, const std::string& face_model_name, HistoryEntry first) {
  std::error_code ec;
  if (fs::exists(dir / kManifestFile, ec) || fs::exists(dir / kEntriesDir, ec))
    throw Error("cannot create a project in " + dir.string() +
                ": the folder already holds a project (project.json or entries/)");
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir))
    throw Error("cannot create project folder " + dir.string() + ": " + ec.message());
  Project p;
  p.face_model_name = face_model_name;
  p.history.append(std::move(first));
  commit(dir, p, {});
}

// ---------------------------------------------------------------------------------------------
// The writer lock.

ProjectLock::ProjectLock(const fs::path& dir) : path_(dir / kLockFile) {
  if (!fs::is_directory(dir)) throw NotFoundError("project folder not found: " + dir.string());
  // The holder removes the file on release; a process that opened the old file just before
  // that would lock an unlinked inode, so the lock counts only when the path still names the
  // inode we locked.
  for (int attempt = 0; attempt < 20; ++attempt) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw Error("cannot open the lock file " + path_.string() + ": " + errno_text());
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string holder = read_fd_text(fd);
      ::close(fd);
      if (err == EWOULDBLOCK)
        throw ProjectLockedError("project " + dir.string() + " is open for writing by " +
                                 describe_holder(holder) + " (lock file " + path_.string() +
                                 "); close it there first");
      throw Error("cannot lock " + path_.string() + ": " + std::strerror(err));
    }
    struct stat by_fd {
    }, by_path{};
    if (::fstat(fd, &by_fd) != 0 || ::stat(path_.c_str(), &by_path) != 0 ||
        by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev) {
      ::close(fd);
      continue;
    }
    // We hold it. Whatever the file still says was written by a holder that is gone (the
    // kernel dropped its flock when it died): a stale lock, taken over here.
    recovered_from_ = read_fd_text(fd);
    if (!recovered_from_.empty())
      spdlog::warn("project {}: recovered a stale lock left by {}", dir.string(),
                   describe_holder(recovered_from_));
    const nlohmann::json me = {{"pid", long(::getpid())},
                               {"host", hostname()},
                               {"program", program_name()},
                               {"since", utc_now_iso8601()}};
    const std::string text = me.dump() + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
      const std::string why = errno_text();
      ::close(fd);
      throw Error("cannot write the lock file " + path_.string() + ": " + why);
    }
    ::fsync(fd);
    fd_ = fd;
    return;
  }
  throw ProjectLockedError("project " + dir.string() +
                           " is being opened and closed by other writers too fast to lock (" +
                           path_.string() + ")");
}

ProjectLock::ProjectLock(ProjectLock&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), recovered_from_(std::move(o.recovered_from_)) {
  o.fd_ = -1;
}

ProjectLock::~ProjectLock() {
  if (fd_ < 0) return;
  // Unlink while still holding the flock (see the constructor), then release.
  ::unlink(path_.c_str());
  ::close(fd_);
}

// ---------------------------------------------------------------------------------------------

ProjectStore::ProjectStore(fs::path dir, ProjectLock lock, Project project)
    : dir_(std::move(dir)), lock_(std::move(lock)), project_(std::move(project)) {}

std::unique_ptr<ProjectStore> ProjectStore::open(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw NotFoundError("project folder not found: " + dir.string());
  if (!fs::exists(dir / kManifestFile))
    throw NotFoundError("not a project folder (no project.json): " + dir.string());
  ProjectLock lock(dir);
  Project p = read_project(dir);
  return std::unique_ptr<ProjectStore>(new ProjectStore(dir, std::move(lock), std::move(p)));
}

void ProjectStore::save() {
  // Entries already in a committed format-2 manifest are on disk and immutable; anything else
  // (new entries, or every entry of a format-1 project) is written now.
  std::set<std::string> on_disk;
  if (project_.format_version >= 2) {
    const fs::path pj = dir_ / kManifestFile;
    const auto j = nlohmann::json::parse(read_file(pj), nullptr, false);
    if (j.is_object())
      if (auto it = j.find("entries"); it != j.end() && it->is_array())
        for (const auto& id : *it)
          if (id.is_string() && fs::is_directory(dir_ / kEntriesDir / id.get<std::string>()))
            on_disk.insert(id.get<std::string>());
  }
  const std::set<std::string> keep = commit(dir_, project_, on_disk);
  project_.format_version = kProjectFormatVersion;
  collect_garbage(dir_, keep);
}

}  // namespace faceg2e::session
