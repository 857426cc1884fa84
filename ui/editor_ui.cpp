#include "ui/editor_ui.h"

#include <imgui.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>
#include <sstream>

#include "ui/widget_registry.h"
#include "ui/widgets.h"

namespace faceg2e::ui {

namespace {

const ImVec4 k_red(1.0f, 0.45f, 0.4f, 1.0f);
const ImVec4 k_green(0.5f, 0.9f, 0.5f, 1.0f);
const ImVec4 k_yellow(1.0f, 0.85f, 0.35f, 1.0f);
const ImVec4 k_grey(0.55f, 0.55f, 0.55f, 1.0f);

const std::vector<std::string> k_guidance_items = {"Diffusion models", "Analytic target"};
const std::vector<std::string> k_scope_items = {"texture", "geometry", "expression"};
const std::vector<std::string> k_overlay_items = {"None", "Region labels", "Consistency weight",
                                                  "Attention"};
const std::vector<std::string> k_export_sizes = {"1K", "2K", "4K"};
const std::vector<std::string> k_devices = {"cpu", "cuda"};

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::string w;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '\'') {
      w += c;
    } else if (!w.empty()) {
      words.push_back(w);
      w.clear();
    }
  }
  if (!w.empty()) words.push_back(w);
  return words;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string item; std::getline(ss, item, ',');) {
    const auto a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
  }
  return out;
}

std::string format_eta(double s) {
  const int t = static_cast<int>(s + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d:%02d", t / 60, t % 60);
  return buf;
}

// The shader's heat map (shaders/mesh.frag heat_colormap), for the legend.
ImU32 heat_color(float x) {
  static const float stops[5][3] = {{0.05f, 0.05f, 0.55f},
                                    {0.0f, 0.55f, 1.0f},
                                    {0.2f, 0.85f, 0.3f},
                                    {1.0f, 0.85f, 0.0f},
                                    {0.85f, 0.05f, 0.05f}};
  const float t = std::clamp(x, 0.0f, 1.0f) * 4.0f;
  const int i = std::min(static_cast<int>(t), 3);
  const float f = t - static_cast<float>(i);
  float c[3];
  for (int k = 0; k < 3; ++k) c[k] = stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f;
  return ImGui::ColorConvertFloat4ToU32(ImVec4(c[0], c[1], c[2], 1.0f));
}

void heat_legend(const char* low, const char* high) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float w = ImGui::GetContentRegionAvail().x, h = 12.0f;
  constexpr int k_segments = 32;
  for (int i = 0; i < k_segments; ++i) {
    const float x0 = p.x + w * i / k_segments, x1 = p.x + w * (i + 1) / k_segments;
    dl->AddRectFilledMultiColor(ImVec2(x0, p.y), ImVec2(x1, p.y + h),
                                heat_color(static_cast<float>(i) / k_segments),
                                heat_color(static_cast<float>(i + 1) / k_segments),
                                heat_color(static_cast<float>(i + 1) / k_segments),
                                heat_color(static_cast<float>(i) / k_segments));
  }
  ImGui::Dummy(ImVec2(w, h));
  ImGui::TextUnformatted(low);
  ImGui::SameLine(std::max(0.0f, w - ImGui::CalcTextSize(high).x));
  ImGui::TextUnformatted(high);
}

// A history thumbnail as a grid of filled cells: the ImGui 1.86 Vulkan backend binds only its
// font texture, so images are drawn as coloured rectangles (16x16 is enough to tell faces apart).
void draw_thumbnail(const Image8* image, float side) {
  const ImVec2 p = ImGui::GetCursorScreenPos();
  if (image && !image->empty()) {
    ImDrawList* dl = ImGui::GetWindowDrawList();
    constexpr int k_cells = 16;
    const float cell = side / k_cells;
    const int c = image->channels;
    for (int y = 0; y < k_cells; ++y)
      for (int x = 0; x < k_cells; ++x) {
        const int sx = std::min(image->width - 1, (2 * x + 1) * image->width / (2 * k_cells));
        const int sy = std::min(image->height - 1, (2 * y + 1) * image->height / (2 * k_cells));
        const std::uint8_t* px =
            &image->pixels[(static_cast<std::size_t>(sy) * image->width + sx) * c];
        const ImU32 color =
            c >= 3 ? IM_COL32(px[0], px[1], px[2], 255) : IM_COL32(px[0], px[0], px[0], 255);
        dl->AddRectFilled(ImVec2(p.x + x * cell, p.y + y * cell),
                          ImVec2(p.x + (x + 1) * cell, p.y + (y + 1) * cell), color);
      }
  }
  ImGui::Dummy(ImVec2(side, side));
}

