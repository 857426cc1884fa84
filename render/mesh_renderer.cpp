#include "render/mesh_renderer.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "render/buffer.h"
#include "render/context.h"
#include "render/image.h"
#include "render/orbit_camera.h"
#include "render/vk_check.h"
#include "shaders/embedded_spirv.h"
#include "shaders/shared_layout.h"

namespace faceg2e::render {

namespace {

constexpr std::uint32_t k_max_descriptor_sets = 64;  // live + retired-but-in-flight sets

VkOwner<VkShaderModule> create_shader(VkDevice device, shaders::SpirvWords words) {
  VkShaderModuleCreateInfo info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  info.codeSize = words.count * sizeof(std::uint32_t);
  info.pCode = words.words;
  VkShaderModule module = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateShaderModule(device, &info, nullptr, &module));
  return VkOwner<VkShaderModule>(device, module, vkDestroyShaderModule);
}

std::vector<float> area_weighted_normals(const std::vector<float>& positions,
                                         const std::vector<std::int32_t>& faces) {
  std::vector<float> n(positions.size(), 0.0f);
  for (std::size_t f = 0; f + 2 < faces.size(); f += 3) {
    const glm::vec3 a(positions[3 * faces[f]], positions[3 * faces[f] + 1],
                      positions[3 * faces[f] + 2]);
    const glm::vec3 b(positions[3 * faces[f + 1]], positions[3 * faces[f + 1] + 1],
                      positions[3 * faces[f + 1] + 2]);
    const glm::vec3 c(positions[3 * faces[f + 2]], positions[3 * faces[f + 2] + 1],
                      positions[3 * faces[f + 2] + 2]);
    const glm::vec3 fn = glm::cross(b - a, c - a);  // length = 2 * area: area weighting for free
    for (int k = 0; k < 3; ++k)
      for (int d = 0; d < 3; ++d) n[3 * faces[f + k] + d] += fn[d];
  }
  for (std::size_t v = 0; v + 2 < n.size(); v += 3) {
    const float len = std::sqrt(n[v] * n[v] + n[v + 1] * n[v + 1] + n[v + 2] * n[v + 2]);
    if (len > 0.0f)
      for (int d = 0; d < 3; ++d) n[v + d] /= len;
  }
  return n;
}

}  // namespace

struct MeshRenderer::PendingUpload {
  std::shared_ptr<Image> image;
  std::shared_ptr<Buffer> staging;
};

DrawView make_draw_view(const OrbitCamera& camera, VkRect2D viewport,
                        const ViewSettings& settings) {
  DrawView out;
  out.viewport = viewport;
  const float aspect = static_cast<float>(viewport.extent.width) /
                       static_cast<float>(std::max(1u, viewport.extent.height));
  const glm::mat4 view = camera.view();
  out.view_projection = camera.projection(aspect) * view;
  out.eye = camera.eye();
  // Camera space to world space is the transpose of the view's rotation.
  const glm::mat3 to_world = glm::transpose(glm::mat3(view));
  out.light_dir =
      glm::normalize(to_world * glm::vec3(settings.light_camera[0], settings.light_camera[1],
                                          settings.light_camera[2]));
  return out;
}

