#include "app/gui/gui_app.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>
#include <imgui.h>

#include <glm/glm.hpp>

#include "app/gui/face_scene.h"
#include "app/gui/imgui_vulkan_backend.h"
#include "app/gui/script_player.h"
#include "core/runtime/runtime.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/image_io.h"
#include "render/context.h"
#include "render/frame_presenter.h"
#include "render/mesh_renderer.h"
#include "render/orbit_camera.h"
#include "render/vk_check.h"
#include "ui/editor_ui.h"
#include "ui/settings.h"
#include "ui/widget_registry.h"

namespace faceg2e::gui {

namespace {

// GLFW's global state, owned for the life of the window.
class GlfwSession {
 public:
  GlfwSession() {
    glfwSetErrorCallback(
        [](int code, const char* text) { std::fprintf(stderr, "[glfw %d] %s\n", code, text); });
    if (!glfwInit())
      throw Error(
          "cannot open a window: GLFW failed to initialise (no display? set DISPLAY or run under "
          "xvfb-run -a)");
    if (!glfwVulkanSupported()) {
      glfwTerminate();
      throw Error("cannot open a window: GLFW found no Vulkan loader");
    }
  }
  ~GlfwSession() { glfwTerminate(); }
  GlfwSession(const GlfwSession&) = delete;
  GlfwSession& operator=(const GlfwSession&) = delete;
};

struct WindowDeleter {
  void operator()(GLFWwindow* w) const { glfwDestroyWindow(w); }
};

VkExtent2D framebuffer_size(GLFWwindow* window) {
  int w = 0, h = 0;
  glfwGetFramebufferSize(window, &w, &h);
  return {static_cast<std::uint32_t>(std::max(w, 0)), static_cast<std::uint32_t>(std::max(h, 0))};
}

bool inside(const VkRect2D& r, float x, float y) {
  return x >= r.offset.x && y >= r.offset.y &&
         x < r.offset.x + static_cast<float>(r.extent.width) &&
         y < r.offset.y + static_cast<float>(r.extent.height);
}

// Mouse gestures over the viewport (not over the panels): left drag rotates, right or middle
// drag pans, the wheel zooms. `viewport` is in framebuffer pixels, ImGui's mouse in window
// units: `fb_scale` converts.
void handle_camera_input(render::OrbitCamera& camera, const VkRect2D& viewport, float fb_scale,
                         bool picking) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantCaptureMouse) return;
  const float mx = io.MousePos.x * fb_scale, my = io.MousePos.y * fb_scale;
  if (io.MouseDown[0] && !picking) camera.rotate(io.MouseDelta.x, io.MouseDelta.y);
  if (io.MouseDown[1] || io.MouseDown[2])
    camera.pan(io.MouseDelta.x * fb_scale, io.MouseDelta.y * fb_scale,
               static_cast<float>(viewport.extent.height));
  if (inside(viewport, mx, my) && io.MouseWheel != 0.0f) camera.zoom(io.MouseWheel);
}

// The region under a viewport click: the front-most vertex within a few pixels of it, through
// the same view-projection the renderer uses. Empty when the click misses the face.
std::string pick_region(const FaceScene& scene, const render::DrawView& dv, float x, float y) {
  const face::RegionLabels* regions = scene.assets().region_labels();
  const std::vector<float>& p = scene.positions();
  if (!regions || p.empty()) return {};
  constexpr float k_pick_radius_px = 8.0f;
  const float w = static_cast<float>(dv.viewport.extent.width);
  const float h = static_cast<float>(dv.viewport.extent.height);
  float best_depth = 2.0f;
  int best = -1;
  for (std::size_t v = 0; v * 3 < p.size(); ++v) {
    const int label = regions->vertex_labels[v];
    if (label == 0) continue;
    const glm::vec4 c = dv.view_projection * glm::vec4(p[3 * v], p[3 * v + 1], p[3 * v + 2], 1.0f);
    if (c.w <= 0) continue;
    const float sx = dv.viewport.offset.x + (c.x / c.w + 1.0f) * 0.5f * w;
    const float sy = dv.viewport.offset.y + (c.y / c.w + 1.0f) * 0.5f * h;
    const float d2 = (sx - x) * (sx - x) + (sy - y) * (sy - y);
    if (d2 > k_pick_radius_px * k_pick_radius_px) continue;
    if (c.z / c.w < best_depth) {
      best_depth = c.z / c.w;
      best = static_cast<int>(v);
    }
  }
  if (best < 0) return {};
  const int label = regions->vertex_labels[static_cast<std::size_t>(best)];
  return label < static_cast<int>(regions->names.size())
             ? regions->names[static_cast<std::size_t>(label)]
             : std::string();
}