const char* state_word(pipeline::JobState s) {
  switch (s) {
    case pipeline::JobState::Queued:
      return "Queued";
    case pipeline::JobState::Running:
      return "Running";
    case pipeline::JobState::Done:
      return "Done";
    case pipeline::JobState::Failed:
      return "Failed";
    case pipeline::JobState::Cancelled:
      return "Cancelled";
  }
  return "?";
}

}  // namespace

EditorUi::EditorUi(Settings settings, std::filesystem::path settings_file, EditorUiParams params)
    : settings_(std::move(settings)), settings_file_(std::move(settings_file)), params_(params) {
  device_ = settings_.device == "cuda" ? 1 : 0;
}

pipeline::ModelSelection EditorUi::model_selection() const {
  auto opt = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::filesystem::path>(s);
  };
  pipeline::ModelSelection m;
  m.models_dir = opt(settings_.models_dir);
  m.geometry = opt(settings_.sd21);
  m.texture = opt(settings_.sd15);
  m.texture_control = opt(settings_.controlnet_depth);
  m.texture_prior = opt(settings_.texture_prior);
  m.edit = opt(settings_.ip2p);
  return m;
}

void EditorUi::add_picked_region(const std::string& name) {
  auto list = split_list(regions_);
  if (std::find(list.begin(), list.end(), name) != list.end()) return;
  regions_ += (regions_.empty() ? "" : ", ") + name;
}

EditorUiResult EditorUi::draw(runtime::Runtime& rt, const runtime::Snapshot& snap,
                              const ModelInfo& info, FaceCoefficientsState& coefficients,
                              render::ViewSettings& view) {
  EditorUiResult result;
  WidgetRegistry::instance().begin_frame();
  track_jobs(snap);
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const ImGuiWindowFlags flags =
      ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse;

  ImGui::SetNextWindowPos(ImVec2(0, 0), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(params_.left_width, display.y), ImGuiCond_Always);
  if (ImGui::Begin("FaceG2E", nullptr, flags)) {
    ImGui::Text("%.1f fps", ImGui::GetIO().Framerate);
    ImGui::SameLine();
    ImGui::TextDisabled(
        "| %s%s",
        snap.project_dir.empty() ? "untitled" : snap.project_dir.filename().string().c_str(),
        snap.dirty ? " *" : "");
    if (!notice_.empty()) text_colored(k_yellow, notice_);
    draw_guidance();
    if (ImGui::CollapsingHeader("Create a face##section", ImGuiTreeNodeFlags_DefaultOpen))
      draw_generate(rt, snap);
    if (ImGui::CollapsingHeader("Edit the face##section", ImGuiTreeNodeFlags_DefaultOpen))
      draw_edit(rt, snap, info);
    if (ImGui::CollapsingHeader("Progress##section", ImGuiTreeNodeFlags_DefaultOpen))
      draw_progress(rt, snap);
    if (ImGui::CollapsingHeader("Project##section", ImGuiTreeNodeFlags_DefaultOpen))
      draw_project(rt, snap);
    if (ImGui::CollapsingHeader("Export##section", ImGuiTreeNodeFlags_DefaultOpen)) draw_export(rt);
    if (ImGui::CollapsingHeader("Settings##section")) draw_settings(rt);
    if (ImGui::CollapsingHeader("Face sliders##section"))
      result.coefficients_changed = draw_sliders(info, coefficients);
  }
  ImGui::End();

  ImGui::SetNextWindowPos(ImVec2(display.x - params_.right_width, 0), ImGuiCond_Always);
  ImGui::SetNextWindowSize(ImVec2(params_.right_width, display.y), ImGuiCond_Always);
  if (ImGui::Begin("History and view", nullptr, flags)) {
    draw_history(rt, snap);
    ImGui::Separator();
    result.view_changed = draw_view(view, info, result);
  }
  ImGui::End();

  handle_shortcuts(rt, snap);
  result.quit = draw_close_prompt(rt, snap);
  return result;
}

