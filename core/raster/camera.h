#pragma once
// Perspective camera (OpenGL conventions), seeded view sampling and view-dependent prompt
// suffixes.
//
// World frame = the face model's: +y up, the face looks toward +z, units of the mesh
// (centimetres for ICT-FaceKit). Camera (eye) space is OpenGL's: x right, y up, the camera looks
// down -z. Clip space: NDC x, y, z in [-1, 1] after division by w = -z_eye (see rasterize.h).
// Matrices act on column vectors: clip = P * V * [x, y, z, 1]^T. As tensors they are row-major
// [4, 4] (or [B, 4, 4]), so row-vector code applies them as p @ M^T (transform_points does it).
//
// Views orbit a target: azimuth 0 looks at the face from the front (eye on +z), positive azimuth
// moves the eye toward +x (the subject's left, i.e. we see the face's left side); elevation > 0
// moves it up. This is the reference's rotation of the face about y by -azimuth, seen by a fixed
// camera (models/stage_fitter/_render_util.py), expressed as a moving camera.
#include <torch/types.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace faceg2e::raster {

using Vec3 = std::array<double, 3>;

// Defaults are the FaceG2E reference camera (models/stage_fitter/__init__.py: fov 12.593637,
// camera_d 10, znear 1, zfar 20 in its decimetre-scale units), converted to the centimetres of
// ICT-FaceKit: distances x 10.
struct PerspectiveParams {
  double fov_y_deg = 12.593637;  // vertical field of view
  double aspect = 1.0;           // width / height
  double near = 10.0;
  double far = 200.0;
};

// OpenGL gluPerspective-style projection, [4, 4] float64 on the CPU. Throws faceg2e::Error on
// fov outside (0, 180), aspect <= 0, near <= 0 or far <= near.
torch::Tensor perspective_matrix(const PerspectiveParams& params);

// World-to-eye look-at matrix (gluLookAt), [4, 4] float64 on the CPU. Throws on eye == target
// or up parallel to the viewing direction.
torch::Tensor look_at_matrix(const Vec3& eye, const Vec3& target, const Vec3& up = {0, 1, 0});

// One sampled view around the target.
struct ViewAngles {
  double azimuth_deg = 0.0;    // see the header comment; any value, taken modulo 360 for suffixes
  double elevation_deg = 0.0;  // in (-90, 90)
  double distance = 1.0;       // eye to target, > 0
};

// Eye position for an orbit view around `target`.
Vec3 orbit_eye(const ViewAngles& view, const Vec3& target);

// View and projection for a batch of views, as float32 tensors on `device`.
struct Camera {
  torch::Tensor view;                     // [B, 4, 4] world -> eye
  torch::Tensor projection;               // [B, 4, 4] eye -> clip
  torch::Tensor view_projection() const;  // projection @ view, [B, 4, 4]
};

Camera make_orbit_camera(const std::vector<ViewAngles>& views, const Vec3& target,
                         const PerspectiveParams& perspective, torch::Device device = torch::kCPU);

// points [B, N, 3] or [N, 3] (broadcast over the B matrices), matrix [B, 4, 4] or [4, 4]:
// returns [B, N, 4] homogeneous M * [p, 1]. Differentiable; the matrix is cast to the points'
// dtype and device.
torch::Tensor transform_points(const torch::Tensor& points, const torch::Tensor& matrix);

// Uniform ranges for random views. Defaults: the FaceG2E reference geometry stage
// (util/parse_opt.py: rotation Y in [-45, 45], X in [-20, 20], translation toward the camera
// t_z in [0, 3] from camera_d 10, i.e. distance [7, 10] decimetres = [70, 100] cm for ICT).
struct ViewSamplingParams {
  double azimuth_min_deg = -45.0;
  double azimuth_max_deg = 45.0;
  double elevation_min_deg = -20.0;
  double elevation_max_deg = 20.0;
  double distance_min = 70.0;
  double distance_max = 100.0;
};

// Deterministic view sampler: the same seed gives the same sequence on every platform
// (std::mt19937_64 with our own uniform mapping, not std::uniform_real_distribution, whose
// output is implementation-defined).
class ViewSampler {
 public:
  ViewSampler(const ViewSamplingParams& params, std::uint64_t seed);
  ViewAngles sample();
  std::vector<ViewAngles> sample(int count);
  // A uniform integer in [0, n), from the same stream (e.g. for the light preset).
  int sample_index(int n);
  const ViewSamplingParams& params() const { return params_; }

 private:
  double uniform(double lo, double hi);
  ViewSamplingParams params_;
  std::mt19937_64 engine_;
};

enum class ViewDirection { kFront, kSide, kBack };

// FaceG2E reference thresholds (util/prompt_util.py), azimuth taken modulo 360 into [0, 360):
// front for [0, 45] and [315, 360), back for (135, 225), side otherwise.
ViewDirection view_direction(double azimuth_deg);
// ", front view", ", side view" or ", back view".
std::string prompt_suffix(double azimuth_deg);

}  // namespace faceg2e::raster
