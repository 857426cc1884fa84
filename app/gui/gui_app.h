#pragma once
// The faceg2e window: GLFW + Vulkan viewport + the ImGui editor, joined to the engine through
// core/runtime (the worker thread owns every optimisation; the window never waits for it).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/face/face_assets.h"
#include "render/view_settings.h"

namespace faceg2e::gui {

struct GuiOptions {
  int width = 1280;
  int height = 800;
  // Render this many frames, write the full window to the PNG and exit.
  std::optional<std::filesystem::path> screenshot;
  int screenshot_frames = 5;  // ImGui lays windows out over the first frames
  // Wanted MSAA samples, clamped to the device. 0 = auto: 4x on GPUs, 1x on CPU devices, where
  // 4x makes lavapipe's mesh pass ~4x slower (measured: 2 vs 9 fps at 1280x800).
  int msaa_samples = 0;
  // > 0: resize the window to this size after two frames (exercises swapchain re-creation).
  int resize_width = 0;
  int resize_height = 0;
  render::ViewSettings view;    // initial display mode
  std::string initial_overlay;  // "", "none", "regions" or "weights"
  // Non-empty: export the face there (OBJ path or folder) through the runtime, as the Export
  // button does, before the first frame.
  std::string export_path;
  // Non-empty: a grey PNG in the atlas layout shown by the weight-map (heat) overlay, 0..255 ->
  // 0..1, until the document has a W map of its own.
  std::filesystem::path weight_map;
  int max_frames = 0;            // > 0: exit after this many frames (fps measurement, smoke tests)
  std::filesystem::path script;  // --script: play it, exit with its result
  std::filesystem::path frame_log;                  // --frame-log: CSV time_s,frame_ms,job_running
  std::filesystem::path project;                    // PROJECT_DIR: opened at start
  std::optional<std::filesystem::path> models_dir;  // --models: overrides the settings' folder
  std::string device;                               // --device: overrides the settings' device
  // Initial orbit angles in degrees (yaw about +Y, pitch up), for screenshots of the back or top.
  float view_yaw_deg = 0.0f, view_pitch_deg = 0.0f;
};

// Runs until the window closes (or the screenshot is written, or the script ends). Returns the
// process exit code; throws faceg2e::Error on a failure to start (no display, no Vulkan
// device, ...).
int run_gui(std::shared_ptr<const face::FaceAssets> assets, const GuiOptions& options);

}  // namespace faceg2e::gui