void EditorUi::draw_guidance() {
  ImGui::SetNextItemWidth(-140);
  combo("Guidance", &guidance_, k_guidance_items);
  // The help sits on a "(?)" beside the combo: a tooltip on the combo itself closed its popup
  // as it opened (ImGui 1.86).
  ImGui::SameLine();
  ImGui::TextDisabled("(?)");
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip(
        "Diffusion models: Stable Diffusion for Generate, InstructPix2Pix for Edit.\n"
        "Analytic target: recover the face of a Target project (no models needed).");
  ImGui::SetNextItemWidth(-110);
  input_text("Target project", &target_project_);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("A project folder (faceg2e-cli new, or saved here) for the Analytic target");
}

void EditorUi::draw_generate(runtime::Runtime& rt, const runtime::Snapshot& snap) {
  ImGui::SetNextItemWidth(-110);
  input_text("Prompt", &prompt_);
  ImGui::SetNextItemWidth(140);
  input_int("Seed", &seed_, 0, 2147483647);
  ImGui::SameLine();
  if (button("Dice")) {
    std::random_device rd;
    seed_ = static_cast<int>(rd() & 0x7fffffff);
  }
  ImGui::SetNextItemWidth(100);
  input_int("Geometry steps", &geometry_steps_, 0, 100000);
  ImGui::SetNextItemWidth(100);
  input_int("Texture steps", &texture_steps_, 0, 100000);
  if (ImGui::TreeNodeEx("Sizes (0 = default)", ImGuiTreeNodeFlags_DefaultOpen)) {
    ImGui::SetNextItemWidth(100);
    input_int("Render size", &render_size_, 0, 4096);
    ImGui::SetNextItemWidth(100);
    input_int("VAE size", &vae_size_, 0, 4096);
    ImGui::SetNextItemWidth(100);
    input_int("Atlas size", &atlas_size_, 0, 8192);
    ImGui::TreePop();
  }
  ImGui::TextDisabled("Device: %s", settings_.device.c_str());
  int found = 0;
  for (const auto& line : snap.model_lines)
    found += line.size() < 9 || line.compare(line.size() - 9, 9, ": missing") != 0;
  char models_head[64];
  std::snprintf(models_head, sizeof models_head, "Models: %d of %d roles found###models", found,
                static_cast<int>(snap.model_lines.size()));
  if (ImGui::TreeNode(models_head)) {
    for (const auto& line : snap.model_lines) ImGui::TextWrapped("%s", line.c_str());
    ImGui::TreePop();
  }
  if (guidance_ == 0 && !snap.generate_missing.empty())
    text_colored(k_yellow, snap.generate_missing);
  if (button("Generate")) {
    runtime::GenerateRequest r;
    r.prompt = prompt_;
    r.seed = static_cast<std::uint64_t>(seed_);
    r.guidance = guidance_ == 1 ? runtime::GuidanceChoice::AnalyticTarget
                                : runtime::GuidanceChoice::DiffusionModels;
    r.target_project = target_project_;
    r.geometry_steps = geometry_steps_;
    r.texture_steps = texture_steps_;
    r.render_size = render_size_;
    r.vae_size = vae_size_;
    r.atlas_size = atlas_size_;
    rt.generate(r);
  }
}

