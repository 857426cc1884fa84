#include "app/gui/gui_app.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>
#include <imgui.h>

#include "app/gui/face_scene.h"
#include "app/gui/imgui_vulkan_backend.h"
#include "core/util/error.h"
#include "core/util/image_io.h"
#include "render/context.h"
#include "render/frame_presenter.h"
#include "render/mesh_renderer.h"
#include "render/orbit_camera.h"
#include "render/vk_check.h"
#include "ui/editor_panel.h"

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

// Mouse gestures over the viewport (not over the panel): left drag rotates, right or middle
// drag pans, the wheel zooms.
// `viewport` is in framebuffer pixels, ImGui's mouse in window units: `fb_scale` converts.
void handle_camera_input(render::OrbitCamera& camera, const VkRect2D& viewport, float fb_scale) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantCaptureMouse) return;
  const float mx = io.MousePos.x * fb_scale, my = io.MousePos.y * fb_scale;
  const bool inside = mx >= viewport.offset.x && my >= viewport.offset.y &&
                      mx < viewport.offset.x + static_cast<float>(viewport.extent.width) &&
                      my < viewport.offset.y + static_cast<float>(viewport.extent.height);
  if (io.MouseDown[0]) camera.rotate(io.MouseDelta.x, io.MouseDelta.y);
  if (io.MouseDown[1] || io.MouseDown[2])
    camera.pan(io.MouseDelta.x * fb_scale, io.MouseDelta.y * fb_scale,
               static_cast<float>(viewport.extent.height));
  if (inside && io.MouseWheel != 0.0f) camera.zoom(io.MouseWheel);
}

// Whether this frame saw any user input (ImGui keeps hover and animation state for a few frames
// after it, so the caller waits a little before going idle).
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

// Idle policy (instant-ngp: skip the render when nothing changed): after this many frames
// without input or changes, block for events, redrawing at least this often.
constexpr int k_idle_frames_before_wait = 4;
constexpr double k_idle_redraw_seconds = 0.5;

}  // namespace

int run_gui(face::FaceModel model, const GuiOptions& options) {
  if (options.width <= 0 || options.height <= 0 || options.width > 16384 || options.height > 16384)
    throw Error("window size " + std::to_string(options.width) + "x" +
                std::to_string(options.height) + " is out of range (1..16384)");
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

  {
    render::MeshRenderer renderer(context, presenter.render_pass(), presenter.samples());
    ImGuiVulkanBackend imgui(raw_window, context, presenter);
    FaceScene scene(std::move(model));
    for (const auto& warning : scene.warnings())
      std::fprintf(stderr, "faceg2e: warning: %s\n", warning.c_str());
    scene.upload_all(renderer);
    if (!options.weight_map.empty()) {
      const Image8 weights = read_image(options.weight_map, 1);
      std::vector<float> values(weights.pixels.size());
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = weights.pixels[i] / 255.0f;
      renderer.set_scalar_map(values.data(), static_cast<std::uint32_t>(weights.width),
                              static_cast<std::uint32_t>(weights.height));
    }
    render::OrbitCamera camera;
    camera.frame(renderer.bounds_min(), renderer.bounds_max());
    camera.set_angles(glm::radians(options.view_yaw_deg), glm::radians(options.view_pitch_deg));

    ui::EditorPanel panel;
    render::ViewSettings view = options.view;
    ui::ExportState export_state;
    const ui::ExportFn export_fn = [&scene](const std::string& path) {
      return scene.export_obj(path);
    };

    if (!options.export_path.empty()) {
      // The same path as the button: failures are reported, never fatal.
      try {
        export_state.status = export_fn(options.export_path);
        export_state.status_is_error = false;
      } catch (const std::exception& e) {
        export_state.status = e.what();
        export_state.status_is_error = true;
      }
      std::fprintf(stderr, "faceg2e: export %s: %s\n",
                   export_state.status_is_error ? "failed" : "done", export_state.status.c_str());
    }

    int frames_drawn = 0;
    // Steady-state frame rate, printed at exit: the first frames pay for pipeline and font setup.
    constexpr int k_warmup_frames = 5;
    auto warm_start = std::chrono::steady_clock::now();
    bool coefficients_dirty = false;
    // Screenshots and timed runs draw continuously; an interactive window rests when idle.
    const bool interactive = !options.screenshot && options.max_frames == 0;
    int idle_frames = 0;
    std::uint64_t seen_generation = presenter.swapchain_generation();
    while (!glfwWindowShouldClose(raw_window)) {
      if (interactive && idle_frames >= k_idle_frames_before_wait)
        glfwWaitEventsTimeout(k_idle_redraw_seconds);
      else
        glfwPollEvents();
      const VkExtent2D size = framebuffer_size(raw_window);
      if (size.width == 0 || size.height == 0) {
        glfwWaitEventsTimeout(0.1);  // minimised: sleep until something happens
        continue;
      }
      // Re-assembling the mesh is the expensive part of a slider drag: once per frame at most.
      if (coefficients_dirty) {
        scene.upload_shape(renderer);
        coefficients_dirty = false;
      }

      imgui.new_frame();
      const auto result =
          panel.draw(scene.info(), scene.coefficients(), view, export_state, export_fn,
                     ImGui::GetIO().DisplaySize.y);  // window units
      coefficients_dirty = result.coefficients_changed;
      if (result.reset_camera) camera.frame(renderer.bounds_min(), renderer.bounds_max());
      // The panel is laid out in window units; the viewport is in framebuffer pixels (HiDPI).
      const float fb_scale = ImGui::GetIO().DisplayFramebufferScale.x > 0
                                 ? ImGui::GetIO().DisplayFramebufferScale.x
                                 : 1.0f;
      const std::uint32_t panel_px =
          std::min(size.width - 1, static_cast<std::uint32_t>(panel.width() * fb_scale));
      const VkRect2D viewport{{static_cast<std::int32_t>(panel_px), 0},
                              {size.width - panel_px, size.height}};
      handle_camera_input(camera, viewport, fb_scale);
      const bool active =
          had_input() || result.coefficients_changed || result.view_changed || result.reset_camera;
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
      renderer.draw(cmd, render::make_draw_view(camera, viewport, view), view);
      imgui.render(cmd);
      presenter.end_render_pass();
      ++frames_drawn;
      if (frames_drawn == 2 && options.resize_width > 0 && options.resize_height > 0)
        glfwSetWindowSize(raw_window, options.resize_width, options.resize_height);
      if (frames_drawn == k_warmup_frames) warm_start = std::chrono::steady_clock::now();
      const bool capture = options.screenshot && frames_drawn >= options.screenshot_frames;
      auto shot = presenter.end_frame(capture);
      if (capture) {
        if (!shot || shot->empty())
          throw Error(
              "the window surface does not allow reading its images back; cannot take a "
              "screenshot");
        write_png(*options.screenshot, *shot);
        std::fprintf(stderr, "faceg2e: wrote %s (%dx%d)\n", options.screenshot->string().c_str(),
                     shot->width, shot->height);
        break;
      }
      if (options.max_frames > 0 && frames_drawn >= options.max_frames) break;
    }
    context.wait_idle();
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
  return 0;
}

}  // namespace faceg2e::gui
