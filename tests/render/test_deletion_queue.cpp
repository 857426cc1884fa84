#include <gtest/gtest.h>

#include <memory>

#include "render/deletion_queue.h"
#include "render/mesh_renderer.h"
#include "render/orbit_camera.h"

using faceg2e::render::DeletionQueue;

TEST(DeletionQueue, KeepsResourcesUntilTheirFrameCompletes) {
  DeletionQueue queue;
  auto a = std::make_shared<int>(1);
  auto b = std::make_shared<int>(2);
  std::weak_ptr<int> wa = a, wb = b;
  queue.retire(5, std::move(a));  // retired while frame 5 was being recorded
  queue.retire(7, std::move(b));
  queue.collect(4);
  EXPECT_FALSE(wa.expired());
  EXPECT_FALSE(wb.expired());
  queue.collect(5);
  EXPECT_TRUE(wa.expired());
  EXPECT_FALSE(wb.expired());
  EXPECT_EQ(queue.size(), 1u);
  queue.collect(100);
  EXPECT_TRUE(wb.expired());
  EXPECT_EQ(queue.size(), 0u);
}

TEST(DrawView, LightFollowsTheCamera) {
  faceg2e::render::OrbitCamera camera;
  camera.frame(glm::vec3(-10), glm::vec3(10));
  camera.rotate(120.0f, -40.0f);
  faceg2e::render::ViewSettings settings;
  settings.light_camera[0] = 0.0f;
  settings.light_camera[1] = 0.0f;
  settings.light_camera[2] = 1.0f;  // a head-light: toward the viewer
  const auto view = faceg2e::render::make_draw_view(camera, VkRect2D{{0, 0}, {640, 480}}, settings);
  const glm::vec3 to_eye = glm::normalize(camera.eye() - camera.target());
  EXPECT_NEAR(view.light_dir.x, to_eye.x, 1e-4);
  EXPECT_NEAR(view.light_dir.y, to_eye.y, 1e-4);
  EXPECT_NEAR(view.light_dir.z, to_eye.z, 1e-4);
  // The target projects to the centre of the viewport.
  const glm::vec4 c = view.view_projection * glm::vec4(camera.target(), 1.0f);
  EXPECT_NEAR(c.x / c.w, 0.0, 1e-5);
  EXPECT_NEAR(c.y / c.w, 0.0, 1e-5);
}