void EditorUi::draw_edit(runtime::Runtime& rt, const runtime::Snapshot& snap,
                         const ModelInfo& info) {
  ImGui::SetNextItemWidth(-110);
  input_text("Instruction", &instruction_);
  const auto words = split_words(instruction_);
  // Keep only picked words that are still in the instruction.
  picked_words_.erase(std::remove_if(picked_words_.begin(), picked_words_.end(),
                                     [&](const std::string& w) {
                                       return std::find(words.begin(), words.end(), w) ==
                                              words.end();
                                     }),
                      picked_words_.end());
  if (!words.empty()) {
    ImGui::TextDisabled("Edited word(s):");
    for (std::size_t i = 0; i < words.size(); ++i) {
      const bool on =
          std::find(picked_words_.begin(), picked_words_.end(), words[i]) != picked_words_.end();
      if (i > 0) {
        const float next = ImGui::GetItemRectMax().x + ImGui::CalcTextSize(words[i].c_str()).x + 24;
        if (next < ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x)
          ImGui::SameLine();
      }
      if (on) ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0.8f, 0.45f, 0.1f, 1.0f));
      ImGui::PushID(static_cast<int>(i));
      if (button(words[i].c_str())) {
        if (on)
          picked_words_.erase(std::find(picked_words_.begin(), picked_words_.end(), words[i]));
        else
          picked_words_.push_back(words[i]);
      }
      ImGui::PopID();
      if (on) ImGui::PopStyleColor();
    }
  }
  ImGui::SetNextItemWidth(-110);
  combo("Scope", &scope_, k_scope_items);
  ImGui::SetNextItemWidth(-150);
  input_text("Regions", &regions_);
  if (ImGui::IsItemHovered() && !info.region_names.empty()) {
    std::string all;
    for (std::size_t i = 1; i < info.region_names.size(); ++i)
      all += (i > 1 ? ", " : "") + info.region_names[i];
    ImGui::SetTooltip("Only these regions may change (comma-separated): %s", all.c_str());
  }
  ImGui::SameLine();
  checkbox("Pick", &picking_);
  if (ImGui::IsItemHovered())
    ImGui::SetTooltip("Click on the face to add the region under the mouse");
  const auto locked = split_list(regions_);
  if (!locked.empty()) {
    std::string line = "Only these change: ";
    for (std::size_t i = 0; i < locked.size(); ++i) line += (i ? ", " : "") + locked[i];
    ImGui::PushStyleColor(ImGuiCol_Text, k_grey);
    text_wrapped(line);
    ImGui::PopStyleColor();
  } else if (picking_) {
    ImGui::TextDisabled("Click on the face to pick a region");
  }
  ImGui::SetNextItemWidth(100);
  input_int("Edit steps", &edit_steps_, 1, 100000);
  if (ImGui::TreeNode("Advanced")) {
    ImGui::SetNextItemWidth(100);
    input_double("Lambda (consistency)", &lambda_);
    ImGui::SetNextItemWidth(100);
    input_double("Text scale", &text_scale_);
    ImGui::SetNextItemWidth(100);
    input_double("Image scale", &image_scale_);
    ImGui::TextDisabled("0 = the stage default (FaceG2E: s_T 15, s_I 2)");
    ImGui::TreePop();
  }
  if (guidance_ == 0 && !snap.edit_missing.empty()) text_colored(k_yellow, snap.edit_missing);
  if (button("Apply")) {
    runtime::EditRequest r;
    r.instruction = instruction_;
    r.scope = k_scope_items[static_cast<std::size_t>(scope_)];
    r.words = picked_words_;
    r.regions = split_list(regions_);
    r.guidance = guidance_ == 1 ? runtime::GuidanceChoice::AnalyticTarget
                                : runtime::GuidanceChoice::DiffusionModels;
    r.target_project = target_project_;
    r.steps = edit_steps_;
    r.lambda = lambda_;
    r.text_scale = text_scale_;
    r.image_scale = image_scale_;
    r.render_size = render_size_;
    r.vae_size = vae_size_;
    r.atlas_size = atlas_size_;
    r.seed = static_cast<std::uint64_t>(seed_);
    rt.edit(r);
  }
}

