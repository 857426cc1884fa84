#pragma once
// The face as the optimisation stages render it: the FaceAssets' model as tensors on the run's
// device, the atlas UVs, the drawn triangles (FaceAssets' one rule, so the viewport shows what
// the optimizer sees), and the orbit camera framed on the face.
#include <torch/types.h>

#include <memory>
#include <random>

#include "core/face/face_assets.h"
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
};

class FaceScene {
 public:
  FaceScene(std::shared_ptr<const face::FaceAssets> assets, torch::Device device,
            SceneParams params = {});

  const face::FaceAssets& assets() const { return *assets_; }
  torch::Device device() const { return device_; }
  const face::FaceTensors& tensors() const { return tensors_; }
  int num_identity() const { return tensors_.num_identity(); }

  // [V, 3] world positions for identity coefficients [K] and, optionally, expression weights
  // [E] (float32, on the device).
  torch::Tensor vertices(const torch::Tensor& identity,
                         const torch::Tensor& expression = torch::Tensor()) const;
  raster::Camera camera(const raster::ViewAngles& view) const;
  raster::Camera camera(const std::vector<raster::ViewAngles>& views) const;  // batch
  // Mesh inputs for render_mesh with atlas UVs and the optimisation triangle mask.
  raster::MeshInputs mesh(const torch::Tensor& vertices) const;
  double camera_distance() const { return distance_; }
  const raster::Vec3& look_target() const { return target_; }

 private:
  std::shared_ptr<const face::FaceAssets> assets_;
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
