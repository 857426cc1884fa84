// faceg2e: the desktop editor.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/gui_app.h"
#include "core/face/face_model.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"

int main(int argc, char** argv) {
  CLI::App app{"faceg2e " + faceg2e::app_version() +
               ": text-guided 3D face generation and editing"};
  std::string face_model;
  std::string screenshot;
  faceg2e::gui::GuiOptions options;
  app.add_option("--face-model", face_model,
                 "The F3DM face model (default: the documented search order)");
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
  const std::map<std::string, faceg2e::render::OverlayMode> overlay_names = {
      {"none", faceg2e::render::OverlayMode::none},
      {"regions", faceg2e::render::OverlayMode::region_labels},
      {"weights", faceg2e::render::OverlayMode::scalar_map}};
  app.add_option("--display", options.view.shading, "Initial shading: textured, grey or normals")
      ->transform(CLI::CheckedTransformer(shading_names, CLI::ignore_case));
  app.add_option("--overlay", options.view.overlay, "Initial overlay: none, regions or weights")
      ->transform(CLI::CheckedTransformer(overlay_names, CLI::ignore_case));
  std::vector<float> view_angles;
  app.add_option("--view", view_angles,
                 "Initial camera: yaw and pitch in degrees (e.g. 180 0 for the back, 0 60 for the top)")
      ->expected(2);
  app.add_option("--export", options.export_path,
                 "Export the face (OBJ path or folder) at start, like the Export... button");
  app.add_option(
         "--weight-map", options.weight_map,
         "Grey PNG in the atlas layout for the weight-map overlay (0 = black ... 1 = white)")
      ->check(CLI::ExistingFile);
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

  try {
    const auto path = faceg2e::require_face_model(
        face_model.empty() ? std::nullopt : std::optional<std::filesystem::path>(face_model));
    faceg2e::face::FaceModel model = faceg2e::face::load_f3dm(path);
    if (!screenshot.empty()) options.screenshot = screenshot;
    return faceg2e::gui::run_gui(std::move(model), options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "faceg2e: %s\n", e.what());
    return 1;
  }
}