void EditorUi::draw_progress(runtime::Runtime& rt, const runtime::Snapshot& snap) {
  const auto& p = snap.progress;
  if (snap.running) {
    char head[160];
    if (p.total > 0) {
      std::snprintf(head, sizeof head, "%s: %s %d/%d%s", snap.running->kind.c_str(),
                    p.stage.c_str(), p.step, p.total,
                    snap.stage_count > 1 ? (" (stage " + std::to_string(snap.stage_index) + " of " +
                                            std::to_string(snap.stage_count) + ")")
                                               .c_str()
                                         : "");
    } else {
      std::snprintf(head, sizeof head, "%s: starting...", snap.running->kind.c_str());
    }
    ImGui::TextUnformatted(head);
    const float fraction = p.total > 0 ? static_cast<float>(p.step) / p.total : 0.0f;
    char overlay[128];
    std::snprintf(overlay, sizeof overlay, "%d/%d  t=%d  %.2f it/s  ETA %s", p.step, p.total, p.t,
                  p.it_per_s, format_eta(p.eta_s).c_str());
    ImGui::ProgressBar(fraction, ImVec2(-1, 0), overlay);
  } else {
    ImGui::TextDisabled(snap.busy ? "Queued..." : "Idle");
    ImGui::ProgressBar(0.0f, ImVec2(-1, 0), "");
  }
  ImGui::BeginDisabled(!snap.busy);
  if (button("Cancel")) rt.cancel();
  ImGui::EndDisabled();
  if (!snap.loss_curve.empty()) {
    ImGui::SameLine();
    ImGui::Text("loss %.4g", static_cast<double>(snap.loss_curve.back()));
    ImGui::PlotLines("##loss", snap.loss_curve.data(), static_cast<int>(snap.loss_curve.size()), 0,
                     nullptr, FLT_MAX, FLT_MAX, ImVec2(-1, 60));
  }
  // The last finished jobs that matter to a person (not the models scan at start).
  for (auto it = snap.finished.rbegin(); it != snap.finished.rend(); ++it) {
    const auto& j = *it;
    const ImVec4 color = j.state == pipeline::JobState::Failed      ? k_red
                         : j.state == pipeline::JobState::Cancelled ? k_yellow
                                                                    : k_green;
    text_colored(color, std::string(state_word(j.state)) + " (" + j.kind + "): " + j.message);
    break;
  }
}

void EditorUi::draw_project(runtime::Runtime& rt, const runtime::Snapshot& snap) {
  ImGui::SetNextItemWidth(-110);
  input_text("Project folder", &project_field_);
  if (button("New")) rt.new_document();
  ImGui::SameLine();
  if (button("Open")) {
    if (project_field_.empty()) {
      notice_ = "Type a Project folder to open";
    } else {
      pending_projects_.push_back({rt.open(project_field_), project_field_});
    }
  }
  ImGui::SameLine();
  if (button("Save")) {
    if (snap.project_dir.empty() && project_field_.empty()) {
      notice_ = "Type a Project folder to save into (Save As)";
    } else if (snap.project_dir.empty()) {
      pending_projects_.push_back({rt.save(std::filesystem::path(project_field_)), project_field_});
    } else {
      rt.save();
    }
  }
  ImGui::SameLine();
  if (button("Save As")) {
    if (project_field_.empty())
      notice_ = "Type a Project folder to save into";
    else
      pending_projects_.push_back({rt.save(std::filesystem::path(project_field_)), project_field_});
  }
  if (!settings_.recent_projects.empty() && ImGui::TreeNode("Recent projects")) {
    for (const auto& r : settings_.recent_projects)
      if (selectable(r.c_str(), r == project_field_)) project_field_ = r;
    ImGui::TreePop();
  }
}

void EditorUi::draw_export(runtime::Runtime& rt) {
  ImGui::SetNextItemWidth(-110);
  input_text("Export folder", &export_field_);
  ImGui::SetNextItemWidth(80);
  combo("Texture size", &export_size_, k_export_sizes);
  checkbox("Include W map", &export_weights_);
  ImGui::SameLine();
  checkbox("Include history", &export_history_);
  if (button("Export")) {
    runtime::ExportRequest r;
    r.out_dir = export_field_;
    r.texture_size = 1024 << export_size_;
    r.include_weights = export_weights_;
    r.include_history = export_history_;
    rt.export_face(r);
  }
}

void EditorUi::draw_settings(runtime::Runtime& rt) {
  ImGui::TextDisabled("%s", settings_file_.string().c_str());
  ImGui::SetNextItemWidth(-130);
  input_text("Models folder", &settings_.models_dir);
  ImGui::SetNextItemWidth(-130);
  input_text("SD 2.x (geometry)", &settings_.sd21);
  ImGui::SetNextItemWidth(-130);
  input_text("SD 1.x (texture)", &settings_.sd15);
  ImGui::SetNextItemWidth(-130);
  input_text("ControlNet depth", &settings_.controlnet_depth);
  ImGui::SetNextItemWidth(-130);
  input_text("UV texture prior", &settings_.texture_prior);
  ImGui::SetNextItemWidth(-130);
  input_text("InstructPix2Pix", &settings_.ip2p);
  ImGui::SetNextItemWidth(100);
  if (combo("Device", &device_, k_devices))
    settings_.device = k_devices[static_cast<std::size_t>(device_)];
  ImGui::SetNextItemWidth(150);
  if (slider_float("UI scale", &settings_.ui_scale, 0.75f, 3.0f))
    ImGui::GetIO().FontGlobalScale = settings_.ui_scale;
  if (button("Apply settings")) {
    try {
      save_settings(settings_file_, settings_);
      notice_.clear();
    } catch (const std::exception& e) {
      notice_ = e.what();
    }
    rt.load_models(model_selection());
  }
}

