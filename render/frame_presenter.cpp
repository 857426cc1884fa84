#include "render/frame_presenter.h"

#include <cstring>

#include "render/context.h"
#include "render/image.h"
#include "render/vk_check.h"

namespace faceg2e::render {

namespace {

VkOwner<VkSemaphore> create_semaphore(VkDevice device) {
  VkSemaphoreCreateInfo info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
  VkSemaphore s = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateSemaphore(device, &info, nullptr, &s));
  return VkOwner<VkSemaphore>(device, s, vkDestroySemaphore);
}

}  // namespace

FramePresenter::FramePresenter(Context& context, SizeQuery framebuffer_size,
                               VkSampleCountFlagBits wanted_samples)
    : context_(context), framebuffer_size_(std::move(framebuffer_size)) {
  VkDevice device = context_.device();
  VkExtent2D size = framebuffer_size_();
  if (size.width == 0 || size.height == 0) size = {1, 1};
  swapchain_ = std::make_unique<Swapchain>(context_, size);
  requested_size_ = size;
  format_.color = swapchain_->format();
  format_.depth = context_.depth_format();
  format_.samples = context_.supported_samples(wanted_samples);
  render_pass_ = create_render_pass(device, format_, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR);

  VkCommandPoolCreateInfo pool{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  pool.queueFamilyIndex = context_.queue_family();
  VkCommandPool command_pool = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateCommandPool(device, &pool, nullptr, &command_pool));
  command_pool_ = VkOwner<VkCommandPool>(device, command_pool, vkDestroyCommandPool);

  for (auto& slot : slots_) {
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = command_pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    FACEG2E_VK_CHECK(vkAllocateCommandBuffers(device, &alloc, &slot.cmd));
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
    VkFence fence = VK_NULL_HANDLE;
    FACEG2E_VK_CHECK(vkCreateFence(device, &fence_info, nullptr, &fence));
    slot.in_flight = VkOwner<VkFence>(device, fence, vkDestroyFence);
    slot.image_available = create_semaphore(device);
  }

  attachments_ = FrameAttachments(context_, format_, swapchain_->extent());
  for (std::uint32_t i = 0; i < swapchain_->image_count(); ++i) {
    framebuffers_.push_back(
        attachments_.create_framebuffer(device, render_pass_.get(), swapchain_->view(i)));
    render_finished_.push_back(create_semaphore(device));
  }
}

FramePresenter::~FramePresenter() { context_.wait_idle(); }

void FramePresenter::recreate() {
  const VkExtent2D size = framebuffer_size_();
  if (size.width == 0 || size.height == 0) return;  // minimised: keep the old one until restored
  context_.wait_idle();
  VkDevice device = context_.device();
  framebuffers_.clear();
  auto next = std::make_unique<Swapchain>(context_, size, swapchain_->get());
  swapchain_ = std::move(next);
  requested_size_ = size;
  if (swapchain_->format() != format_.color)
    throw Error("the window surface changed its pixel format; restart the application");
  attachments_ = FrameAttachments(context_, format_, swapchain_->extent());
  render_finished_.clear();
  for (std::uint32_t i = 0; i < swapchain_->image_count(); ++i) {
    framebuffers_.push_back(
        attachments_.create_framebuffer(device, render_pass_.get(), swapchain_->view(i)));
    render_finished_.push_back(create_semaphore(device));
  }
  recreate_requested_ = false;
  ++generation_;
}

VkCommandBuffer FramePresenter::begin_frame() {
  FACEG2E_CHECK(!in_frame_, "begin_frame called twice without end_frame");
  const VkExtent2D size = framebuffer_size_();
  if (size.width == 0 || size.height == 0) return VK_NULL_HANDLE;  // minimised
  // Compared with the size we asked for, not the swapchain's extent: a surface may pin its own
  // extent, and that must not trigger a re-creation every frame.
  if (recreate_requested_ || size.width != requested_size_.width ||
      size.height != requested_size_.height) {
    recreate();
    return VK_NULL_HANDLE;
  }

  VkDevice device = context_.device();
  FrameSlot& slot = slots_[slot_];
  VkFence fence = slot.in_flight.get();
  FACEG2E_VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
  context_.complete_serial(slot.serial);

  const VkResult acquired =
      vkAcquireNextImageKHR(device, swapchain_->get(), UINT64_MAX, slot.image_available.get(),
                            VK_NULL_HANDLE, &image_index_);
  if (acquired == VK_ERROR_OUT_OF_DATE_KHR) {
    recreate();
    return VK_NULL_HANDLE;
  }
  if (acquired == VK_SUBOPTIMAL_KHR) {
    recreate_requested_ = true;  // this image is still usable; re-create after presenting it
  } else {
    FACEG2E_VK_CHECK(acquired);
  }
  FACEG2E_VK_CHECK(vkResetFences(device, 1, &fence));
  FACEG2E_VK_CHECK(vkResetCommandBuffer(slot.cmd, 0));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  FACEG2E_VK_CHECK(vkBeginCommandBuffer(slot.cmd, &begin));
  in_frame_ = true;
  return slot.cmd;
}

