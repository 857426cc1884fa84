#pragma once
// Renders frames into an RGBA8 image and reads them back to the host: screenshots, thumbnails,
// tests. Uses the same render-pass shape as the window, so every pipeline works on both.
#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include "core/util/image_io.h"
#include "render/buffer.h"
#include "render/image.h"
#include "render/render_pass.h"
#include "render/vk_handle.h"

namespace faceg2e::render {

class Context;

class OffscreenTarget {
 public:
  OffscreenTarget(Context& context, std::uint32_t width, std::uint32_t height,
                  VkSampleCountFlagBits wanted_samples = VK_SAMPLE_COUNT_4_BIT);
  ~OffscreenTarget();
  OffscreenTarget(const OffscreenTarget&) = delete;
  OffscreenTarget& operator=(const OffscreenTarget&) = delete;

  // Re-creates the size-dependent images; the render pass (and pipelines built on it) stay valid.
  void resize(std::uint32_t width, std::uint32_t height);

  VkRenderPass render_pass() const { return render_pass_.get(); }
  VkSampleCountFlagBits samples() const { return format_.samples; }
  VkExtent2D extent() const { return output_.extent(); }

  // Records `before_pass` (uploads), then the cleared pass with `in_pass`, runs it, waits and
  // returns the RGBA8 image (4 channels, row 0 at the top).
  Image8 render(const std::function<void(VkCommandBuffer)>& before_pass,
                const std::function<void(VkCommandBuffer)>& in_pass,
                const std::array<float, 4>& clear_color);

 private:
  void create_size_dependent(std::uint32_t width, std::uint32_t height);

  Context& context_;
  TargetFormat format_;
  VkOwner<VkRenderPass> render_pass_;
  Image output_;
  FrameAttachments attachments_;
  VkOwner<VkFramebuffer> framebuffer_;
  Buffer readback_;
  VkOwner<VkCommandPool> command_pool_;
  VkOwner<VkFence> fence_;
};

}  // namespace faceg2e::render
