#include "render/render_pass.h"

#include "render/context.h"
#include "render/vk_check.h"

namespace faceg2e::render {

VkOwner<VkRenderPass> create_render_pass(VkDevice device, const TargetFormat& format,
                                         VkImageLayout final_layout) {
  const bool msaa = format.samples != VK_SAMPLE_COUNT_1_BIT;
  std::vector<VkAttachmentDescription> attachments;

  VkAttachmentDescription color{};
  color.format = format.color;
  color.samples = format.samples;
  color.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  color.storeOp = msaa ? VK_ATTACHMENT_STORE_OP_DONT_CARE : VK_ATTACHMENT_STORE_OP_STORE;
  color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  color.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  color.finalLayout = msaa ? VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL : final_layout;
  attachments.push_back(color);

  VkAttachmentDescription depth{};
  depth.format = format.depth;
  depth.samples = format.samples;
  depth.loadOp = VK_ATTACHMENT_LOAD_OP_CLEAR;
  depth.storeOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  depth.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
  depth.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
  depth.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
  depth.finalLayout = VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL;
  attachments.push_back(depth);

  if (msaa) {
    VkAttachmentDescription resolve = color;
    resolve.samples = VK_SAMPLE_COUNT_1_BIT;
    resolve.loadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
    resolve.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    resolve.finalLayout = final_layout;
    attachments.push_back(resolve);
  }

  VkAttachmentReference color_ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkAttachmentReference depth_ref{1, VK_IMAGE_LAYOUT_DEPTH_STENCIL_ATTACHMENT_OPTIMAL};
  VkAttachmentReference resolve_ref{2, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
  VkSubpassDescription subpass{};
  subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
  subpass.colorAttachmentCount = 1;
  subpass.pColorAttachments = &color_ref;
  subpass.pDepthStencilAttachment = &depth_ref;
  subpass.pResolveAttachments = msaa ? &resolve_ref : nullptr;

  // The previous frame may still write the shared MSAA/depth attachments, and the output image
  // comes from the presentation engine or a transfer: order all of that before our writes.
  VkSubpassDependency dep{};
  dep.srcSubpass = VK_SUBPASS_EXTERNAL;
  dep.dstSubpass = 0;
  dep.srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT |
                     VK_PIPELINE_STAGE_LATE_FRAGMENT_TESTS_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  dep.dstStageMask =
      VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT | VK_PIPELINE_STAGE_EARLY_FRAGMENT_TESTS_BIT;
  dep.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT |
                      VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT;
  dep.dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT | VK_ACCESS_COLOR_ATTACHMENT_READ_BIT |
                      VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_WRITE_BIT |
                      VK_ACCESS_DEPTH_STENCIL_ATTACHMENT_READ_BIT;
  VkSubpassDependency out_dep{};
  out_dep.srcSubpass = 0;
  out_dep.dstSubpass = VK_SUBPASS_EXTERNAL;
  out_dep.srcStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
  out_dep.dstStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT;
  out_dep.srcAccessMask = VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
  out_dep.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT;
  const VkSubpassDependency deps[] = {dep, out_dep};

  VkRenderPassCreateInfo info{VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO};
  info.attachmentCount = static_cast<std::uint32_t>(attachments.size());
  info.pAttachments = attachments.data();
  info.subpassCount = 1;
  info.pSubpasses = &subpass;
  info.dependencyCount = 2;
  info.pDependencies = deps;
  VkRenderPass pass = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateRenderPass(device, &info, nullptr, &pass));
  return VkOwner<VkRenderPass>(device, pass, vkDestroyRenderPass);
}

FrameAttachments::FrameAttachments(const Context& context, const TargetFormat& format,
                                   VkExtent2D extent)
    : format_(format), extent_(extent) {
  if (format.samples != VK_SAMPLE_COUNT_1_BIT) {
    ImageDesc color;
    color.width = extent.width;
    color.height = extent.height;
    color.format = format.color;
    color.samples = format.samples;
    color.usage = VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT;
    msaa_color_ = create_image(context, color);
  }
  ImageDesc depth;
  depth.width = extent.width;
  depth.height = extent.height;
  depth.format = format.depth;
  depth.samples = format.samples;
  depth.usage =
      VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT | VK_IMAGE_USAGE_TRANSIENT_ATTACHMENT_BIT;
  depth.aspect = VK_IMAGE_ASPECT_DEPTH_BIT;
  depth_ = create_image(context, depth);
}

VkOwner<VkFramebuffer> FrameAttachments::create_framebuffer(VkDevice device, VkRenderPass pass,
                                                            VkImageView output) const {
  std::vector<VkImageView> views;
  if (msaa_color_.view) {
    views = {msaa_color_.view.get(), depth_.view.get(), output};
  } else {
    views = {output, depth_.view.get()};
  }
  VkFramebufferCreateInfo info{VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO};
  info.renderPass = pass;
  info.attachmentCount = static_cast<std::uint32_t>(views.size());
  info.pAttachments = views.data();
  info.width = extent_.width;
  info.height = extent_.height;
  info.layers = 1;
  VkFramebuffer fb = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateFramebuffer(device, &info, nullptr, &fb));
  return VkOwner<VkFramebuffer>(device, fb, vkDestroyFramebuffer);
}

std::vector<VkClearValue> FrameAttachments::clear_values(const std::array<float, 4>& color) const {
  VkClearValue c{};
  for (int i = 0; i < 4; ++i) c.color.float32[i] = color[i];
  VkClearValue d{};
  d.depthStencil = {1.0f, 0};
  if (msaa_color_.view) return {c, d, c};
  return {c, d};
}

}  // namespace faceg2e::render
