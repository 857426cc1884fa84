#include "render/vk_check.h"

namespace faceg2e::render {

const char* vk_result_name(VkResult result) {
  switch (result) {
#define FACEG2E_CASE(r) \
  case r:               \
    return #r;
    FACEG2E_CASE(VK_SUCCESS)
    FACEG2E_CASE(VK_NOT_READY)
    FACEG2E_CASE(VK_TIMEOUT)
    FACEG2E_CASE(VK_EVENT_SET)
    FACEG2E_CASE(VK_EVENT_RESET)
    FACEG2E_CASE(VK_INCOMPLETE)
    FACEG2E_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    FACEG2E_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    FACEG2E_CASE(VK_ERROR_INITIALIZATION_FAILED)
    FACEG2E_CASE(VK_ERROR_DEVICE_LOST)
    FACEG2E_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    FACEG2E_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    FACEG2E_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    FACEG2E_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    FACEG2E_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    FACEG2E_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    FACEG2E_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    FACEG2E_CASE(VK_ERROR_FRAGMENTED_POOL)
    FACEG2E_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    FACEG2E_CASE(VK_ERROR_SURFACE_LOST_KHR)
    FACEG2E_CASE(VK_ERROR_NATIVE_WINDOW_IN_USE_KHR)
    FACEG2E_CASE(VK_SUBOPTIMAL_KHR)
    FACEG2E_CASE(VK_ERROR_OUT_OF_DATE_KHR)
#undef FACEG2E_CASE
    default:
      return "VK_ERROR_(unknown)";
  }
}

void throw_vk_error(VkResult result, const char* expression, const char* file, int line) {
  throw Error(std::string("Vulkan call failed: ") + expression + " returned " +
              vk_result_name(result) + " (" + std::to_string(static_cast<int>(result)) + ") at " +
              file + ":" + std::to_string(line));
}

}  // namespace faceg2e::render
