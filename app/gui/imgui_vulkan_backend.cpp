#include "app/gui/imgui_vulkan_backend.h"

#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_vulkan.h>
#include <imgui.h>

#include <algorithm>

#include "render/context.h"
#include "render/frame_presenter.h"
#include "render/vk_check.h"

namespace faceg2e::gui {

namespace {
void check_imgui_vk(VkResult result) {
  if (result != VK_SUCCESS)
    faceg2e::render::throw_vk_error(result, "ImGui Vulkan backend call", __FILE__, __LINE__);
}
}  // namespace

ImGuiVulkanBackend::ImGuiVulkanBackend(GLFWwindow* window, render::Context& context,
                                       const render::FramePresenter& presenter) {
  VkDevice device = context.device();
  // The backend needs one combined-image-sampler set for its font texture.
  const VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 8};
  VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pool_info.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
  pool_info.maxSets = 8;
  pool_info.poolSizeCount = 1;
  pool_info.pPoolSizes = &size;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateDescriptorPool(device, &pool_info, nullptr, &pool));
  pool_ = render::VkOwner<VkDescriptorPool>(device, pool, vkDestroyDescriptorPool);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no imgui.ini dropped into whatever folder we were started from
  ImGui::StyleColorsDark();
  try {
    glfw_ready_ = ImGui_ImplGlfw_InitForVulkan(window, true);
    if (!glfw_ready_) throw Error("ImGui GLFW backend failed to initialise");

    ImGui_ImplVulkan_InitInfo info{};
    info.Instance = context.instance();
    info.PhysicalDevice = context.physical_device();
    info.Device = device;
    info.QueueFamily = context.queue_family();
    info.Queue = context.queue();
    info.DescriptorPool = pool;
    info.Subpass = 0;
    info.MinImageCount = std::max(2u, presenter.min_image_count());
    info.ImageCount = std::max(info.MinImageCount, presenter.image_count());
    info.MSAASamples = presenter.samples();
    info.CheckVkResultFn = check_imgui_vk;
    vulkan_ready_ = ImGui_ImplVulkan_Init(&info, presenter.render_pass());
    if (!vulkan_ready_) throw Error("ImGui Vulkan backend failed to initialise");
    context.submit_and_wait([](VkCommandBuffer cmd) { ImGui_ImplVulkan_CreateFontsTexture(cmd); });
    ImGui_ImplVulkan_DestroyFontUploadObjects();
  } catch (...) {
    if (vulkan_ready_) ImGui_ImplVulkan_Shutdown();
    if (glfw_ready_) ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    throw;
  }
}

ImGuiVulkanBackend::~ImGuiVulkanBackend() {
  if (vulkan_ready_) ImGui_ImplVulkan_Shutdown();
  if (glfw_ready_) ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
}

void ImGuiVulkanBackend::on_swapchain_recreated(const render::FramePresenter& presenter) {
  ImGui_ImplVulkan_SetMinImageCount(std::max(2u, presenter.min_image_count()));
}

void ImGuiVulkanBackend::new_frame(const std::function<void()>& before_imgui) {
  ImGui_ImplVulkan_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  if (before_imgui) before_imgui();
  ImGui::NewFrame();
}

void ImGuiVulkanBackend::render(VkCommandBuffer cmd) {
  ImDrawData* data = ImGui::GetDrawData();
  if (data) ImGui_ImplVulkan_RenderDrawData(data, cmd);
}

}  // namespace faceg2e::gui