MeshRenderer::MeshRenderer(Context& context, VkRenderPass render_pass,
                           VkSampleCountFlagBits samples)
    : context_(context) {
  VkDevice device = context_.device();

  VkDescriptorSetLayoutBinding bindings[2]{};
  bindings[0].binding = FACEG2E_BINDING_ALBEDO;
  bindings[1].binding = FACEG2E_BINDING_SCALAR_MAP;
  for (auto& b : bindings) {
    b.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    b.descriptorCount = 1;
    b.stageFlags = VK_SHADER_STAGE_FRAGMENT_BIT;
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = 2;
  set_info.pBindings = bindings;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateDescriptorSetLayout(device, &set_info, nullptr, &set_layout));
  set_layout_ = VkOwner<VkDescriptorSetLayout>(device, set_layout, vkDestroyDescriptorSetLayout);

  VkPushConstantRange push{VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0,
                           sizeof(gpu::MeshPushConstants)};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &set_layout;
  layout_info.pushConstantRangeCount = 1;
  layout_info.pPushConstantRanges = &push;
  VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreatePipelineLayout(device, &layout_info, nullptr, &pipeline_layout));
  pipeline_layout_ = VkOwner<VkPipelineLayout>(device, pipeline_layout, vkDestroyPipelineLayout);

  create_pipeline(render_pass, samples);

  VkSamplerCreateInfo sampler_info{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
  sampler_info.magFilter = VK_FILTER_LINEAR;
  sampler_info.minFilter = VK_FILTER_LINEAR;
  sampler_info.mipmapMode = VK_SAMPLER_MIPMAP_MODE_NEAREST;
  // Repeat along u: raw multi-tile UVs (u in [k, k+1]) then all sample the one texture.
  sampler_info.addressModeU = VK_SAMPLER_ADDRESS_MODE_REPEAT;
  sampler_info.addressModeV = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  sampler_info.addressModeW = VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
  sampler_info.maxLod = 0.0f;
  VkSampler sampler = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateSampler(device, &sampler_info, nullptr, &sampler));
  sampler_ = VkOwner<VkSampler>(device, sampler, vkDestroySampler);

  VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER,
                                 2 * k_max_descriptor_sets};
  VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pool_info.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
  pool_info.maxSets = k_max_descriptor_sets;
  pool_info.poolSizeCount = 1;
  pool_info.pPoolSizes = &pool_size;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateDescriptorPool(device, &pool_info, nullptr, &pool));
  descriptor_pool_ = VkOwner<VkDescriptorPool>(device, pool, vkDestroyDescriptorPool);

  // Until the caller provides them: a light neutral skin-less grey and an all-zero weight map.
  const std::uint8_t grey[4] = {190, 190, 190, 255};
  set_texture(grey, 1, 1);
  const float zero = 0.0f;
  set_scalar_map(&zero, 1, 1);
}

MeshRenderer::~MeshRenderer() {
  // Retired descriptor sets belong to our pool, which dies with us: free them all first.
  context_.flush_retired();
  descriptor_set_.reset();
}