// Script key names -> GLFW key codes (io.KeysDown indices under the GLFW backend).
int glfw_key(const std::string& name) {
  if (name.size() == 1) {
    const char c = name[0];
    if (c >= 'a' && c <= 'z') return GLFW_KEY_A + (c - 'a');
    if (c >= '0' && c <= '9') return GLFW_KEY_0 + (c - '0');
  }
  static const std::vector<std::pair<const char*, int>> named = {{"enter", GLFW_KEY_ENTER},
                                                                 {"return", GLFW_KEY_ENTER},
                                                                 {"escape", GLFW_KEY_ESCAPE},
                                                                 {"esc", GLFW_KEY_ESCAPE},
                                                                 {"tab", GLFW_KEY_TAB},
                                                                 {"space", GLFW_KEY_SPACE},
                                                                 {"backspace", GLFW_KEY_BACKSPACE},
                                                                 {"delete", GLFW_KEY_DELETE},
                                                                 {"up", GLFW_KEY_UP},
                                                                 {"down", GLFW_KEY_DOWN},
                                                                 {"left", GLFW_KEY_LEFT},
                                                                 {"right", GLFW_KEY_RIGHT},
                                                                 {"home", GLFW_KEY_HOME},
                                                                 {"end", GLFW_KEY_END},
                                                                 {"ctrl", GLFW_KEY_LEFT_CONTROL},
                                                                 {"shift", GLFW_KEY_LEFT_SHIFT},
                                                                 {"alt", GLFW_KEY_LEFT_ALT},
                                                                 {"super", GLFW_KEY_LEFT_SUPER}};
  for (const auto& [n, code] : named)
    if (name == n) return code;
  return -1;
}

// Idle policy (instant-ngp: skip the render when nothing changed): after this many frames
// without input or changes, block for events, redrawing at least this often.
constexpr int k_idle_frames_before_wait = 4;
constexpr double k_idle_redraw_seconds = 0.5;

bool had_input() {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.MouseDelta.x != 0.0f || io.MouseDelta.y != 0.0f || io.MouseWheel != 0.0f ||
      io.MouseWheelH != 0.0f)
    return true;
  for (bool down : io.MouseDown)
    if (down) return true;
  for (bool down : io.KeysDown)
    if (down) return true;
  return !io.InputQueueCharacters.empty();
}

