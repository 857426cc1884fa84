#pragma once
// The window's VkSwapchainKHR and its image views. Re-created (never resized in place) when the
// window size changes or the presentation engine reports it out of date.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <vector>

#include "render/vk_handle.h"

namespace faceg2e::render {

class Context;

class Swapchain {
 public:
  // `wanted`: the framebuffer size in pixels, used when the surface leaves the choice to us.
  // `old`: the swapchain being replaced (its resources may be reused by the driver).
  Swapchain(const Context& context, VkExtent2D wanted, VkSwapchainKHR old = VK_NULL_HANDLE);

  VkSwapchainKHR get() const { return swapchain_.get(); }
  VkFormat format() const { return format_; }
  VkExtent2D extent() const { return extent_; }
  std::uint32_t min_image_count() const { return min_image_count_; }
  std::uint32_t image_count() const { return static_cast<std::uint32_t>(images_.size()); }
  VkImage image(std::uint32_t i) const { return images_[i]; }
  VkImageView view(std::uint32_t i) const { return views_[i].get(); }
  // Whether images can be copied out (screenshots of the full window).
  bool can_read_back() const { return transfer_src_; }
  bool is_bgra() const { return format_ == VK_FORMAT_B8G8R8A8_UNORM; }

 private:
  VkOwner<VkSwapchainKHR> swapchain_;
  VkFormat format_ = VK_FORMAT_UNDEFINED;
  VkExtent2D extent_{0, 0};
  std::uint32_t min_image_count_ = 2;
  bool transfer_src_ = false;
  std::vector<VkImage> images_;  // owned by the swapchain
  std::vector<VkOwner<VkImageView>> views_;
};

}  // namespace faceg2e::render
