#pragma once
// The per-frame loop of a window: frames in flight (command buffer, fence, semaphores each),
// swapchain re-creation on resize / out-of-date / suboptimal, frames skipped while the window
// is minimised (0x0), and full-window captures read back from the swapchain image.
#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/util/image_io.h"
#include "render/buffer.h"
#include "render/render_pass.h"
#include "render/swapchain.h"
#include "render/vk_handle.h"

namespace faceg2e::render {

class Context;

class FramePresenter {
 public:
  static constexpr std::uint32_t k_frames_in_flight = 2;
  using SizeQuery = std::function<VkExtent2D()>;  // the window's framebuffer size in pixels

  FramePresenter(Context& context, SizeQuery framebuffer_size,
                 VkSampleCountFlagBits wanted_samples = VK_SAMPLE_COUNT_4_BIT);
  ~FramePresenter();
  FramePresenter(const FramePresenter&) = delete;
  FramePresenter& operator=(const FramePresenter&) = delete;

  // Waits for this frame slot, acquires an image and begins its command buffer. Returns
  // VK_NULL_HANDLE when no frame should be drawn now (minimised, or the swapchain was just
  // re-created); the caller simply tries again next loop iteration.
  VkCommandBuffer begin_frame();
  void begin_render_pass(const std::array<float, 4>& clear_color);
  void end_render_pass();
  // Submits and presents. With `capture`, also copies the image out, waits for it and returns
  // it as RGBA8 (empty when the swapchain cannot be read back).
  std::optional<Image8> end_frame(bool capture = false);

  // Call on a window resize event: the next begin_frame re-creates the swapchain.
  void request_recreate() { recreate_requested_ = true; }

  VkRenderPass render_pass() const { return render_pass_.get(); }
  VkSampleCountFlagBits samples() const { return format_.samples; }
  VkExtent2D extent() const { return swapchain_->extent(); }
  std::uint32_t image_count() const { return swapchain_->image_count(); }
  std::uint32_t min_image_count() const { return swapchain_->min_image_count(); }
  std::uint64_t swapchain_generation() const { return generation_; }

 private:
  struct FrameSlot {
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkOwner<VkFence> in_flight;
    VkOwner<VkSemaphore> image_available;
    std::uint64_t serial = 0;
  };
  void recreate();

  Context& context_;
  SizeQuery framebuffer_size_;
  TargetFormat format_;
  std::unique_ptr<Swapchain> swapchain_;
  VkExtent2D requested_size_{0, 0};  // the framebuffer size the swapchain was made for
  VkOwner<VkRenderPass> render_pass_;
  FrameAttachments attachments_;
  std::vector<VkOwner<VkFramebuffer>> framebuffers_;
  std::vector<VkOwner<VkSemaphore>> render_finished_;  // per swapchain image
  VkOwner<VkCommandPool> command_pool_;
  std::array<FrameSlot, k_frames_in_flight> slots_;
  std::uint32_t slot_ = 0;
  std::uint32_t image_index_ = 0;
  bool recreate_requested_ = false;
  bool in_frame_ = false;
  std::uint64_t generation_ = 0;
  Buffer capture_;
};

}  // namespace faceg2e::render
