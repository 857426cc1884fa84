#pragma once
// The one render pass layout used everywhere: colour (multisampled when samples > 1, resolved
// into the output image) and depth, cleared at the start. The viewport mesh, the ImGui overlay
// and the offscreen target all draw into passes of this shape, so one pipeline fits all of them.
#include <vulkan/vulkan.h>

#include <array>
#include <cstdint>
#include <vector>

#include "render/image.h"
#include "render/vk_handle.h"

namespace faceg2e::render {

class Context;

struct TargetFormat {
  VkFormat color = VK_FORMAT_R8G8B8A8_UNORM;  // the output (resolve) image format
  VkFormat depth = VK_FORMAT_D32_SFLOAT;
  VkSampleCountFlagBits samples = VK_SAMPLE_COUNT_1_BIT;
};

// `final_layout`: the layout the output image is left in (PRESENT_SRC for a swapchain,
// TRANSFER_SRC for read-back).
VkOwner<VkRenderPass> create_render_pass(VkDevice device, const TargetFormat& format,
                                         VkImageLayout final_layout);

// The per-size attachments of such a pass (MSAA colour, depth), shared by every output image of
// the same size, and the framebuffers that bind them to an output view.
class FrameAttachments {
 public:
  FrameAttachments() = default;
  FrameAttachments(const Context& context, const TargetFormat& format, VkExtent2D extent);

  VkOwner<VkFramebuffer> create_framebuffer(VkDevice device, VkRenderPass pass,
                                            VkImageView output) const;
  // Clear values in attachment order.
  std::vector<VkClearValue> clear_values(const std::array<float, 4>& color) const;
  VkExtent2D extent() const { return extent_; }

 private:
  TargetFormat format_;
  VkExtent2D extent_{0, 0};
  Image msaa_color_;
  Image depth_;
};

}  // namespace faceg2e::render
