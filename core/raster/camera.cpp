#include "core/raster/camera.h"

#include <torch/torch.h>

#include <cmath>

#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {
namespace {

constexpr double kDegToRad = M_PI / 180.0;

Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
Vec3 scale(const Vec3& a, double s) { return {a[0] * s, a[1] * s, a[2] * s}; }

torch::Tensor matrix_from_rows(const double m[4][4]) {
  torch::Tensor t = torch::empty({4, 4}, torch::kFloat64);
  auto a = t.accessor<double, 2>();
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) a[r][c] = m[r][c];
  return t;
}

}  // namespace

torch::Tensor perspective_matrix(const PerspectiveParams& p) {
  if (!(p.fov_y_deg > 0.0 && p.fov_y_deg < 180.0))
    throw Error("raster::perspective_matrix: fov_y_deg must be in (0, 180), got " +
                std::to_string(p.fov_y_deg));
  if (!(p.aspect > 0.0))
    throw Error("raster::perspective_matrix: aspect must be > 0, got " + std::to_string(p.aspect));
  if (!(p.near > 0.0) || !(p.far > p.near))
    throw Error("raster::perspective_matrix: need 0 < near < far, got near " +
                std::to_string(p.near) + ", far " + std::to_string(p.far));
  const double f = 1.0 / std::tan(0.5 * p.fov_y_deg * kDegToRad);
  const double m[4][4] = {
      {f / p.aspect, 0, 0, 0},
      {0, f, 0, 0},
      {0, 0, (p.far + p.near) / (p.near - p.far), 2.0 * p.far * p.near / (p.near - p.far)},
      {0, 0, -1, 0}};
  return matrix_from_rows(m);
}

torch::Tensor look_at_matrix(const Vec3& eye, const Vec3& target, const Vec3& up) {
  const Vec3 d = sub(target, eye);
  const double len = norm(d);
  if (!(len > 0.0)) throw Error("raster::look_at_matrix: eye and target coincide");
  const Vec3 f = scale(d, 1.0 / len);
  Vec3 s = cross(f, up);
  const double s_len = norm(s);
  if (!(s_len > 1e-12 * std::max(1.0, norm(up))))
    throw Error("raster::look_at_matrix: up is parallel to the viewing direction (or zero)");
  s = scale(s, 1.0 / s_len);
  const Vec3 u = cross(s, f);
  const double m[4][4] = {{s[0], s[1], s[2], -dot(s, eye)},
                          {u[0], u[1], u[2], -dot(u, eye)},
                          {-f[0], -f[1], -f[2], dot(f, eye)},
                          {0, 0, 0, 1}};
  return matrix_from_rows(m);
}

Vec3 orbit_eye(const ViewAngles& view, const Vec3& target) {
  if (!(view.distance > 0.0))
    throw Error("raster::orbit_eye: distance must be > 0, got " + std::to_string(view.distance));
  if (!(std::abs(view.elevation_deg) < 90.0))
    throw Error("raster::orbit_eye: elevation must be in (-90, 90) degrees, got " +
                std::to_string(view.elevation_deg));
  const double az = view.azimuth_deg * kDegToRad, el = view.elevation_deg * kDegToRad;
  return {target[0] + view.distance * std::cos(el) * std::sin(az),
          target[1] + view.distance * std::sin(el),
          target[2] + view.distance * std::cos(el) * std::cos(az)};
}

torch::Tensor Camera::view_projection() const { return torch::matmul(projection, view); }

Camera make_orbit_camera(const std::vector<ViewAngles>& views, const Vec3& target,
                         const PerspectiveParams& perspective, torch::Device device) {
  if (views.empty()) throw Error("raster::make_orbit_camera: no views given");
  const torch::Tensor proj = perspective_matrix(perspective);
  std::vector<torch::Tensor> v, p;
  for (const ViewAngles& view : views) {
    v.push_back(look_at_matrix(orbit_eye(view, target), target));
    p.push_back(proj);
  }
  Camera cam;
  cam.view = torch::stack(v).to(device, torch::kFloat32);
  cam.projection = torch::stack(p).to(device, torch::kFloat32);
  return cam;
}

