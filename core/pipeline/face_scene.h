#pragma once
// The face as the optimisation stages render it: model tensors on the run's device, the atlas
// UVs, the triangles drawn in optimisation renders, and the orbit camera framed on the face.
#include <torch/types.h>

#include <random>

#include "core/face/face_torch.h"
#include "core/face/uv_atlas.h"
#include "core/raster/camera.h"
#include "core/raster/render_mesh.h"

namespace faceg2e::pipeline {

struct SceneParams {
  // FaceG2E StageFitter: fov 12.593637 deg, camera at distance 10 (decimetre-like units) that
  // frames the head; we frame the ICT face part instead: its bounding-box height fills
  // `frame_fill` of the view height.
  double fov_y_deg = 12.593637;
  double frame_fill = 0.8;
  // The transparent overlays and eyelashes are not drawn in optimisation renders: rendered as
  // opaque geometry they hide the eyes and stall recovery (measured: 0.13-0.2 cm plateau).
  bool skip_overlays = true;
};

class FaceScene {
 public:
  FaceScene(const face::FaceModel& model, torch::Device device, SceneParams params = {});

  torch::Device device() const { return device_; }
  const face::FaceTensors& tensors() const { return tensors_; }
  int num_identity() const { return tensors_.num_identity(); }

  // [V, 3] world positions for identity coefficients [K] (float32, on the device).
  torch::Tensor vertices(const torch::Tensor& identity) const;
  raster::Camera camera(const raster::ViewAngles& view) const;
  raster::Camera camera(const std::vector<raster::ViewAngles>& views) const;  // batch
  // Mesh inputs for render_mesh with atlas UVs and the optimisation triangle mask.
  raster::MeshInputs mesh(const torch::Tensor& vertices) const;
  double camera_distance() const { return distance_; }
  const raster::Vec3& look_target() const { return target_; }

 private:
  face::FaceTensors tensors_;
  torch::Device device_;
  SceneParams params_;
  torch::Tensor atlas_uvs_;       // [T, 2]
  torch::Tensor triangle_mask_;   // [F] bool
  raster::Vec3 target_{0, 0, 0};
  double distance_ = 100;
};

// Seeded random state of a stage: views, light presets, render modes and timesteps come from one
// engine, the SDS noise from a CPU torch generator (so CPU and CUDA runs draw the same noise).
struct StageRng {
  explicit StageRng(std::uint64_t seed);
  std::mt19937_64 engine;
  torch::Generator noise;
  bool coin();                       // fair coin
  int index(int n);                  // uniform in [0, n)
  double uniform(double lo, double hi);
};

}  // namespace faceg2e::pipeline
