#include "render/offscreen_target.h"

#include <cstring>

#include "render/context.h"
#include "render/vk_check.h"

namespace faceg2e::render {

OffscreenTarget::OffscreenTarget(Context& context, std::uint32_t width, std::uint32_t height,
                                 VkSampleCountFlagBits wanted_samples)
    : context_(context) {
  VkDevice device = context_.device();
  format_.color = VK_FORMAT_R8G8B8A8_UNORM;
  format_.depth = context_.depth_format();
  format_.samples = context_.supported_samples(wanted_samples);
  render_pass_ = create_render_pass(device, format_, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);

  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = context_.queue_family();
  VkCommandPool command_pool = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateCommandPool(device, &pool, nullptr, &command_pool));
  command_pool_ = VkOwner<VkCommandPool>(device, command_pool, vkDestroyCommandPool);
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateFence(device, &fence_info, nullptr, &fence));
  fence_ = VkOwner<VkFence>(device, fence, vkDestroyFence);

  create_size_dependent(width, height);
}

OffscreenTarget::~OffscreenTarget() { context_.wait_idle(); }

void OffscreenTarget::resize(std::uint32_t width, std::uint32_t height) {
  if (width == output_.desc.width && height == output_.desc.height) return;
  context_.wait_idle();
  create_size_dependent(width, height);
}

void OffscreenTarget::create_size_dependent(std::uint32_t width, std::uint32_t height) {
  if (width == 0 || height == 0) throw Error("offscreen target: size must be positive");
  VkDevice device = context_.device();
  framebuffer_.reset();
  ImageDesc desc;
  desc.width = width;
  desc.height = height;
  desc.format = format_.color;
  desc.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
  output_ = create_image(context_, desc);
  attachments_ = FrameAttachments(context_, format_, {width, height});
  framebuffer_ = attachments_.create_framebuffer(device, render_pass_.get(), output_.view.get());
  readback_ =
      create_buffer(context_, VkDeviceSize(width) * height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                    VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
}

Image8 OffscreenTarget::render(const std::function<void(VkCommandBuffer)>& before_pass,
                               const std::function<void(VkCommandBuffer)>& in_pass,
                               const std::array<float, 4>& clear_color) {
  VkDevice device = context_.device();
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = command_pool_.get();
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkAllocateCommandBuffers(device, &alloc, &cmd));
  struct Free {
    VkDevice d;
    VkCommandPool p;
    VkCommandBuffer c;
    ~Free() { vkFreeCommandBuffers(d, p, 1, &c); }
  } free_cmd{device, command_pool_.get(), cmd};

  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  FACEG2E_VK_CHECK(vkBeginCommandBuffer(cmd, &begin));
  if (before_pass) before_pass(cmd);

  const VkExtent2D extent = output_.extent();
  const auto clears = attachments_.clear_values(clear_color);
  VkRenderPassBeginInfo pass{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  pass.renderPass = render_pass_.get();
  pass.framebuffer = framebuffer_.get();
  pass.renderArea = {{0, 0}, extent};
  pass.clearValueCount = static_cast<std::uint32_t>(clears.size());
  pass.pClearValues = clears.data();
  vkCmdBeginRenderPass(cmd, &pass, VK_SUBPASS_CONTENTS_INLINE);
  if (in_pass) in_pass(cmd);
  vkCmdEndRenderPass(cmd);

  // The pass leaves the output in TRANSFER_SRC; its outgoing dependency orders the copy.
  VkBufferImageCopy region{};
  region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
  region.imageExtent = {extent.width, extent.height, 1};
  vkCmdCopyImageToBuffer(cmd, output_.get(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback_.get(),
                         1, &region);
  VkBufferMemoryBarrier to_host{VK_STRUCTURE_TYPE_BUFFER_MEMORY_BARRIER};
  to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
  to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  to_host.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
  to_host.buffer = readback_.get();
  to_host.size = VK_WHOLE_SIZE;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 0,
                       nullptr, 1, &to_host, 0, nullptr);
  FACEG2E_VK_CHECK(vkEndCommandBuffer(cmd));

  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  VkFence fence = fence_.get();
  FACEG2E_VK_CHECK(vkResetFences(device, 1, &fence));
  const std::uint64_t serial = context_.submit_serial();
  FACEG2E_VK_CHECK(vkQueueSubmit(context_.queue(), 1, &submit, fence));
  FACEG2E_VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
  context_.complete_serial(serial);

  Image8 out;
  out.width = static_cast<int>(extent.width);
  out.height = static_cast<int>(extent.height);
  out.channels = 4;
  out.pixels.resize(std::size_t(extent.width) * extent.height * 4);
  std::memcpy(out.pixels.data(), readback_.mapped, out.pixels.size());
  return out;
}

}  // namespace faceg2e::render
