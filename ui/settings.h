#pragma once
// The editor's remembered settings, in $XDG_CONFIG_HOME/faceg2e/settings.json (~/.config when
// XDG_CONFIG_HOME is unset): where the models are (a folder and per-role paths), the device and
// the UI scale. Missing file = defaults; a corrupt file is reported and ignored (never fatal).
#include <filesystem>
#include <string>
#include <vector>

namespace faceg2e::ui {

struct Settings {
  std::string models_dir;
  std::string sd21, sd15, controlnet_depth, texture_prior, ip2p;  // per-role paths
  std::string device = "cpu";
  float ui_scale = 1.0f;                     // high-DPI screens: 1.5, 2
  std::vector<std::string> recent_projects;  // most recent first
};

std::filesystem::path settings_path();
// Reads the file; on a problem returns defaults and sets *error to a readable message.
Settings load_settings(const std::filesystem::path& path, std::string* error);
// Writes atomically; throws faceg2e::Error naming the file on failure.
void save_settings(const std::filesystem::path& path, const Settings& settings);
// Puts `dir` first in the recent list (at most 8, no duplicates).
void add_recent(Settings& settings, const std::string& dir);

}  // namespace faceg2e::ui
