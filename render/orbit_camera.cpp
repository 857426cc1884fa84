#include "render/orbit_camera.h"

#include <algorithm>
#include <cmath>
#include <glm/gtc/matrix_transform.hpp>

namespace faceg2e::render {

void OrbitCamera::frame(const glm::vec3& box_min, const glm::vec3& box_max) {
  target_ = 0.5f * (box_min + box_max);
  radius_ = std::max(0.5f * glm::length(box_max - box_min), 1e-3f);
  const float half_fov = glm::radians(params_.fov_y_degrees) * 0.5f;
  distance_ = params_.frame_margin * radius_ / std::sin(half_fov);
  yaw_ = 0.0f;
  pitch_ = 0.0f;
}

void OrbitCamera::rotate(float dx_pixels, float dy_pixels) {
  yaw_ -= dx_pixels * params_.rotate_radians_per_pixel;
  set_angles(yaw_, pitch_ + dy_pixels * params_.rotate_radians_per_pixel);
}

void OrbitCamera::set_angles(float yaw, float pitch) {
  yaw_ = yaw;
  pitch_ = std::clamp(pitch, -params_.max_pitch_radians, params_.max_pitch_radians);
}

void OrbitCamera::pan(float dx_pixels, float dy_pixels, float viewport_height_pixels) {
  if (viewport_height_pixels <= 0.0f) return;
  // World units per pixel at the target's depth.
  const float scale = 2.0f * distance_ * std::tan(glm::radians(params_.fov_y_degrees) * 0.5f) /
                      viewport_height_pixels;
  const glm::mat4 v = view();
  const glm::vec3 right(v[0][0], v[1][0], v[2][0]);
  const glm::vec3 up(v[0][1], v[1][1], v[2][1]);
  target_ += (-dx_pixels * right + dy_pixels * up) * scale;
}

void OrbitCamera::zoom(float wheel_steps) {
  distance_ *= std::pow(params_.zoom_factor_per_step, wheel_steps);
  distance_ = std::clamp(distance_, params_.min_distance_radii * radius_,
                         params_.max_distance_radii * radius_);
}

glm::vec3 OrbitCamera::eye() const {
  const glm::vec3 dir(std::cos(pitch_) * std::sin(yaw_), std::sin(pitch_),
                      std::cos(pitch_) * std::cos(yaw_));
  return target_ + distance_ * dir;
}

glm::mat4 OrbitCamera::view() const {
  return glm::lookAtRH(eye(), target_, glm::vec3(0.0f, 1.0f, 0.0f));
}

float OrbitCamera::near_plane() const {
  return std::max(distance_ - 2.0f * radius_, 0.01f * radius_);
}
float OrbitCamera::far_plane() const { return distance_ + 2.0f * radius_; }

glm::mat4 OrbitCamera::projection(float aspect) const {
  glm::mat4 p = glm::perspectiveRH_ZO(glm::radians(params_.fov_y_degrees), std::max(aspect, 1e-3f),
                                      near_plane(), far_plane());
  p[1][1] *= -1.0f;  // Vulkan's framebuffer y points down
  return p;
}

}  // namespace faceg2e::render
