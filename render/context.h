#pragma once
// The Vulkan instance, the chosen physical device, the logical device with one graphics queue,
// and the frame serials that decide when a retired resource may be destroyed.
//
// Device choice: a discrete GPU first, then integrated, virtual, and finally a CPU device
// (lavapipe), so headless CI and Xvfb work without a GPU. FACEG2E_VK_DEVICE=<substring> picks a
// device by name. Validation layers are on in debug builds when installed;
// FACEG2E_VK_VALIDATION=1/0 overrides.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/util/error.h"
#include "render/deletion_queue.h"

namespace faceg2e::render {

// No Vulkan loader, no driver, or no device that can render (and present, when asked).
class NoVulkanDeviceError : public Error {
 public:
  using Error::Error;
};

struct ContextOptions {
  std::string app_name = "FaceG2E";
  std::vector<std::string> instance_extensions;  // e.g. glfwGetRequiredInstanceExtensions()
  // Creates the window surface once the instance exists; empty for headless (offscreen) use.
  std::function<VkSurfaceKHR(VkInstance)> create_surface;
  int validation = -1;  // -1: debug builds and FACEG2E_VK_VALIDATION decide; 0 off; 1 on
};

class Context {
 public:
  explicit Context(const ContextOptions& options = {});
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  VkInstance instance() const { return instance_; }
  VkPhysicalDevice physical_device() const { return physical_device_; }
  VkDevice device() const { return device_; }
  VkQueue queue() const { return queue_; }
  std::uint32_t queue_family() const { return queue_family_; }
  VkSurfaceKHR surface() const { return surface_; }
  const VkPhysicalDeviceProperties& properties() const { return properties_; }
  std::string device_name() const { return properties_.deviceName; }
  bool is_cpu_device() const { return properties_.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU; }
  bool validation_enabled() const { return validation_enabled_; }
  // Validation messages of severity error seen so far (0 when validation is off).
  int validation_error_count() const { return validation_errors_; }

  std::uint32_t find_memory_type(std::uint32_t type_bits, VkMemoryPropertyFlags flags) const;
  // The largest sample count <= `wanted` that colour and depth attachments both support.
  VkSampleCountFlagBits supported_samples(VkSampleCountFlagBits wanted) const;
  VkFormat depth_format() const { return depth_format_; }

  // Records and runs one command buffer and waits for it. For setup only (font upload, tests);
  // per-frame work goes through the frame command buffers instead.
  void submit_and_wait(const std::function<void(VkCommandBuffer)>& record);
  void wait_idle() const;

  // Frame serials. Commands being recorded belong to recording_serial(); submit_serial() hands
  // that serial to the submission and starts the next one; complete_serial(s) is called once the
  // submission's fence signalled and frees everything retired up to s.
  std::uint64_t recording_serial() const { return recording_serial_; }
  std::uint64_t submit_serial() { return recording_serial_++; }
  void complete_serial(std::uint64_t serial);
  // Keeps `resource` alive until the commands being recorded now have finished.
  void retire(std::shared_ptr<void> resource) {
    deletion_queue_.retire(recording_serial_, std::move(resource));
  }
  std::size_t retired_count() const { return deletion_queue_.size(); }
  // Waits for the device to go idle and frees everything retired (shutdown, resize).
  void flush_retired();

 private:
  void create_instance(const ContextOptions& options);
  void pick_physical_device();
  void create_device();
  void destroy();

  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  VkSurfaceKHR surface_ = VK_NULL_HANDLE;
  VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties properties_{};
  VkPhysicalDeviceMemoryProperties memory_properties_{};
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  std::uint32_t queue_family_ = 0;
  VkCommandPool setup_pool_ = VK_NULL_HANDLE;
  VkFormat depth_format_ = VK_FORMAT_UNDEFINED;
  bool validation_enabled_ = false;
  int validation_errors_ = 0;

  std::uint64_t recording_serial_ = 1;
  std::uint64_t completed_serial_ = 0;
  DeletionQueue deletion_queue_;

  friend VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT,
                                                       VkDebugUtilsMessageTypeFlagsEXT,
                                                       const VkDebugUtilsMessengerCallbackDataEXT*,
                                                       void*);
};

}  // namespace faceg2e::render