bool EditorUi::draw_sliders(const ModelInfo& info, FaceCoefficientsState& c) {
  bool changed = false;
  ImGui::TextDisabled("Preview only: sliders do not change the history");
  ImGui::Checkbox("Show all identity modes", &show_all_identity_);
  const int count = show_all_identity_
                        ? static_cast<int>(c.identity.size())
                        : std::min(params_.identity_sliders, static_cast<int>(c.identity.size()));
  for (int i = 0; i < count; ++i) {
    const std::string label = i < static_cast<int>(info.identity_names.size())
                                  ? info.identity_names[static_cast<std::size_t>(i)]
                                  : "identity " + std::to_string(i);
    changed |= ImGui::SliderFloat(label.c_str(), &c.identity[static_cast<std::size_t>(i)],
                                  -params_.identity_range, params_.identity_range, "%.2f");
  }
  for (std::size_t j = 0; j < c.expression.size(); ++j) {
    const std::string name = j < info.expression_names.size() ? info.expression_names[j]
                                                              : "expression " + std::to_string(j);
    changed |= ImGui::SliderFloat(name.c_str(), &c.expression[j], 0.0f, 1.0f, "%.2f");
  }
  return changed;
}

void EditorUi::draw_history(runtime::Runtime& rt, const runtime::Snapshot& snap) {
  ImGui::TextUnformatted("History");
  ImGui::SameLine();
  ImGui::BeginDisabled(snap.cursor <= 0);
  if (button("Undo")) rt.undo();
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::BeginDisabled(snap.cursor + 1 >= static_cast<int>(snap.history.size()));
  if (button("Redo")) rt.redo();
  ImGui::EndDisabled();
  char count[48];
  std::snprintf(count, sizeof count, "%d entries", static_cast<int>(snap.history.size()));
  ImGui::SameLine();
  ImGui::TextDisabled("%s", count);
  if (ImGui::BeginChild("history_rows", ImVec2(0, 260), true)) {
    if (snap.history.empty()) ImGui::TextDisabled("Nothing yet: Generate, or Open a project");
    for (int i = 0; i < static_cast<int>(snap.history.size()); ++i) {
      const auto& row = snap.history[static_cast<std::size_t>(i)];
      const bool after = i > snap.cursor;
      if (after) ImGui::PushStyleColor(ImGuiCol_Text, k_grey);
      char label[512];
      std::snprintf(label, sizeof label, "%d %s: %s", i + 1, row.kind.c_str(), row.text.c_str());
      const std::string time = row.time.size() >= 19 ? row.time.substr(11, 8) : row.time;
      constexpr float k_thumb = 32.0f;
      draw_thumbnail(row.thumbnail.get(), k_thumb);
      ImGui::SameLine();
      ImGui::PushID(i);
      const float time_w = ImGui::CalcTextSize(time.c_str()).x;
      const float row_w = std::max(
          40.0f, ImGui::GetContentRegionAvail().x - time_w - ImGui::GetStyle().ItemSpacing.x);
      if (selectable(label, i == snap.cursor, 0, ImVec2(row_w, k_thumb)) && i != snap.cursor)
        rt.go_to(i);
      ImGui::PopID();
      ImGui::SameLine();
      ImGui::TextDisabled("%s", time.c_str());
      if (after) ImGui::PopStyleColor();
    }
  }
  ImGui::EndChild();
}