void MeshRenderer::create_pipeline(VkRenderPass render_pass, VkSampleCountFlagBits samples) {
  VkDevice device = context_.device();
  auto vert = create_shader(device, shaders::mesh_vert());
  auto frag = create_shader(device, shaders::mesh_frag());
  VkPipelineShaderStageCreateInfo stages[2]{};
  stages[0] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  stages[0].stage = VK_SHADER_STAGE_VERTEX_BIT;
  stages[0].module = vert.get();
  stages[0].pName = "main";
  stages[1] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  stages[1].stage = VK_SHADER_STAGE_FRAGMENT_BIT;
  stages[1].module = frag.get();
  stages[1].pName = "main";

  const VkVertexInputBindingDescription vertex_bindings[] = {
      {0, 6 * sizeof(float), VK_VERTEX_INPUT_RATE_VERTEX},
      {1, 2 * sizeof(float), VK_VERTEX_INPUT_RATE_VERTEX},
      {2, 4, VK_VERTEX_INPUT_RATE_VERTEX},
  };
  const VkVertexInputAttributeDescription attributes[] = {
      {FACEG2E_ATTR_POSITION, 0, VK_FORMAT_R32G32B32_SFLOAT, 0},
      {FACEG2E_ATTR_NORMAL, 0, VK_FORMAT_R32G32B32_SFLOAT, 3 * sizeof(float)},
      {FACEG2E_ATTR_UV, 1, VK_FORMAT_R32G32_SFLOAT, 0},
      {FACEG2E_ATTR_LABEL_COLOR, 2, VK_FORMAT_R8G8B8A8_UNORM, 0},
  };
  VkPipelineVertexInputStateCreateInfo vertex_input{
      VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
  vertex_input.vertexBindingDescriptionCount = 3;
  vertex_input.pVertexBindingDescriptions = vertex_bindings;
  vertex_input.vertexAttributeDescriptionCount = 4;
  vertex_input.pVertexAttributeDescriptions = attributes;

  VkPipelineInputAssemblyStateCreateInfo assembly{
      VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
  assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;

  VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
  viewport.viewportCount = 1;
  viewport.scissorCount = 1;

  VkPipelineRasterizationStateCreateInfo raster{
      VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
  raster.polygonMode = VK_POLYGON_MODE_FILL;
  // No culling: the mouth socket and eyelids are seen from both sides; the shader flips the
  // normal of back faces. Counter-clockwise in the model stays counter-clockwise on screen
  // because the projection's y flip and Vulkan's y-down framebuffer cancel.
  raster.cullMode = VK_CULL_MODE_NONE;
  raster.frontFace = VK_FRONT_FACE_COUNTER_CLOCKWISE;
  raster.lineWidth = 1.0f;

  VkPipelineMultisampleStateCreateInfo multisample{
      VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
  multisample.rasterizationSamples = samples;

  VkPipelineDepthStencilStateCreateInfo depth{
      VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO};
  depth.depthTestEnable = VK_TRUE;
  depth.depthWriteEnable = VK_TRUE;
  depth.depthCompareOp = VK_COMPARE_OP_LESS;

  VkPipelineColorBlendAttachmentState blend_attachment{};
  blend_attachment.colorWriteMask = VK_COLOR_COMPONENT_R_BIT | VK_COLOR_COMPONENT_G_BIT |
                                    VK_COLOR_COMPONENT_B_BIT | VK_COLOR_COMPONENT_A_BIT;
  VkPipelineColorBlendStateCreateInfo blend{
      VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
  blend.attachmentCount = 1;
  blend.pAttachments = &blend_attachment;

  const VkDynamicState dynamic_states[] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
  VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
  dynamic.dynamicStateCount = 2;
  dynamic.pDynamicStates = dynamic_states;

  VkGraphicsPipelineCreateInfo info{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
  info.stageCount = 2;
  info.pStages = stages;
  info.pVertexInputState = &vertex_input;
  info.pInputAssemblyState = &assembly;
  info.pViewportState = &viewport;
  info.pRasterizationState = &raster;
  info.pMultisampleState = &multisample;
  info.pDepthStencilState = &depth;
  info.pColorBlendState = &blend;
  info.pDynamicState = &dynamic;
  info.layout = pipeline_layout_.get();
  info.renderPass = render_pass;
  info.subpass = 0;
  VkPipeline pipeline = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
  pipeline_ = VkOwner<VkPipeline>(device, pipeline, vkDestroyPipeline);
}

template <typename T>
void MeshRenderer::replace(std::shared_ptr<T>& slot, std::shared_ptr<T> next) {
  if (slot) context_.retire(std::move(slot));
  slot = std::move(next);
}

void MeshRenderer::set_mesh(const std::vector<float>& positions, const std::vector<float>& normals,
                            const std::vector<float>& uvs, const std::vector<std::int32_t>& faces,
                            const std::vector<std::int32_t>& faces_uv) {
  if (positions.empty() || positions.size() % 3 != 0)
    throw Error("mesh: positions has " + std::to_string(positions.size()) +
                " floats, expected V*3 with V > 0");
  if (faces.empty()) throw Error("mesh: no triangles");
  const std::size_t num_vertices = positions.size() / 3;
  if (!normals.empty() && normals.size() != positions.size())
    throw Error("mesh: normals has " + std::to_string(normals.size()) + " floats, positions " +
                std::to_string(positions.size()));
  if (uvs.size() % 2 != 0) throw Error("mesh: uvs has an odd number of floats");
  const std::size_t num_uvs = uvs.size() / 2;
  if (faces_uv.empty() && num_uvs != 0 && num_uvs != num_vertices)
    throw Error("mesh: per-vertex uvs need V*2 floats");

  CornerRemap remap =
      build_corner_remap(faces, faces_uv, num_vertices, faces_uv.empty() ? num_vertices : num_uvs);
  const std::size_t r = remap.render_to_vertex.size();

  // UVs flip to texture rows: the image's row 0 is v = 1.
  std::vector<float> render_uvs(2 * r, 0.0f);
  if (num_uvs > 0)
    for (std::size_t i = 0; i < r; ++i) {
      render_uvs[2 * i] = uvs[2 * remap.render_to_uv[i]];
      render_uvs[2 * i + 1] = 1.0f - uvs[2 * remap.render_to_uv[i] + 1];
    }
  auto uv_buffer = std::make_shared<Buffer>(create_host_buffer(context_, render_uvs.data(),
                                                               render_uvs.size() * sizeof(float),
                                                               VK_BUFFER_USAGE_VERTEX_BUFFER_BIT));
  auto index_buffer = std::make_shared<Buffer>(create_host_buffer(
      context_, remap.indices.data(), remap.indices.size() * sizeof(std::uint32_t),
      VK_BUFFER_USAGE_INDEX_BUFFER_BIT));
  remap_ = std::move(remap);
  index_count_ = static_cast<std::uint32_t>(remap_.indices.size());
  replace(uv_buffer_, std::move(uv_buffer));
  replace(index_buffer_, std::move(index_buffer));
  upload_dynamic_vertices(positions,
                          normals.empty() ? area_weighted_normals(positions, faces) : normals);
  upload_labels(std::vector<std::uint8_t>(num_vertices * 4, 0));

  bounds_min_ = glm::vec3(positions[0], positions[1], positions[2]);
  bounds_max_ = bounds_min_;
  for (std::size_t v = 0; v < num_vertices; ++v) {
    const glm::vec3 p(positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]);
    bounds_min_ = glm::min(bounds_min_, p);
    bounds_max_ = glm::max(bounds_max_, p);
  }
}

void MeshRenderer::update_positions_normals(const std::vector<float>& positions,
                                            const std::vector<float>& normals) {
  if (!has_mesh()) throw Error("update_positions_normals: no mesh set");
  if (positions.size() != remap_.num_vertices * 3 || normals.size() != remap_.num_vertices * 3)
    throw Error("update_positions_normals: expected " + std::to_string(remap_.num_vertices * 3) +
                " floats each, got positions " + std::to_string(positions.size()) + ", normals " +
                std::to_string(normals.size()));
  upload_dynamic_vertices(positions, normals);
}

void MeshRenderer::upload_dynamic_vertices(const std::vector<float>& positions,
                                           const std::vector<float>& normals) {
  const std::size_t r = remap_.render_to_vertex.size();
  // A fresh buffer per update: the previous one may still be read by a frame in flight.
  auto buffer = std::make_shared<Buffer>(create_host_buffer(
      context_, nullptr, r * 6 * sizeof(float), VK_BUFFER_USAGE_VERTEX_BUFFER_BIT));
  auto* out = static_cast<float*>(buffer->mapped);
  for (std::size_t i = 0; i < r; ++i) {
    const std::size_t v = remap_.render_to_vertex[i];
    std::memcpy(out + 6 * i, positions.data() + 3 * v, 3 * sizeof(float));
    std::memcpy(out + 6 * i + 3, normals.data() + 3 * v, 3 * sizeof(float));
  }
  replace(position_normal_buffer_, std::move(buffer));
}

void MeshRenderer::set_vertex_labels(const std::vector<std::uint8_t>& rgba) {
  if (!has_mesh()) throw Error("set_vertex_labels: no mesh set");
  if (rgba.size() != remap_.num_vertices * 4)
    throw Error("set_vertex_labels: expected " + std::to_string(remap_.num_vertices * 4) +
                " bytes (V*4 RGBA), got " + std::to_string(rgba.size()));
  upload_labels(rgba);
}

void MeshRenderer::upload_labels(const std::vector<std::uint8_t>& rgba) {
  const std::size_t r = remap_.render_to_vertex.size();
  auto buffer = std::make_shared<Buffer>(
      create_host_buffer(context_, nullptr, r * 4, VK_BUFFER_USAGE_VERTEX_BUFFER_BIT));
  gather_per_vertex(remap_, rgba.data(), 4, static_cast<std::uint8_t*>(buffer->mapped));
  replace(label_buffer_, std::move(buffer));
}

std::shared_ptr<Image> MeshRenderer::queue_texture_upload(const void* pixels, std::size_t bytes,
                                                          std::uint32_t width, std::uint32_t height,
                                                          VkFormat format) {
  if (!pixels || width == 0 || height == 0) throw Error("texture: empty image");
  ImageDesc desc;
  desc.width = width;
  desc.height = height;
  desc.format = format;
  desc.usage = VK_IMAGE_USAGE_SAMPLED_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT;
  auto image = std::make_shared<Image>(create_image(context_, desc));
  auto staging = std::make_shared<Buffer>(
      create_host_buffer(context_, pixels, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT));
  auto upload = std::make_unique<PendingUpload>();
  upload->image = image;
  upload->staging = std::move(staging);
  pending_uploads_.push_back(std::move(upload));
  descriptor_dirty_ = true;
  return image;
}

void MeshRenderer::set_texture(const std::uint8_t* rgba, std::uint32_t width,
                               std::uint32_t height) {
  replace(albedo_, queue_texture_upload(rgba, std::size_t(width) * height * 4, width, height,
                                        VK_FORMAT_R8G8B8A8_UNORM));
}

void MeshRenderer::set_scalar_map(const float* values, std::uint32_t width, std::uint32_t height) {
  replace(scalar_map_, queue_texture_upload(values, std::size_t(width) * height * sizeof(float),
                                            width, height, VK_FORMAT_R32_SFLOAT));
}

void MeshRenderer::record_uploads(VkCommandBuffer cmd) {
  for (auto& upload : pending_uploads_) {
    // An image replaced before it was ever drawn needs no upload.
    if (upload->image != albedo_ && upload->image != scalar_map_) continue;
    VkImage image = upload->image->get();
    transition_image(cmd, image, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_LAYOUT_UNDEFINED,
                     VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, 0,
                     VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
    VkBufferImageCopy region{};
    region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.imageExtent = {upload->image->desc.width, upload->image->desc.height, 1};
    vkCmdCopyBufferToImage(cmd, upload->staging->get(), image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                           1, &region);
    transition_image(cmd, image, VK_IMAGE_ASPECT_COLOR_BIT, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                     VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL, VK_PIPELINE_STAGE_TRANSFER_BIT,
                     VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                     VK_ACCESS_SHADER_READ_BIT);
    context_.retire(std::move(upload->staging));
  }
  pending_uploads_.clear();
  if (descriptor_dirty_) refresh_descriptor_set();
}

void MeshRenderer::refresh_descriptor_set() {
  VkDevice device = context_.device();
  VkDescriptorSetLayout layout = set_layout_.get();
  VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  alloc.descriptorPool = descriptor_pool_.get();
  alloc.descriptorSetCount = 1;
  alloc.pSetLayouts = &layout;
  VkDescriptorSet set = VK_NULL_HANDLE;
  FACEG2E_VK_CHECK(vkAllocateDescriptorSets(device, &alloc, &set));
  VkDescriptorPool pool = descriptor_pool_.get();
  // A set in use by a frame in flight must not be rewritten: each change gets a new set, and
  // the old one is freed through the deletion queue.
  auto owned = std::shared_ptr<VkDescriptorSet>(new VkDescriptorSet(set),
                                                [device, pool](VkDescriptorSet* s) {
                                                  vkFreeDescriptorSets(device, pool, 1, s);
                                                  delete s;
                                                });

  VkDescriptorImageInfo images[2]{};
  images[0] = {sampler_.get(), albedo_->view.get(), VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
  images[1] = {sampler_.get(), scalar_map_->view.get(), VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
  VkWriteDescriptorSet writes[2]{};
  for (int i = 0; i < 2; ++i) {
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = i == 0 ? FACEG2E_BINDING_ALBEDO : FACEG2E_BINDING_SCALAR_MAP;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    writes[i].pImageInfo = &images[i];
  }
  vkUpdateDescriptorSets(device, 2, writes, 0, nullptr);
  replace(descriptor_set_, std::move(owned));
  descriptor_dirty_ = false;
}

void MeshRenderer::draw(VkCommandBuffer cmd, const DrawView& view, const ViewSettings& settings) {
  FACEG2E_CHECK(pending_uploads_.empty() && !descriptor_dirty_,
                "MeshRenderer::record_uploads must run before draw");
  if (!has_mesh() || view.viewport.extent.width == 0 || view.viewport.extent.height == 0) return;
  // The viewport and scissor rectangle also bound the drawing when panels share the window.
  VkViewport vp{static_cast<float>(view.viewport.offset.x),
                static_cast<float>(view.viewport.offset.y),
                static_cast<float>(view.viewport.extent.width),
                static_cast<float>(view.viewport.extent.height),
                0.0f,
                1.0f};
  vkCmdSetViewport(cmd, 0, 1, &vp);
  vkCmdSetScissor(cmd, 0, 1, &view.viewport);
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline_.get());
  vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, pipeline_layout_.get(), 0, 1,
                          descriptor_set_.get(), 0, nullptr);

  gpu::MeshPushConstants push{};
  push.view_projection = view.view_projection;
  push.light_dir = glm::vec4(view.light_dir, settings.ambient);
  push.eye_pos = glm::vec4(view.eye, 1.0f);
  push.overlay = glm::vec4(settings.overlay_opacity, settings.specular, 0.0f, 0.0f);
  push.modes =
      glm::ivec4(static_cast<int>(settings.shading), static_cast<int>(settings.overlay), 0, 0);
  vkCmdPushConstants(cmd, pipeline_layout_.get(),
                     VK_SHADER_STAGE_VERTEX_BIT | VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof(push),
                     &push);

  const VkBuffer buffers[] = {position_normal_buffer_->get(), uv_buffer_->get(),
                              label_buffer_->get()};
  const VkDeviceSize offsets[] = {0, 0, 0};
  vkCmdBindVertexBuffers(cmd, 0, 3, buffers, offsets);
  vkCmdBindIndexBuffer(cmd, index_buffer_->get(), 0, VK_INDEX_TYPE_UINT32);
  vkCmdDrawIndexed(cmd, index_count_, 1, 0, 0, 0);
}

}  // namespace faceg2e::render
