#pragma once
// Dear ImGui on GLFW + Vulkan for one window: context, both backends, the descriptor pool and
// the font texture, torn down in reverse order.
#include <vulkan/vulkan.h>

#include <functional>

#include "render/vk_handle.h"

struct GLFWwindow;

namespace faceg2e::render {
class Context;
class FramePresenter;
}  // namespace faceg2e::render

namespace faceg2e::gui {

class ImGuiVulkanBackend {
 public:
  ImGuiVulkanBackend(GLFWwindow* window, render::Context& context,
                     const render::FramePresenter& presenter);
  ~ImGuiVulkanBackend();
  ImGuiVulkanBackend(const ImGuiVulkanBackend&) = delete;
  ImGuiVulkanBackend& operator=(const ImGuiVulkanBackend&) = delete;

  // before_imgui runs after the platform backend read the window's input and before
  // ImGui::NewFrame(): scripted input replaces it there.
  void new_frame(const std::function<void()>& before_imgui = {});
  // After the presenter re-created its swapchain (the image count may change).
  void on_swapchain_recreated(const render::FramePresenter& presenter);
  // Inside the presenter's render pass.
  void render(VkCommandBuffer cmd);

 private:
  render::VkOwner<VkDescriptorPool> pool_;
  bool glfw_ready_ = false;
  bool vulkan_ready_ = false;
};

}  // namespace faceg2e::gui
