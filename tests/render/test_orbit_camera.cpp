#include <gtest/gtest.h>

#include <cmath>

#include "render/orbit_camera.h"

using faceg2e::render::OrbitCamera;

namespace {
glm::vec3 to_ndc(const OrbitCamera& cam, float aspect, const glm::vec3& p) {
  const glm::vec4 c = cam.projection(aspect) * cam.view() * glm::vec4(p, 1.0f);
  return glm::vec3(c) / c.w;
}
}  // namespace

TEST(OrbitCamera, FramesTheBoxFromTheFront) {
  OrbitCamera cam;
  const glm::vec3 lo(-8, -12, -10), hi(8, 14, 12);  // a head-sized box in cm
  cam.frame(lo, hi);
  const glm::vec3 centre = 0.5f * (lo + hi);
  EXPECT_NEAR(cam.target().x, centre.x, 1e-5);
  EXPECT_NEAR(cam.target().y, centre.y, 1e-5);
  // The face looks toward +Z, so the front view has the eye on +Z of the centre.
  EXPECT_NEAR(cam.eye().x, centre.x, 1e-4);
  EXPECT_GT(cam.eye().z, hi.z);

  const glm::vec3 c = to_ndc(cam, 1.0f, centre);
  EXPECT_NEAR(c.x, 0.0, 1e-5);
  EXPECT_NEAR(c.y, 0.0, 1e-5);
  for (int i = 0; i < 8; ++i) {
    const glm::vec3 corner(i & 1 ? hi.x : lo.x, i & 2 ? hi.y : lo.y, i & 4 ? hi.z : lo.z);
    const glm::vec3 n = to_ndc(cam, 1.0f, corner);
    EXPECT_LT(std::abs(n.x), 1.0f);
    EXPECT_LT(std::abs(n.y), 1.0f);
    EXPECT_GT(n.z, 0.0f);  // Vulkan depth range [0, 1]
    EXPECT_LT(n.z, 1.0f);
  }
  // +Y up in the world is toward row 0 (negative NDC y) in Vulkan's framebuffer; the subject's
  // left (+x) appears on the right of the image when seen from the front.
  EXPECT_LT(to_ndc(cam, 1.0f, centre + glm::vec3(0, 5, 0)).y, 0.0f);
  EXPECT_GT(to_ndc(cam, 1.0f, centre + glm::vec3(5, 0, 0)).x, 0.0f);
}

TEST(OrbitCamera, ZoomRotatePan) {
  OrbitCamera cam;
  cam.frame(glm::vec3(-10), glm::vec3(10));
  const float d0 = cam.distance();
  cam.zoom(1.0f);
  EXPECT_NEAR(cam.distance(), d0 * 0.9f, 1e-3);
  cam.zoom(-1.0f);
  EXPECT_NEAR(cam.distance(), d0, 1e-3);
  cam.zoom(1000.0f);  // clamped, never through the target
  EXPECT_GT(cam.distance(), 0.0f);

  cam.frame(glm::vec3(-10), glm::vec3(10));
  cam.rotate(100.0f, 0.0f);  // drag right: the camera swings to the subject's right (-x)
  EXPECT_LT(cam.eye().x, 0.0f);
  EXPECT_NEAR(glm::length(cam.eye() - cam.target()), cam.distance(), 1e-3);
  cam.rotate(0.0f, 1e6f);  // pitch is clamped short of the pole
  EXPECT_LT(cam.pitch(), 1.571f);

  cam.frame(glm::vec3(-10), glm::vec3(10));
  cam.pan(50.0f, 0.0f, 500.0f);  // drag right: the scene follows the cursor, the target moves left
  EXPECT_LT(cam.target().x, 0.0f);
  EXPECT_NEAR(cam.target().y, 0.0f, 1e-5);
}
