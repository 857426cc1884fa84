// faceg2e: the desktop editor.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/gui_app.h"
#include "core/face/face_assets.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"faceg2e " + faceg2e::app_version() +
               ": text-guided 3D face generation and editing"};
  std::string face_model;
  std::string screenshot;
  std::string project, script, frame_log, models_dir;
  faceg2e::gui::GuiOptions options;
  app.add_option("PROJECT_DIR", project, "A project folder to open");
  app.add_option("--face-model", face_model,
                 "The F3DM face model (default: the documented search order)");
  app.add_option("--script", script,
                 "Play a script of clicks, typing and checks against the window, then exit with "
                 "its result (see app/gui/script_player.h)")
      ->check(CLI::ExistingFile);
  app.add_option("--frame-log", frame_log,
                 "Write a CSV of frame times (time_s,frame_ms,job_running) at exit");
  app.add_option("--models", models_dir,
                 "Models folder for this run (overrides the settings; not saved)");
  app.add_option("--device", options.device, "cpu or cuda (overrides the settings; not saved)");
  app.add_option("--screenshot", screenshot,
                 "Render a few frames, write the full window to this PNG and exit");
  app.add_option("--width", options.width, "Window width in pixels")->check(CLI::Range(64, 16384));
  app.add_option("--height", options.height, "Window height in pixels")
      ->check(CLI::Range(64, 16384));
  app.add_option("--screenshot-frames", options.screenshot_frames,
                 "Frames to draw before the screenshot")
      ->check(CLI::Range(1, 1000));
  app.add_option("--frames", options.max_frames,
                 "Exit after this many frames (prints the frame rate)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--msaa", options.msaa_samples,
                 "Multisampling: 1, 2, 4 or 8 (clamped to the device); default 4 on GPUs, 1 on CPU "
                 "(lavapipe)")
      ->check(CLI::IsMember({1, 2, 4, 8}));
  const std::map<std::string, faceg2e::render::ShadingMode> shading_names = {
      {"textured", faceg2e::render::ShadingMode::textured},
      {"grey", faceg2e::render::ShadingMode::grey},
      {"normals", faceg2e::render::ShadingMode::normals}};
  app.add_option("--display", options.view.shading, "Initial shading: textured, grey or normals")
      ->transform(CLI::CheckedTransformer(shading_names, CLI::ignore_case));
  std::string overlay;
  app.add_option("--overlay", overlay, "Initial overlay: none, regions or weights")
      ->check(CLI::IsMember({"none", "regions", "weights"}, CLI::ignore_case));
  app.add_option("--export", options.export_path,
                 "Export the face (OBJ path or folder) at start, like the Export button");
  app.add_option(
         "--weight-map", options.weight_map,
         "Grey PNG in the atlas layout for the weight-map overlay (0 = black ... 1 = white)")
      ->check(CLI::ExistingFile);
  std::vector<float> view_angles;
  app.add_option("--view", view_angles,
                 "Initial camera: yaw and pitch in degrees (e.g. 180 0 for the back, 0 60 for the top)")
      ->expected(2);
  std::vector<int> resize_to;
  app.add_option("--resize-to", resize_to, "Resize the window to W H after two frames (tests)")
      ->expected(2)
      ->check(CLI::Range(64, 16384));
  CLI11_PARSE(app, argc, argv);
  if (view_angles.size() == 2) {
    options.view_yaw_deg = view_angles[0];
    options.view_pitch_deg = view_angles[1];
  }
  if (resize_to.size() == 2) {
    options.resize_width = resize_to[0];
    options.resize_height = resize_to[1];
  }
  options.initial_overlay = overlay;
  if (!project.empty()) options.project = project;
  if (!script.empty()) options.script = script;
  if (!frame_log.empty()) options.frame_log = frame_log;
  if (!models_dir.empty()) options.models_dir = models_dir;

  try {
    std::string warning;
    auto assets = std::make_shared<const faceg2e::face::FaceAssets>(faceg2e::face::FaceAssets::load(
        face_model.empty() ? std::nullopt : std::optional<std::filesystem::path>(face_model),
        &warning));
    if (!warning.empty()) std::fprintf(stderr, "faceg2e: warning: %s\n", warning.c_str());
    if (!screenshot.empty()) options.screenshot = screenshot;
    return faceg2e::gui::run_gui(std::move(assets), options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "faceg2e: %s\n", e.what());
    return 1;
  }
}
