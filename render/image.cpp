#include "render/image.h"

#include "render/context.h"
#include "render/vk_check.h"

namespace faceg2e::render {

VkImageView create_image_view_raw(VkDevice device, VkImage image, VkFormat format,
                                  VkImageAspectFlags aspect) {
  VkImageViewCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
  info.image = image;
  info.viewType = VK_IMAGE_VIEW_TYPE_2D;
  info.format = format;
  info.subresourceRange = {aspect, 0, 1, 0, 1};
  VkImageView view = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateImageView(device, &info, nullptr, &view));
  return view;
}

Image create_image(const Context& context, const ImageDesc& desc) {
  FACEG2E_CHECK(desc.width > 0 && desc.height > 0, "image size must be positive");
  const auto& limits = context.properties().limits;
  if (desc.width > limits.maxImageDimension2D || desc.height > limits.maxImageDimension2D)
    throw Error("image of " + std::to_string(desc.width) + "x" + std::to_string(desc.height) +
                " exceeds the device limit of " + std::to_string(limits.maxImageDimension2D));
  VkDevice device = context.device();
  Image out;
  out.desc = desc;
  VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
  info.imageType = VK_IMAGE_TYPE_2D;
  info.format = desc.format;
  info.extent = {desc.width, desc.height, 1};
  info.mipLevels = 1;
  info.arrayLayers = 1;
  info.samples = desc.samples;
  info.tiling = VK_IMAGE_TILING_OPTIMAL;
  info.usage = desc.usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  VkImage image = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateImage(device, &info, nullptr, &image));
  out.image = VkOwner<VkImage>(device, image, vkDestroyImage);

  VkMemoryRequirements req;
  vkGetImageMemoryRequirements(device, image, &req);
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex =
      context.find_memory_type(req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  VkDeviceMemory memory = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &memory));
  out.memory = VkOwner<VkDeviceMemory>(device, memory, vkFreeMemory);
  FACEG2E_VK_CHECK(vkBindImageMemory(device, image, memory, 0));
  out.view = VkOwner<VkImageView>(
      device, create_image_view_raw(device, image, desc.format, desc.aspect), vkDestroyImageView);
  return out;
}

void transition_image(VkCommandBuffer cmd, VkImage image, VkImageAspectFlags aspect,
                      VkImageLayout old_layout, VkImageLayout new_layout,
                      VkPipelineStageFlags src_stage, VkAccessFlags src_access,
                      VkPipelineStageFlags dst_stage, VkAccessFlags dst_access) {
  VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
  barrier.oldLayout = old_layout;
  barrier.newLayout = new_layout;
  barrier.srcAccessMask = src_access;
  barrier.dstAccessMask = dst_access;
  barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  barrier.image = image;
  barrier.subresourceRange = {aspect, 0, 1, 0, 1};
  vkCmdPipelineBarrier(cmd, src_stage, dst_stage, 0, 0, nullptr, 0, nullptr, 1, &barrier);
}

}  // namespace faceg2e::render
