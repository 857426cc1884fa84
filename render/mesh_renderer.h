#pragma once
// Draws one triangle mesh with a texture, simple lighting and the overlays of ViewSettings.
//
// The upload interface takes plain arrays and never waits for the GPU: every setter builds new
// buffers/images and retires the old ones to the Context, which frees them once the frames that
// may still read them have finished. Texture uploads are recorded by record_uploads() into the
// next frame's command buffer (before its render pass), so a setter is cheap to call between
// frames, e.g. with each optimizer snapshot.
#include <vulkan/vulkan.h>

#include <cstdint>
#include <glm/glm.hpp>
#include <memory>
#include <vector>

#include "render/mesh_remap.h"
#include "render/view_settings.h"
#include "render/vk_handle.h"

namespace faceg2e::render {

class Context;
class OrbitCamera;
struct Buffer;
struct Image;

struct DrawView {
  glm::mat4 view_projection{1.0f};
  glm::vec3 eye{0.0f, 0.0f, 1.0f};
  glm::vec3 light_dir{0.0f, 0.0f, 1.0f};  // world space, toward the light
  VkRect2D viewport{{0, 0}, {1, 1}};      // the part of the framebuffer to draw into
};

// The camera's view of `viewport`, with the key light of `settings` turned into world space.
DrawView make_draw_view(const OrbitCamera& camera, VkRect2D viewport, const ViewSettings& settings);

class MeshRenderer {
 public:
  MeshRenderer(Context& context, VkRenderPass render_pass, VkSampleCountFlagBits samples);
  ~MeshRenderer();
  MeshRenderer(const MeshRenderer&) = delete;
  MeshRenderer& operator=(const MeshRenderer&) = delete;

  // A new topology. positions/normals: V*3 (normals empty: computed here); uvs: T*2 (or V*2,
  // or empty); faces: F*3 vertex indices; faces_uv: F*3 UV indices, or empty when UVs are per
  // vertex. Throws faceg2e::Error on inconsistent sizes or out-of-range indices.
  void set_mesh(const std::vector<float>& positions, const std::vector<float>& normals,
                const std::vector<float>& uvs, const std::vector<std::int32_t>& faces,
                const std::vector<std::int32_t>& faces_uv);
  // Same topology, new shape (slider drags, optimizer snapshots): V*3 each.
  void update_positions_normals(const std::vector<float>& positions,
                                const std::vector<float>& normals);
  // RGBA8, row 0 = top of the image = v 1 (OBJ UV convention).
  void set_texture(const std::uint8_t* rgba, std::uint32_t width, std::uint32_t height);
  // One float per texel in [0,1], same orientation as the texture.
  void set_scalar_map(const float* values, std::uint32_t width, std::uint32_t height);
  // RGBA8 per mesh vertex (V*4); alpha scales the overlay per vertex.
  void set_vertex_labels(const std::vector<std::uint8_t>& rgba);

  bool has_mesh() const { return index_count_ > 0; }
  std::size_t num_vertices() const { return remap_.num_vertices; }
  std::size_t num_render_vertices() const { return remap_.render_to_vertex.size(); }
  std::size_t num_triangles() const { return index_count_ / 3; }
  glm::vec3 bounds_min() const { return bounds_min_; }
  glm::vec3 bounds_max() const { return bounds_max_; }

  // Outside a render pass, before draw(): records pending texture uploads.
  void record_uploads(VkCommandBuffer cmd);
  // Inside a render pass of the kind given to the constructor.
  void draw(VkCommandBuffer cmd, const DrawView& view, const ViewSettings& settings);

 private:
  struct PendingUpload;
  void create_pipeline(VkRenderPass render_pass, VkSampleCountFlagBits samples);
  std::shared_ptr<Image> queue_texture_upload(const void* pixels, std::size_t bytes,
                                              std::uint32_t width, std::uint32_t height,
                                              VkFormat format);
  void upload_dynamic_vertices(const std::vector<float>& positions,
                               const std::vector<float>& normals);
  void upload_labels(const std::vector<std::uint8_t>& rgba);
  void refresh_descriptor_set();
  template <typename T>
  void replace(std::shared_ptr<T>& slot, std::shared_ptr<T> next);

  Context& context_;
  VkOwner<VkDescriptorSetLayout> set_layout_;
  VkOwner<VkPipelineLayout> pipeline_layout_;
  VkOwner<VkPipeline> pipeline_;
  VkOwner<VkSampler> sampler_;
  VkOwner<VkDescriptorPool> descriptor_pool_;

  CornerRemap remap_;
  std::uint32_t index_count_ = 0;
  glm::vec3 bounds_min_{-1.0f};
  glm::vec3 bounds_max_{1.0f};
  std::shared_ptr<Buffer> position_normal_buffer_;  // R x (position, normal), rewritten per shape
  std::shared_ptr<Buffer> uv_buffer_;               // R x uv
  std::shared_ptr<Buffer> label_buffer_;            // R x RGBA8
  std::shared_ptr<Buffer> index_buffer_;

  std::shared_ptr<Image> albedo_;
  std::shared_ptr<Image> scalar_map_;
  std::vector<std::unique_ptr<PendingUpload>> pending_uploads_;
  std::shared_ptr<VkDescriptorSet> descriptor_set_;
  bool descriptor_dirty_ = true;
};

}  // namespace faceg2e::render
