#include "ui/settings.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e::ui {

namespace {
constexpr std::size_t k_recent_kept = 8;
}

std::filesystem::path settings_path() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  std::filesystem::path base;
  if (xdg && *xdg) {
    base = xdg;
  } else {
    const char* home = std::getenv("HOME");
    base = std::filesystem::path(home && *home ? home : ".") / ".config";
  }
  return base / "faceg2e" / "settings.json";
}

Settings load_settings(const std::filesystem::path& path, std::string* error) {
  Settings s;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return s;
  try {
    const nlohmann::json j = nlohmann::json::parse(read_file(path));
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    auto str = [&](const char* key, std::string& out) {
      if (j.contains(key)) {
        if (!j[key].is_string())
          throw std::runtime_error(std::string("\"") + key + "\" is not a string");
        out = j[key].get<std::string>();
      }
    };
    str("models_dir", s.models_dir);
    str("sd21", s.sd21);
    str("sd15", s.sd15);
    str("controlnet_depth", s.controlnet_depth);
    str("texture_prior", s.texture_prior);
    str("ip2p", s.ip2p);
    str("device", s.device);
    if (j.contains("ui_scale")) {
      if (!j["ui_scale"].is_number()) throw std::runtime_error("\"ui_scale\" is not a number");
      s.ui_scale = std::clamp(j["ui_scale"].get<float>(), 0.5f, 4.0f);
    }
    if (j.contains("recent_projects") && j["recent_projects"].is_array())
      for (const auto& r : j["recent_projects"])
        if (r.is_string()) s.recent_projects.push_back(r.get<std::string>());
  } catch (const std::exception& e) {
    if (error) *error = "settings " + path.string() + " ignored: " + e.what();
    return Settings{};
  }
  return s;
}

void save_settings(const std::filesystem::path& path, const Settings& s) {
  const nlohmann::json j = {{"models_dir", s.models_dir},
                            {"sd21", s.sd21},
                            {"sd15", s.sd15},
                            {"controlnet_depth", s.controlnet_depth},
                            {"texture_prior", s.texture_prior},
                            {"ip2p", s.ip2p},
                            {"device", s.device},
                            {"ui_scale", s.ui_scale},
                            {"recent_projects", s.recent_projects}};
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw Error("cannot create " + path.parent_path().string() + ": " + ec.message());
  write_file_atomic(path, j.dump(2) + "\n");
}

void add_recent(Settings& settings, const std::string& dir) {
  auto& r = settings.recent_projects;
  r.erase(std::remove(r.begin(), r.end(), dir), r.end());
  r.insert(r.begin(), dir);
  if (r.size() > k_recent_kept) r.resize(k_recent_kept);
}

}  // namespace faceg2e::ui