// Waits (drawing nothing) until the runtime is idle; for start-up commands of non-interactive
// runs.
void wait_idle(const runtime::Runtime& rt) {
  while (rt.busy()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

const runtime::JobInfo* last_finished(const runtime::Snapshot& s, const std::string& kind) {
  for (auto it = s.finished.rbegin(); it != s.finished.rend(); ++it)
    if (it->kind == kind) return &*it;
  return nullptr;
}

}  // namespace

int run_gui(std::shared_ptr<const face::FaceAssets> assets, const GuiOptions& options) {
  if (options.width <= 0 || options.height <= 0 || options.width > 16384 || options.height > 16384)
    throw Error("window size " + std::to_string(options.width) + "x" +
                std::to_string(options.height) + " is out of range (1..16384)");
  std::unique_ptr<ScriptPlayer> script;
  if (!options.script.empty()) {
    ScriptHost host;
    script = std::make_unique<ScriptPlayer>(options.script, host);  // parse errors stop here
  }

  std::string settings_error;
  const std::filesystem::path settings_file = ui::settings_path();
  ui::Settings settings = ui::load_settings(settings_file, &settings_error);
  if (!settings_error.empty()) std::fprintf(stderr, "faceg2e: %s\n", settings_error.c_str());
  if (options.models_dir) settings.models_dir = options.models_dir->string();
  if (!options.device.empty()) settings.device = options.device;

  GlfwSession glfw;
  glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
  std::unique_ptr<GLFWwindow, WindowDeleter> window(
      glfwCreateWindow(options.width, options.height, "FaceG2E", nullptr, nullptr));
  if (!window)
    throw Error("cannot open a window of " + std::to_string(options.width) + "x" +
                std::to_string(options.height));

  render::ContextOptions context_options;
  std::uint32_t ext_count = 0;
  const char** exts = glfwGetRequiredInstanceExtensions(&ext_count);
  for (std::uint32_t i = 0; i < ext_count; ++i)
    context_options.instance_extensions.emplace_back(exts[i]);
  GLFWwindow* raw_window = window.get();
  context_options.create_surface = [raw_window](VkInstance instance) {
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    FACEG2E_VK_CHECK(glfwCreateWindowSurface(instance, raw_window, nullptr, &surface));
    return surface;
  };
  render::Context context(context_options);
  const int msaa =
      options.msaa_samples > 0 ? options.msaa_samples : (context.is_cpu_device() ? 1 : 4);
  render::FramePresenter presenter(
      context, [raw_window] { return framebuffer_size(raw_window); },
      static_cast<VkSampleCountFlagBits>(msaa));
  std::fprintf(stderr, "faceg2e: Vulkan device %s, %dx MSAA, validation %s\n",
               context.device_name().c_str(), static_cast<int>(presenter.samples()),
               context.validation_enabled() ? "on" : "off");

  int exit_code = 0;
  {
    render::MeshRenderer renderer(context, presenter.render_pass(), presenter.samples());
    ImGuiVulkanBackend imgui(raw_window, context, presenter);
    ImGui::GetIO().FontGlobalScale = settings.ui_scale;
    FaceScene scene(assets);
    scene.upload_all(renderer);
    ui::ModelInfo info = scene.info();
    if (const face::RegionLabels* r = assets->region_labels()) {
      info.region_names = r->names;
      for (const auto& c : r->colors) info.region_colors.push_back({c[0], c[1], c[2]});
    }
    std::vector<float> given_weights;
    int given_weights_size = 0;
    if (!options.weight_map.empty()) {
      const Image8 weights = read_image(options.weight_map, 1);
      given_weights.resize(weights.pixels.size());
      for (std::size_t i = 0; i < given_weights.size(); ++i)
        given_weights[i] = weights.pixels[i] / 255.0f;
      given_weights_size = weights.width;
    }
    render::OrbitCamera camera;
    camera.frame(renderer.bounds_min(), renderer.bounds_max());
    camera.set_angles(glm::radians(options.view_yaw_deg), glm::radians(options.view_pitch_deg));

    ui::EditorUiParams ui_params;
    ui_params.key_s = GLFW_KEY_S;
    ui::EditorUi editor(settings, settings_file, ui_params);
    if (!settings_error.empty()) editor.set_notice(settings_error);
    render::ViewSettings view = options.view;
    if (options.initial_overlay == "regions") editor.set_overlay(ui::OverlayChoice::RegionLabels);
    if (options.initial_overlay == "weights")
      editor.set_overlay(ui::OverlayChoice::ConsistencyWeight);

    runtime::RuntimeParams rp;
    rp.assets = assets;
    rp.models = editor.model_selection();
    rp.device = settings.device;
    runtime::Runtime rt(rp);

    if (!options.project.empty()) {
      editor.set_project_field(options.project.string());
      rt.open(options.project);
    }
    if (!options.export_path.empty()) {
      // The same path as the button: failures are reported, never fatal.
      runtime::ExportRequest r;
      // A folder, or a .obj / .glb file name that picks one format (the runtime's export).
      r.out_dir = options.export_path;
      r.include_history = false;
      rt.export_face(r);
      wait_idle(rt);
      const runtime::JobInfo* j = last_finished(*rt.snapshot(), "export");
      const bool ok = j && j->state == pipeline::JobState::Done;
      std::fprintf(stderr, "faceg2e: export %s: %s\n", ok ? "done" : "failed",
                   j ? j->message.c_str() : "no result");
    }

    if (script) {
      ScriptHost host;
      host.busy = [&rt] { return rt.busy(); };
      host.history_size = [&rt] { return static_cast<int>(rt.snapshot()->history.size()); };
      host.key_code = glfw_key;
      script = std::make_unique<ScriptPlayer>(options.script, host);
    }

    struct FrameRow {
      double time_s, frame_ms;
      bool job_running;
    };
    std::vector<FrameRow> frame_rows;
    const auto t_start = std::chrono::steady_clock::now();
    auto last_frame = t_start;

    int frames_drawn = 0;
    constexpr int k_warmup_frames = 5;
    auto warm_start = std::chrono::steady_clock::now();
    bool coefficients_dirty = false;
    const bool continuous =
        options.screenshot || options.max_frames > 0 || script || !options.frame_log.empty();
    int idle_frames = 0;
    std::uint64_t seen_generation = presenter.swapchain_generation();
    std::uint64_t seen_face = 0, seen_live = 0;
    const session::FloatImage* shown_map = nullptr;
    ui::OverlayChoice shown_overlay = ui::OverlayChoice::None;
    bool given_map_shown = false;
    bool quit = false;
    while (!quit) {
      if (glfwWindowShouldClose(raw_window)) {
        glfwSetWindowShouldClose(raw_window, GLFW_FALSE);
        if (continuous) break;  // scripts, screenshots and timed runs just end
        editor.request_close();
      }
      const auto snap = rt.snapshot();
      const bool busy = snap->busy || rt.busy();
      if (!continuous && !busy && idle_frames >= k_idle_frames_before_wait)
        glfwWaitEventsTimeout(k_idle_redraw_seconds);
      else
        glfwPollEvents();
      const VkExtent2D size = framebuffer_size(raw_window);
      if (size.width == 0 || size.height == 0) {
        glfwWaitEventsTimeout(0.1);  // minimised: sleep until something happens
        continue;
      }

      // The document's face, or the running stage's: the renderer never waits for the worker.
      bool scene_changed = false;
      if (snap->live && snap->live_serial != seen_live) {
        scene.show_live(renderer, *snap->live);
        seen_live = snap->live_serial;
        scene_changed = true;
      } else if (!snap->live && (snap->face_serial != seen_face || seen_live != 0)) {
        // A new document face, or a run just ended (a failed or cancelled one leaves the face
        // of the document, not its last preview).
        scene.show_state(renderer, snap->face.get());
        seen_face = snap->face_serial;
        seen_live = 0;
        scene_changed = true;
      }
      if (coefficients_dirty) {
        scene.upload_shape(renderer);
        coefficients_dirty = false;
      }
      // The overlay's scalar map: W or the attention of the cursor entry / running edit.
      const ui::OverlayChoice overlay = editor.overlay();
      const session::FloatImage* map =
          overlay == ui::OverlayChoice::ConsistencyWeight ? snap->weights.get()
          : overlay == ui::OverlayChoice::Attention       ? snap->attention.get()
                                                          : nullptr;
      if (map != shown_map || overlay != shown_overlay) {
        if (map && !map->empty()) {
          std::vector<float> values(static_cast<std::size_t>(map->width) * map->height);
          for (std::size_t i = 0; i < values.size(); ++i)
            values[i] = map->data[i * static_cast<std::size_t>(map->channels)];
          renderer.set_scalar_map(values.data(), static_cast<std::uint32_t>(map->width),
                                  static_cast<std::uint32_t>(map->height));
          given_map_shown = false;
        } else if (!given_weights.empty() && overlay == ui::OverlayChoice::ConsistencyWeight) {
          if (!given_map_shown)
            renderer.set_scalar_map(given_weights.data(),
                                    static_cast<std::uint32_t>(given_weights_size),
                                    static_cast<std::uint32_t>(given_weights_size));
          given_map_shown = true;
        } else {
          // No map yet: W is 1 (frozen) everywhere, attention 0.
          const float none = overlay == ui::OverlayChoice::Attention ? 0.0f : 1.0f;
          renderer.set_scalar_map(&none, 1, 1);
          given_map_shown = false;
        }
        shown_map = map;
        shown_overlay = overlay;
      }

      const double now_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
      imgui.new_frame([&] {
        if (script) script->feed_input(ImGui::GetIO(), ui::WidgetRegistry::instance(), now_s);
      });
      const auto result = editor.draw(rt, *snap, info, scene.coefficients(), view);
      coefficients_dirty = result.coefficients_changed;
      if (result.quit) quit = true;
      if (result.reset_camera) camera.frame(renderer.bounds_min(), renderer.bounds_max());
      const float fb_scale = ImGui::GetIO().DisplayFramebufferScale.x > 0
                                 ? ImGui::GetIO().DisplayFramebufferScale.x
                                 : 1.0f;
      const std::uint32_t left_px =
          std::min(size.width - 1, static_cast<std::uint32_t>(editor.left_width() * fb_scale));
      const std::uint32_t right_px = std::min(
          size.width - 1 - left_px, static_cast<std::uint32_t>(editor.right_width() * fb_scale));
      const VkRect2D viewport{{static_cast<std::int32_t>(left_px), 0},
                              {std::max(1u, size.width - left_px - right_px), size.height}};
      handle_camera_input(camera, viewport, fb_scale, editor.picking());
      const render::DrawView draw_view = render::make_draw_view(camera, viewport, view);
      {
        const ImGuiIO& io = ImGui::GetIO();
        const float mx = io.MousePos.x * fb_scale, my = io.MousePos.y * fb_scale;
        if (editor.picking() && !io.WantCaptureMouse && io.MouseClicked[0] &&
            inside(viewport, mx, my)) {
          const std::string region = pick_region(scene, draw_view, mx, my);
          if (!region.empty()) editor.add_picked_region(region);
        }
      }
      const bool active = had_input() || result.coefficients_changed || result.view_changed ||
                          result.reset_camera || scene_changed;
      idle_frames = active ? 0 : idle_frames + 1;
      ImGui::Render();

      VkCommandBuffer cmd = presenter.begin_frame();
      if (presenter.swapchain_generation() != seen_generation) {
        seen_generation = presenter.swapchain_generation();
        imgui.on_swapchain_recreated(presenter);
      }
      if (cmd == VK_NULL_HANDLE) continue;  // swapchain re-created or minimised: next iteration
      renderer.record_uploads(cmd);
      presenter.begin_render_pass(
          {view.background[0], view.background[1], view.background[2], 1.0f});
      renderer.draw(cmd, draw_view, view);
      imgui.render(cmd);
      presenter.end_render_pass();
      ++frames_drawn;
      if (frames_drawn == 2 && options.resize_width > 0 && options.resize_height > 0)
        glfwSetWindowSize(raw_window, options.resize_width, options.resize_height);
      if (frames_drawn == k_warmup_frames) warm_start = std::chrono::steady_clock::now();
      std::optional<std::filesystem::path> script_shot =
          script ? script->take_screenshot_request() : std::nullopt;
      const bool capture =
          (options.screenshot && frames_drawn >= options.screenshot_frames) || script_shot;
      auto shot = presenter.end_frame(capture);
      if (capture) {
        std::string error;
        if (!shot || shot->empty()) {
          error =
              "the window surface does not allow reading its images back; cannot take a "
              "screenshot";
        } else {
          const std::filesystem::path path = script_shot ? *script_shot : *options.screenshot;
          try {
            write_png(path, *shot);
            std::fprintf(stderr, "faceg2e: wrote %s (%dx%d)\n", path.string().c_str(), shot->width,
                         shot->height);
          } catch (const std::exception& e) {
            error = e.what();
          }
        }
        if (script_shot) {
          script->screenshot_done(error);
        } else {
          if (!error.empty()) throw Error(error);
          break;
        }
      }
      const auto frame_end = std::chrono::steady_clock::now();
      if (!options.frame_log.empty())
        frame_rows.push_back(
            {std::chrono::duration<double>(frame_end - t_start).count(),
             std::chrono::duration<double, std::milli>(frame_end - last_frame).count(), busy});
      last_frame = frame_end;
      if (options.max_frames > 0 && frames_drawn >= options.max_frames) break;
      if (script && script->finished()) {
        exit_code = script->exit_code();
        break;
      }
    }
    context.wait_idle();
    if (!options.frame_log.empty()) {
      std::ostringstream csv;
      csv << "time_s,frame_ms,job_running\n";
      char row[96];
      for (const auto& r : frame_rows) {
        std::snprintf(row, sizeof row, "%.4f,%.3f,%d\n", r.time_s, r.frame_ms,
                      r.job_running ? 1 : 0);
        csv << row;
      }
      write_file_atomic(options.frame_log, csv.str());
    }
    if (frames_drawn > k_warmup_frames + 1) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - warm_start).count();
      std::fprintf(stderr, "faceg2e: %d frames at %ux%u, %.1f fps after warm-up\n", frames_drawn,
                   presenter.extent().width, presenter.extent().height,
                   (frames_drawn - k_warmup_frames) / std::max(seconds, 1e-9));
    }
  }
  if (context.validation_enabled())
    std::fprintf(stderr, "faceg2e: %d Vulkan validation errors\n",
                 context.validation_error_count());
  return exit_code;
}

}  // namespace faceg2e::gui
