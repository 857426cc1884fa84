#pragma once
// The live editor's panels. Left: guidance, Generate, Edit, progress, project, export, settings
// and the face sliders. Right: history and view (shading, overlay with opacity and legend). The
// panels own only widget state; every action becomes a runtime command, and what they show comes
// from the runtime's latest snapshot. Labels listed in the issue (Generate, Apply, Cancel, Undo,
// Redo, Export, Save, Prompt, Instruction, Seed, Target project, Regions, Geometry steps,
// Texture steps, Edit steps, Guidance, Scope, Overlay) are what scripts click: keep them stable.
// Must be called between ImGui::NewFrame() and ImGui::Render().
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/runtime/runtime.h"
#include "ui/editor_state.h"
#include "ui/settings.h"

namespace faceg2e::ui {

enum class OverlayChoice { None, RegionLabels, ConsistencyWeight, Attention };

struct EditorUiResult {
  bool coefficients_changed = false;  // a face slider moved: re-assemble the mesh
  bool view_changed = false;
  bool reset_camera = false;
  bool quit = false;  // the user confirmed quitting
};

struct EditorUiParams {
  float left_width = 380.0f;  // window units
  float right_width = 320.0f;
  int key_s = 'S';  // io.KeysDown index of the S key (the platform's code)
  int identity_sliders = 10;
  float identity_range = 3.0f;
};

class EditorUi {
 public:
  EditorUi(Settings settings, std::filesystem::path settings_file, EditorUiParams params = {});

  EditorUiResult draw(runtime::Runtime& runtime, const runtime::Snapshot& snap,
                      const ModelInfo& info, FaceCoefficientsState& coefficients,
                      render::ViewSettings& view);

  OverlayChoice overlay() const { return static_cast<OverlayChoice>(overlay_); }
  void set_overlay(OverlayChoice choice) { overlay_ = static_cast<int>(choice); }
  float left_width() const { return params_.left_width; }
  float right_width() const { return params_.right_width; }
  const Settings& settings() const { return settings_; }
  // The models the settings point at, for the runtime.
  pipeline::ModelSelection model_selection() const;

  // Pick-on-face: armed by the checkbox beside Regions; the app reports the region under a click.
  bool picking() const { return picking_; }
  void add_picked_region(const std::string& name);

  // The window's close button: asks about unsaved changes first (quit is reported by draw()).
  void request_close() { close_requested_ = true; }
  // Prefills the project folder (faceg2e PROJECT_DIR).
  void set_project_field(const std::string& dir) { project_field_ = dir; }
  // A message shown at the top of the panel (e.g. settings that could not be read).
  void set_notice(const std::string& text) { notice_ = text; }

 private:
  void draw_guidance();
  void draw_generate(runtime::Runtime& rt, const runtime::Snapshot& snap);
  void draw_edit(runtime::Runtime& rt, const runtime::Snapshot& snap, const ModelInfo& info);
  void draw_progress(runtime::Runtime& rt, const runtime::Snapshot& snap);
  void draw_project(runtime::Runtime& rt, const runtime::Snapshot& snap);
  void draw_export(runtime::Runtime& rt);
  void draw_settings(runtime::Runtime& rt);
  bool draw_sliders(const ModelInfo& info, FaceCoefficientsState& c);
  void draw_history(runtime::Runtime& rt, const runtime::Snapshot& snap);
  bool draw_view(render::ViewSettings& view, const ModelInfo& info, EditorUiResult& result);
  void handle_shortcuts(runtime::Runtime& rt, const runtime::Snapshot& snap);
  void track_jobs(const runtime::Snapshot& snap);
  bool draw_close_prompt(runtime::Runtime& rt, const runtime::Snapshot& snap);

  Settings settings_;
  std::filesystem::path settings_file_;
  EditorUiParams params_;
  std::string notice_;

  // Guidance (shared by Generate and Edit).
  int guidance_ = 0;  // 0 Diffusion models, 1 Analytic target
  std::string target_project_;
  // Generate.
  std::string prompt_;
  int seed_ = 0;
  int geometry_steps_ = 200, texture_steps_ = 400;
  int render_size_ = 0, vae_size_ = 0, atlas_size_ = 0;
  // Edit.
  std::string instruction_;
  std::vector<std::string> picked_words_;
  int scope_ = 0;
  std::string regions_;
  bool picking_ = false;
  int edit_steps_ = 200;
  double lambda_ = 0, text_scale_ = 0, image_scale_ = 0;
  // View.
  int overlay_ = 0;
  bool show_all_identity_ = false;
  // Project / export / settings.
  std::string project_field_, export_field_ = "export";
  int export_size_ = 0;  // 1K
  bool export_weights_ = true, export_history_ = true;
  int device_ = 0;
  struct PendingProject {
    std::uint64_t job;
    std::string dir;
  };
  std::vector<PendingProject> pending_projects_;
  std::optional<std::uint64_t> close_after_save_;
  bool close_requested_ = false;
  bool quit_ = false;
};

}  // namespace faceg2e::ui
