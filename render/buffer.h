#pragma once
// A VkBuffer with its own memory. Host-visible buffers stay mapped for their whole life: the
// renderer writes vertex data and reads screenshots through them.
#include <vulkan/vulkan.h>

#include <cstddef>

#include "render/vk_handle.h"

namespace faceg2e::render {

class Context;

struct Buffer {
  VkOwner<VkDeviceMemory> memory;
  VkOwner<VkBuffer> buffer;
  VkDeviceSize size = 0;
  void* mapped = nullptr;  // non-null for host-visible buffers

  VkBuffer get() const { return buffer.get(); }
};

Buffer create_buffer(const Context& context, VkDeviceSize size, VkBufferUsageFlags usage,
                     VkMemoryPropertyFlags memory_flags);

// A host-visible, coherent buffer filled with `bytes` bytes from `data`.
Buffer create_host_buffer(const Context& context, const void* data, std::size_t bytes,
                          VkBufferUsageFlags usage);

}  // namespace faceg2e::render