void FramePresenter::begin_render_pass(const std::array<float, 4>& clear_color) {
  const auto clears = attachments_.clear_values(clear_color);
  VkRenderPassBeginInfo pass{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
  pass.renderPass = render_pass_.get();
  pass.framebuffer = framebuffers_[image_index_].get();
  pass.renderArea = {{0, 0}, swapchain_->extent()};
  pass.clearValueCount = static_cast<std::uint32_t>(clears.size());
  pass.pClearValues = clears.data();
  vkCmdBeginRenderPass(slots_[slot_].cmd, &pass, VK_SUBPASS_CONTENTS_INLINE);
}

void FramePresenter::end_render_pass() { vkCmdEndRenderPass(slots_[slot_].cmd); }

std::optional<Image8> FramePresenter::end_frame(bool capture) {
  FACEG2E_CHECK(in_frame_, "end_frame without begin_frame");
  in_frame_ = false;
  VkDevice device = context_.device();
  FrameSlot& slot = slots_[slot_];
  VkCommandBuffer cmd = slot.cmd;
  const VkExtent2D extent = swapchain_->extent();
  const bool do_capture = capture && swapchain_->can_read_back();
  if (do_capture) {
    const VkDeviceSize bytes = VkDeviceSize(extent.width) * extent.height * 4;
    if (capture_.size < bytes)
      capture_ =
          create_buffer(context_, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT);
    VkImage image = swapchain_->image(image_index_);
    transition_image(cmd, image, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR,
                     VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                     VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT,
                     VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                     VK_ACCESS_TRANSFER_READ_BIT);
    VkBufferImageCopy region{};
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {extent.width, extent.height, 1};
    vkCmdCopyImageToBuffer(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, capture_.get(), 1,
                           &region);
    transition_image(cmd, image, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL,
                     VK_IMAGE_LAYOUT_PRESENT_SRC_KHR, VK_PIPELINE_STAGE_TRANSFER_BIT,
                     VK_ACCESS_TRANSFER_READ_BIT, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, 0);
  }
  FACEG2E_VK_CHECK(vkEndCommandBuffer(cmd));

  const VkSemaphore wait = slot.image_available.get();
  const VkSemaphore signal = render_finished_[image_index_].get();
  const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.waitSemaphoreCount = 1;
  submit.pWaitSemaphores = &wait;
  submit.pWaitDstStageMask = &wait_stage;
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  submit.signalSemaphoreCount = 1;
  submit.pSignalSemaphores = &signal;
  slot.serial = context_.submit_serial();
  VkFence fence = slot.in_flight.get();
  FACEG2E_VK_CHECK(vkQueueSubmit(context_.queue(), 1, &submit, fence));

  VkSwapchainKHR swapchain = swapchain_->get();
  VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
  present.waitSemaphoreCount = 1;
  present.pWaitSemaphores = &signal;
  present.swapchainCount = 1;
  present.pSwapchains = &swapchain;
  present.pImageIndices = &image_index_;
  const VkResult presented = vkQueuePresentKHR(context_.queue(), &present);
  if (presented == VK_ERROR_OUT_OF_DATE_KHR || presented == VK_SUBOPTIMAL_KHR) {
    recreate_requested_ = true;
  } else {
    FACEG2E_VK_CHECK(presented);
  }
  slot_ = (slot_ + 1) % k_frames_in_flight;

  if (!capture) return std::nullopt;
  Image8 out;
  if (!do_capture) return out;
  FACEG2E_VK_CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
  out.width = static_cast<int>(extent.width);
  out.height = static_cast<int>(extent.height);
  out.channels = 4;
  out.pixels.resize(std::size_t(extent.width) * extent.height * 4);
  const auto* src = static_cast<const std::uint8_t*>(capture_.mapped);
  const bool bgra = swapchain_->is_bgra();
  for (std::size_t i = 0; i < out.pixels.size(); i += 4) {
    out.pixels[i + 0] = src[i + (bgra ? 2 : 0)];
    out.pixels[i + 1] = src[i + 1];
    out.pixels[i + 2] = src[i + (bgra ? 0 : 2)];
    out.pixels[i + 3] = 255;  // the window is opaque whatever alpha the UI wrote
  }
  return out;
}

}  // namespace faceg2e::render
