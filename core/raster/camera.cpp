#include "core/raster/camera.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::raster {

torch::Tensor perspective_matrix(const PerspectiveParams&) { throw Error("raster: not implemented yet"); }
torch::Tensor look_at_matrix(const Vec3&, const Vec3&, const Vec3&) { throw Error("raster: not implemented yet"); }
Vec3 orbit_eye(const ViewAngles&, const Vec3&) { throw Error("raster: not implemented yet"); }
torch::Tensor Camera::view_projection() const { return torch::matmul(projection, view); }
Camera make_orbit_camera(const std::vector<ViewAngles>&, const Vec3&, const PerspectiveParams&,
                         torch::Device) {
  throw Error("raster: not implemented yet");
}
torch::Tensor transform_points(const torch::Tensor&, const torch::Tensor&) { throw Error("raster: not implemented yet"); }
ViewSampler::ViewSampler(const ViewSamplingParams& params, std::uint64_t seed)
    : params_(params), engine_(seed) {}
ViewAngles ViewSampler::sample() { throw Error("raster: not implemented yet"); }
std::vector<ViewAngles> ViewSampler::sample(int) { throw Error("raster: not implemented yet"); }
int ViewSampler::sample_index(int) { throw Error("raster: not implemented yet"); }
double ViewSampler::uniform(double, double) { throw Error("raster: not implemented yet"); }
ViewDirection view_direction(double) { throw Error("raster: not implemented yet"); }
std::string prompt_suffix(double) { throw Error("raster: not implemented yet"); }

}  // namespace faceg2e::raster
