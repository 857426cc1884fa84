#pragma once
// A 2D VkImage with its memory and one view, plus the layout-transition helper.
#include <vulkan/vulkan.h>

#include <cstdint>

#include "render/vk_handle.h"

namespace faceg2e::render {

class Context;

struct ImageDesc {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  VkFormat format = VK_FORMAT_R8G8B8A8_UNORM;
  VkImageUsageFlags usage = 0;
  VkSampleCountFlagBits samples = VK_SAMPLE_COUNT_1_BIT;
  VkImageAspectFlags aspect = VK_IMAGE_ASPECT_COLOR_BIT;
};

struct Image {
  VkOwner<VkDeviceMemory> memory;
  VkOwner<VkImage> image;
  VkOwner<VkImageView> view;
  ImageDesc desc;

  VkImage get() const { return image.get(); }
  VkExtent2D extent() const { return {desc.width, desc.height}; }
};

Image create_image(const Context& context, const ImageDesc& desc);

VkImageView create_image_view_raw(VkDevice device, VkImage image, VkFormat format,
                                  VkImageAspectFlags aspect);

// One pipeline barrier moving a whole single-mip image between layouts.
void transition_image(VkCommandBuffer cmd, VkImage image, VkImageAspectFlags aspect,
                      VkImageLayout old_layout, VkImageLayout new_layout,
                      VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                      VkPipelineStageFlags dst_stage, VkAccessFlags dst_access);

}  // namespace faceg2e::render