bool EditorUi::draw_view(render::ViewSettings& view, const ModelInfo& info,
                         EditorUiResult& result) {
  bool changed = false;
  int shading = static_cast<int>(view.shading);
  changed |= radio("Textured", &shading, static_cast<int>(render::ShadingMode::textured));
  ImGui::SameLine();
  changed |= radio("Grey", &shading, static_cast<int>(render::ShadingMode::grey));
  ImGui::SameLine();
  changed |= radio("Normals", &shading, static_cast<int>(render::ShadingMode::normals));
  view.shading = static_cast<render::ShadingMode>(shading);
  ImGui::SetNextItemWidth(-70);
  if (combo("Overlay", &overlay_, k_overlay_items)) changed = true;
  switch (overlay()) {
    case OverlayChoice::None:
      view.overlay = render::OverlayMode::none;
      break;
    case OverlayChoice::RegionLabels:
      view.overlay = render::OverlayMode::region_labels;
      break;
    default:
      view.overlay = render::OverlayMode::scalar_map;
      break;
  }
  ImGui::SetNextItemWidth(-70);
  changed |= slider_float("Opacity", &view.overlay_opacity, 0.0f, 1.0f);
  if (overlay() == OverlayChoice::ConsistencyWeight) {
    heat_legend("0 free (edited)", "1 frozen");
  } else if (overlay() == OverlayChoice::Attention) {
    heat_legend("0 no attention", "1 most");
  } else if (overlay() == OverlayChoice::RegionLabels) {
    for (std::size_t i = 1; i < info.region_names.size() && i < info.region_colors.size(); ++i) {
      const auto& c = info.region_colors[i];
      ImGui::ColorButton(("##rc" + std::to_string(i)).c_str(),
                         ImVec4(c[0] / 255.0f, c[1] / 255.0f, c[2] / 255.0f, 1.0f),
                         ImGuiColorEditFlags_NoTooltip, ImVec2(10, 10));
      ImGui::SameLine();
      ImGui::TextUnformatted(info.region_names[i].c_str());
    }
  }
  if (button("Reset camera")) result.reset_camera = true;
  return changed;
}

void EditorUi::handle_shortcuts(runtime::Runtime& rt, const runtime::Snapshot& snap) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;  // a text field has the keys (its own undo)
  if (!io.KeyCtrl) return;
  const bool z = ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Z), false);
  const bool y = ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Y), false);
  const bool s = params_.key_s >= 0 && ImGui::IsKeyPressed(params_.key_s, false);
  if (z && !io.KeyShift) rt.undo();
  if ((z && io.KeyShift) || y) rt.redo();
  if (s) {
    if (!snap.project_dir.empty())
      rt.save();
    else if (!project_field_.empty())
      pending_projects_.push_back({rt.save(std::filesystem::path(project_field_)), project_field_});
    else
      notice_ = "Type a Project folder to save into";
  }
}

void EditorUi::track_jobs(const runtime::Snapshot& snap) {
  for (auto it = pending_projects_.begin(); it != pending_projects_.end();) {
    const auto done = std::find_if(snap.finished.begin(), snap.finished.end(),
                                   [&](const runtime::JobInfo& j) { return j.id == it->job; });
    if (done == snap.finished.end()) {
      ++it;
      continue;
    }
    if (done->state == pipeline::JobState::Done) {
      add_recent(settings_, it->dir);
      try {
        save_settings(settings_file_, settings_);
      } catch (const std::exception& e) {
        notice_ = e.what();
      }
    }
    it = pending_projects_.erase(it);
  }
}

bool EditorUi::draw_close_prompt(runtime::Runtime& rt, const runtime::Snapshot& snap) {
  if (quit_) return true;
  if (close_after_save_) {
    for (const auto& j : snap.finished)
      if (j.id == *close_after_save_) {
        close_after_save_.reset();
        if (j.state == pipeline::JobState::Done) return quit_ = true;
        notice_ = "Not saved: " + j.message;
      }
  }
  if (close_requested_) {
    close_requested_ = false;
    if (!snap.dirty) return quit_ = true;
    ImGui::OpenPopup("Unsaved changes");
  }
  bool quit = false;
  if (ImGui::BeginPopupModal("Unsaved changes", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::TextUnformatted("The project has changes that are not saved.");
    const std::string dir = !snap.project_dir.empty() ? snap.project_dir.string() : project_field_;
    ImGui::BeginDisabled(dir.empty());
    if (button("Save and quit")) {
      close_after_save_ = rt.save(std::filesystem::path(dir));
      ImGui::CloseCurrentPopup();
    }
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (button("Quit without saving")) {
      quit = quit_ = true;
      ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (button("Keep editing")) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
  }
  return quit;
}

}  // namespace faceg2e::ui
