#include "render/context.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "render/vk_check.h"

namespace faceg2e::render {

VKAPI_ATTR VkBool32 VKAPI_CALL debug_callback(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                              VkDebugUtilsMessageTypeFlagsEXT,
                                              const VkDebugUtilsMessengerCallbackDataEXT* data,
                                              void* user) {
  auto* context = static_cast<Context*>(user);
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ++context->validation_errors_;
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT)
    std::cerr << "[vulkan] " << (data->pMessage ? data->pMessage : "") << "\n";
  return VK_FALSE;
}

namespace {

constexpr const char* k_validation_layer = "VK_LAYER_KHRONOS_validation";

bool want_validation(int requested) {
  if (requested >= 0) return requested != 0;
  if (const char* env = std::getenv("FACEG2E_VK_VALIDATION")) return std::strcmp(env, "0") != 0;
#ifdef NDEBUG
  return false;
#else
  return true;
#endif
}

bool layer_available(const char* name) {
  std::uint32_t count = 0;
  vkEnumerateInstanceLayerProperties(&count, nullptr);
  std::vector<VkLayerProperties> layers(count);
  vkEnumerateInstanceLayerProperties(&count, layers.data());
  return std::any_of(layers.begin(), layers.end(), [&](const VkLayerProperties& l) {
    return std::strcmp(l.layerName, name) == 0;
  });
}

bool layer_has_extension(const char* layer, const char* extension) {
  std::uint32_t count = 0;
  vkEnumerateInstanceExtensionProperties(layer, &count, nullptr);
  std::vector<VkExtensionProperties> props(count);
  vkEnumerateInstanceExtensionProperties(layer, &count, props.data());
  return std::any_of(props.begin(), props.end(), [&](const VkExtensionProperties& p) {
    return std::strcmp(p.extensionName, extension) == 0;
  });
}

int device_type_rank(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return 4;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return 3;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return 1;
    default:
      return 0;
  }
}

}  // namespace

Context::Context(const ContextOptions& options) {
  try {
    create_instance(options);
    if (options.create_surface) {
      surface_ = options.create_surface(instance_);
      if (surface_ == VK_NULL_HANDLE) throw Error("could not create a Vulkan window surface");
    }
    pick_physical_device();
    create_device();
  } catch (...) {
    destroy();
    throw;
  }
}

Context::~Context() { destroy(); }

void Context::destroy() {
  if (device_ != VK_NULL_HANDLE) {
    vkDeviceWaitIdle(device_);
    deletion_queue_.clear();
    if (setup_pool_ != VK_NULL_HANDLE) vkDestroyCommandPool(device_, setup_pool_, nullptr);
    vkDestroyDevice(device_, nullptr);
    device_ = VK_NULL_HANDLE;
  }
  if (instance_ != VK_NULL_HANDLE) {
    if (surface_ != VK_NULL_HANDLE) vkDestroySurfaceKHR(instance_, surface_, nullptr);
    if (messenger_ != VK_NULL_HANDLE) {
      auto destroy = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
          vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
      if (destroy) destroy(instance_, messenger_, nullptr);
    }
    vkDestroyInstance(instance_, nullptr);
    instance_ = VK_NULL_HANDLE;
  }
}

void Context::create_instance(const ContextOptions& options) {
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = options.app_name.c_str();
  app.pEngineName = "faceg2e";
  app.apiVersion = VK_API_VERSION_1_1;

  std::vector<const char*> extensions;
  for (const auto& e : options.instance_extensions) extensions.push_back(e.c_str());
  std::vector<const char*> layers;
  validation_enabled_ = want_validation(options.validation) && layer_available(k_validation_layer);
  bool sync_validation_available = false;
  if (validation_enabled_) {
    layers.push_back(k_validation_layer);
    extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
    sync_validation_available =
        layer_has_extension(k_validation_layer, VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
    if (sync_validation_available) extensions.push_back(VK_EXT_VALIDATION_FEATURES_EXTENSION_NAME);
  }

  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  // With validation, also check synchronisation (hazards between frames in flight, uploads and
  // read-backs): that is where a renderer fed by another thread goes wrong.
  const VkValidationFeatureEnableEXT sync_validation =
      VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT;
  VkValidationFeaturesEXT features{VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT};
  features.enabledValidationFeatureCount = 1;
  features.pEnabledValidationFeatures = &sync_validation;
  if (sync_validation_available) info.pNext = &features;
  info.pApplicationInfo = &app;
  info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  info.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  const VkResult result = vkCreateInstance(&info, nullptr, &instance_);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER || result == VK_ERROR_INITIALIZATION_FAILED)
    throw NoVulkanDeviceError(
        std::string("no Vulkan driver available (vkCreateInstance returned ") +
        vk_result_name(result) + "); install a Vulkan driver, e.g. mesa-vulkan-drivers (lavapipe)");
  FACEG2E_VK_CHECK(result);

  if (validation_enabled_) {
    VkDebugUtilsMessengerCreateInfoEXT dbg{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    dbg.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                          VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    dbg.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                      VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                      VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    dbg.pfnUserCallback = debug_callback;
    dbg.pUserData = this;
    auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create) FACEG2E_VK_CHECK(create(instance_, &dbg, nullptr, &messenger_));
  }
}