torch::Tensor transform_points(const torch::Tensor& points, const torch::Tensor& matrix) {
  using namespace detail;
  constexpr const char* kOp = "transform_points";
  check_floating(points, kOp, "points");
  check_dims(points, {2, 3}, kOp, "points", "[N, 3] or [B, N, 3]");
  check_size(points, -1, 3, kOp, "points", "[N, 3] or [B, N, 3]");
  check_floating(matrix, kOp, "matrix");
  check_dims(matrix, {2, 3}, kOp, "matrix", "[4, 4] or [B, 4, 4]");
  check_size(matrix, -1, 4, kOp, "matrix", "[4, 4] or [B, 4, 4]");
  check_size(matrix, -2, 4, kOp, "matrix", "[4, 4] or [B, 4, 4]");
  const torch::Tensor p = points.dim() == 2 ? points.unsqueeze(0) : points;
  const torch::Tensor m =
      (matrix.dim() == 2 ? matrix.unsqueeze(0) : matrix).to(points.device(), points.scalar_type());
  if (p.size(0) != 1 && m.size(0) != 1 && p.size(0) != m.size(0))
    throw Error("raster::transform_points: batch of points " + std::to_string(p.size(0)) +
                " and of matrices " + std::to_string(m.size(0)) + " differ");
  // [x, y, z, 1] M^T = x M[:, 0] + y M[:, 1] + z M[:, 2] + M[:, 3]
  const torch::Tensor lin = m.narrow(2, 0, 3).transpose(1, 2);  // [Bm, 3, 4]
  const torch::Tensor trans = m.select(2, 3).unsqueeze(1);      // [Bm, 1, 4]
  return torch::matmul(p, lin) + trans;
}

ViewSampler::ViewSampler(const ViewSamplingParams& params, std::uint64_t seed)
    : params_(params), engine_(seed) {
  auto check_range = [](double lo, double hi, const char* name) {
    if (!(lo <= hi))
      throw Error(std::string("raster::ViewSampler: ") + name + " range is empty (min > max)");
  };
  check_range(params.azimuth_min_deg, params.azimuth_max_deg, "azimuth");
  check_range(params.elevation_min_deg, params.elevation_max_deg, "elevation");
  check_range(params.distance_min, params.distance_max, "distance");
  if (!(params.elevation_min_deg > -90.0 && params.elevation_max_deg < 90.0))
    throw Error("raster::ViewSampler: elevation must stay inside (-90, 90) degrees");
  if (!(params.distance_min > 0.0)) throw Error("raster::ViewSampler: distance_min must be > 0");
}

double ViewSampler::uniform(double lo, double hi) {
  // 53 random bits -> [0, 1): the same on every standard library, unlike
  // std::uniform_real_distribution.
  const double unit = static_cast<double>(engine_() >> 11) * (1.0 / 9007199254740992.0);
  return lo + (hi - lo) * unit;
}

ViewAngles ViewSampler::sample() {
  ViewAngles v;
  v.azimuth_deg = uniform(params_.azimuth_min_deg, params_.azimuth_max_deg);
  v.elevation_deg = uniform(params_.elevation_min_deg, params_.elevation_max_deg);
  v.distance = uniform(params_.distance_min, params_.distance_max);
  return v;
}

std::vector<ViewAngles> ViewSampler::sample(int count) {
  if (count < 0) throw Error("raster::ViewSampler::sample: negative count");
  std::vector<ViewAngles> out;
  out.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) out.push_back(sample());
  return out;
}

int ViewSampler::sample_index(int n) {
  if (n <= 0) throw Error("raster::ViewSampler::sample_index: n must be > 0");
  // Rejection sampling: no modulo bias, identical everywhere.
  const std::uint64_t range = static_cast<std::uint64_t>(n);
  const std::uint64_t limit =
      std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % range;
  std::uint64_t r;
  do {
    r = engine_();
  } while (r >= limit);
  return static_cast<int>(r % range);
}

ViewDirection view_direction(double azimuth_deg) {
  if (!std::isfinite(azimuth_deg)) throw Error("raster::view_direction: azimuth is not finite");
  double a = std::fmod(azimuth_deg, 360.0);
  if (a < 0) a += 360.0;
  if (a >= 360.0) a -= 360.0;  // fmod of a tiny negative value can round up to 360
  // FaceG2E util/prompt_util.py: front [0, 45] and [315, 360], back (135, 225), side otherwise.
  if (a <= 45.0 || a >= 315.0) return ViewDirection::kFront;
  if (a > 135.0 && a < 225.0) return ViewDirection::kBack;
  return ViewDirection::kSide;
}

std::string prompt_suffix(double azimuth_deg) {
  switch (view_direction(azimuth_deg)) {
    case ViewDirection::kFront:
      return ", front view";
    case ViewDirection::kSide:
      return ", side view";
    case ViewDirection::kBack:
      return ", back view";
  }
  return "";
}

}  // namespace faceg2e::raster
