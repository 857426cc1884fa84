#pragma once
// An orbit camera around a target point: drag rotates, the wheel zooms, right/middle drag pans.
// World convention of the face model: +Y up, the face looks toward +Z, units are centimetres;
// yaw 0 / pitch 0 looks at the face from the front.
#include <glm/glm.hpp>

namespace faceg2e::render {

struct OrbitCameraParams {
  float fov_y_degrees = 30.0f;  // a portrait lens: little perspective distortion
  float frame_margin = 1.15f;   // bounding sphere to view distance slack
  float rotate_radians_per_pixel = 0.008f;
  float zoom_factor_per_step = 0.9f;  // distance multiplier per wheel notch
  float min_distance_radii = 0.3f;    // zoom limits, in bounding radii
  float max_distance_radii = 20.0f;
  float max_pitch_radians = 1.5f;  // just short of the poles, so "up" stays defined
};

class OrbitCamera {
 public:
  explicit OrbitCamera(const OrbitCameraParams& params = {}) : params_(params) {}

  // Centres on the box and backs off until its bounding sphere fits the vertical field of view;
  // resets to the front view.
  void frame(const glm::vec3& box_min, const glm::vec3& box_max);

  void rotate(float dx_pixels, float dy_pixels);
  // Moves the target in the view plane so that the point under the cursor follows it.
  void pan(float dx_pixels, float dy_pixels, float viewport_height_pixels);
  void zoom(float wheel_steps);

  glm::vec3 eye() const;
  glm::vec3 target() const { return target_; }
  float distance() const { return distance_; }
  float yaw() const { return yaw_; }
  float pitch() const { return pitch_; }
  void set_angles(float yaw, float pitch);

  glm::mat4 view() const;
  // Vulkan clip space: depth in [0,1], y pointing down the framebuffer.
  glm::mat4 projection(float aspect) const;
  float near_plane() const;
  float far_plane() const;

 private:
  OrbitCameraParams params_;
  glm::vec3 target_{0.0f};
  float radius_ = 15.0f;  // bounding radius of the framed object
  float distance_ = 60.0f;
  float yaw_ = 0.0f;
  float pitch_ = 0.0f;
};

}  // namespace faceg2e::render