void Context::pick_physical_device() {
  std::uint32_t count = 0;
  FACEG2E_VK_CHECK(vkEnumeratePhysicalDevices(instance_, &count, nullptr));
  std::vector<VkPhysicalDevice> devices(count);
  FACEG2E_VK_CHECK(vkEnumeratePhysicalDevices(instance_, &count, devices.data()));
  const char* wanted_name = std::getenv("FACEG2E_VK_DEVICE");

  int best_rank = -1;
  std::string seen;
  for (VkPhysicalDevice pd : devices) {
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(pd, &props);
    if (!seen.empty()) seen += ", ";
    seen += props.deviceName;
    if (props.apiVersion < VK_API_VERSION_1_1) continue;

    std::uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &family_count, families.data());
    int family = -1;
    for (std::uint32_t i = 0; i < family_count && family < 0; ++i) {
      if (!(families[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) continue;
      VkBool32 present = VK_TRUE;
      if (surface_ != VK_NULL_HANDLE)
        vkGetPhysicalDeviceSurfaceSupportKHR(pd, i, surface_, &present);
      if (present) family = static_cast<int>(i);
    }
    if (family < 0) continue;

    int rank = device_type_rank(props.deviceType);
    if (wanted_name && std::strstr(props.deviceName, wanted_name)) rank += 100;
    if (rank > best_rank) {
      best_rank = rank;
      physical_device_ = pd;
      queue_family_ = static_cast<std::uint32_t>(family);
    }
  }
  if (physical_device_ == VK_NULL_HANDLE)
    throw NoVulkanDeviceError("no Vulkan device can render" +
                              std::string(surface_ ? " and present to the window" : "") +
                              " (devices seen: " + (seen.empty() ? "none" : seen) + ")");
  vkGetPhysicalDeviceProperties(physical_device_, &properties_);
  vkGetPhysicalDeviceMemoryProperties(physical_device_, &memory_properties_);

  for (VkFormat f : {VK_FORMAT_D32_SFLOAT, VK_FORMAT_D24_UNORM_S8_UINT, VK_FORMAT_D16_UNORM}) {
    VkFormatProperties fp;
    vkGetPhysicalDeviceFormatProperties(physical_device_, f, &fp);
    if (fp.optimalTilingFeatures & VK_FORMAT_FEATURE_DEPTH_STENCIL_ATTACHMENT_BIT) {
      depth_format_ = f;
      break;
    }
  }
  if (depth_format_ == VK_FORMAT_UNDEFINED)
    throw Error(device_name() + ": no depth attachment format");
}

void Context::create_device() {
  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = queue_family_;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;

  std::vector<const char*> extensions;
  if (surface_ != VK_NULL_HANDLE) extensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);

  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queue_info;
  info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  FACEG2E_VK_CHECK(vkCreateDevice(physical_device_, &info, nullptr, &device_));
  vkGetDeviceQueue(device_, queue_family_, 0, &queue_);

  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pool.queueFamilyIndex = queue_family_;
  FACEG2E_VK_CHECK(vkCreateCommandPool(device_, &pool, nullptr, &setup_pool_));
}

std::uint32_t Context::find_memory_type(std::uint32_t type_bits,
                                        VkMemoryPropertyFlags flags) const {
  for (std::uint32_t i = 0; i < memory_properties_.memoryTypeCount; ++i)
    if ((type_bits & (1u << i)) &&
        (memory_properties_.memoryTypes[i].propertyFlags & flags) == flags)
      return i;
  throw Error(device_name() + ": no memory type with the requested properties");
}

VkSampleCountFlagBits Context::supported_samples(VkSampleCountFlagBits wanted) const {
  const VkSampleCountFlags counts = properties_.limits.framebufferColorSampleCounts &
                                    properties_.limits.framebufferDepthSampleCounts;
  for (int s = static_cast<int>(wanted); s > 1; s >>= 1)
    if (counts & s) return static_cast<VkSampleCountFlagBits>(s);
  return VK_SAMPLE_COUNT_1_BIT;
}

void Context::submit_and_wait(const std::function<void(VkCommandBuffer)>& record) {
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = setup_pool_;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkAllocateCommandBuffers(device_, &alloc, &cmd));
  struct Free {
    VkDevice d;
    VkCommandPool p;
    VkCommandBuffer c;
    ~Free() { vkFreeCommandBuffers(d, p, 1, &c); }
  } free_cmd{device_, setup_pool_, cmd};

  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  FACEG2E_VK_CHECK(vkBeginCommandBuffer(cmd, &begin));
  record(cmd);
  FACEG2E_VK_CHECK(vkEndCommandBuffer(cmd));
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  const std::uint64_t serial = submit_serial();
  FACEG2E_VK_CHECK(vkQueueSubmit(queue_, 1, &submit, VK_NULL_HANDLE));
  FACEG2E_VK_CHECK(vkQueueWaitIdle(queue_));
  complete_serial(serial);
}

void Context::wait_idle() const {
  if (device_ != VK_NULL_HANDLE) FACEG2E_VK_CHECK(vkDeviceWaitIdle(device_));
}

void Context::flush_retired() {
  wait_idle();
  completed_serial_ = recording_serial_ - 1;
  deletion_queue_.clear();
}

void Context::complete_serial(std::uint64_t serial) {
  completed_serial_ = std::max(completed_serial_, serial);
  deletion_queue_.collect(completed_serial_);
}

}  // namespace faceg2e::render
