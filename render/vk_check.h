#pragma once
// Vulkan result checks. A failed call throws faceg2e::Error carrying the expression, the
// VkResult name and file:line, so a report from a user's machine says what failed where.
#include <vulkan/vulkan.h>

#include <string>

#include "core/util/error.h"

namespace faceg2e::render {

const char* vk_result_name(VkResult result);

[[noreturn]] void throw_vk_error(VkResult result, const char* expression, const char* file,
                                 int line);

}  // namespace faceg2e::render

#define FACEG2E_VK_CHECK(expr)                                                          \
  do {                                                                                  \
    const VkResult faceg2e_vk_result_ = (expr);                                         \
    if (faceg2e_vk_result_ != VK_SUCCESS)                                               \
      ::faceg2e::render::throw_vk_error(faceg2e_vk_result_, #expr, __FILE__, __LINE__); \
  } while (0)
