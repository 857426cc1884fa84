#include "render/buffer.h"

#include <cstring>

#include "render/context.h"
#include "render/vk_check.h"

namespace faceg2e::render {

Buffer create_buffer(const Context& context, VkDeviceSize size, VkBufferUsageFlags usage,
                     VkMemoryPropertyFlags memory_flags) {
  FACEG2E_CHECK(size > 0, "buffer size must be positive");
  VkDevice device = context.device();
  Buffer out;
  out.size = size;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkBuffer buffer = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateBuffer(device, &info, nullptr, &buffer));
  out.buffer = VkOwner<VkBuffer>(device, buffer, vkDestroyBuffer);

  VkMemoryRequirements req;
  vkGetBufferMemoryRequirements(device, buffer, &req);
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = context.find_memory_type(req.memoryTypeBits, memory_flags);
  VkDeviceMemory memory = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkAllocateMemory(device, &alloc, nullptr, &memory));
  out.memory = VkOwner<VkDeviceMemory>(device, memory, vkFreeMemory);
  FACEG2E_VK_CHECK(vkBindBufferMemory(device, buffer, memory, 0));
  if (memory_flags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT)
    FACEG2E_VK_CHECK(vkMapMemory(device, memory, 0, VK_WHOLE_SIZE, 0, &out.mapped));
  return out;
}

Buffer create_host_buffer(const Context& context, const void* data, std::size_t bytes,
                          VkBufferUsageFlags usage) {
  Buffer out =
      create_buffer(context, bytes, usage,
                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
  if (data) std::memcpy(out.mapped, data, bytes);
  return out;
}

}  // namespace faceg2e::render
