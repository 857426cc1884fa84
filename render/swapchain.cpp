#include "render/swapchain.h"

#include <algorithm>

#include "render/context.h"
#include "render/image.h"
#include "render/vk_check.h"

namespace faceg2e::render {

Swapchain::Swapchain(const Context& context, VkExtent2D wanted, VkSwapchainKHR old) {
  VkPhysicalDevice pd = context.physical_device();
  VkSurfaceKHR surface = context.surface();
  VkDevice device = context.device();
  FACEG2E_CHECK(surface != VK_NULL_HANDLE,
                "swapchain needs a context created with a window surface");

  VkSurfaceCapabilitiesKHR caps;
  FACEG2E_VK_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(pd, surface, &caps));
  std::uint32_t format_count = 0;
  FACEG2E_VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(pd, surface, &format_count, nullptr));
  std::vector<VkSurfaceFormatKHR> formats(format_count);
  FACEG2E_VK_CHECK(
      vkGetPhysicalDeviceSurfaceFormatsKHR(pd, surface, &format_count, formats.data()));
  if (formats.empty()) throw Error("the window surface reports no formats");

  // UNORM, not sRGB: ImGui's colours and our shading are authored for a linear-to-display
  // framebuffer, like the offscreen RGBA8 target, so screenshots match the window.
  VkSurfaceFormatKHR chosen = formats[0];
  for (const auto& f : formats)
    if ((f.format == VK_FORMAT_B8G8R8A8_UNORM || f.format == VK_FORMAT_R8G8B8A8_UNORM) &&
        f.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) {
      chosen = f;
      break;
    }
  format_ = chosen.format;

  if (caps.currentExtent.width != UINT32_MAX) {
    extent_ = caps.currentExtent;
  } else {
    extent_.width = std::clamp(wanted.width, caps.minImageExtent.width, caps.maxImageExtent.width);
    extent_.height =
        std::clamp(wanted.height, caps.minImageExtent.height, caps.maxImageExtent.height);
  }
  min_image_count_ = std::max(2u, caps.minImageCount);
  std::uint32_t image_count = std::max(min_image_count_, caps.minImageCount + 1);
  if (caps.maxImageCount > 0) image_count = std::min(image_count, caps.maxImageCount);

  VkImageUsageFlags usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT;
  transfer_src_ = (caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT) != 0;
  if (transfer_src_) usage |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;

  VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
  info.surface = surface;
  info.minImageCount = image_count;
  info.imageFormat = chosen.format;
  info.imageColorSpace = chosen.colorSpace;
  info.imageExtent = extent_;
  info.imageArrayLayers = 1;
  info.imageUsage = usage;
  info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.preTransform = (caps.supportedTransforms & VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR)
                          ? VK_SURFACE_TRANSFORM_IDENTITY_BIT_KHR
                          : caps.currentTransform;
  info.compositeAlpha = (caps.supportedCompositeAlpha & VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR)
                            ? VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR
                            : static_cast<VkCompositeAlphaFlagBitsKHR>(
                                  caps.supportedCompositeAlpha & -caps.supportedCompositeAlpha);
  info.presentMode = VK_PRESENT_MODE_FIFO_KHR;  // always supported; paces the GUI to the display
  info.clipped = VK_TRUE;
  info.oldSwapchain = old;
  VkSwapchainKHR swapchain = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateSwapchainKHR(device, &info, nullptr, &swapchain));
  swapchain_ = VkOwner<VkSwapchainKHR>(device, swapchain, vkDestroySwapchainKHR);

  std::uint32_t count = 0;
  FACEG2E_VK_CHECK(vkGetSwapchainImagesKHR(device, swapchain, &count, nullptr));
  images_.resize(count);
  FACEG2E_VK_CHECK(vkGetSwapchainImagesKHR(device, swapchain, &count, images_.data()));
  for (VkImage image : images_)
    views_.emplace_back(device,
                        create_image_view_raw(device, image, format_, VK_IMAGE_ASPECT_COLOR_BIT),
                        vkDestroyImageView);
}

}  // namespace faceg2e::render
