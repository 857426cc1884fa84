#pragma once
// Shared helpers of the edit tests: the reference face model with its region labels, the scene,
// and the tiny IP2P fixture set.
#include <torch/torch.h>

#include <filesystem>
#include <memory>

#include "core/face/face_assets.h"
#include "core/pipeline/face_scene.h"
#include "tests/common/shared_dir.h"

namespace faceg2e::pipeline::testing {

inline std::filesystem::path face_model_path() {
  return faceg2e::testing::shared_dir() / "data" / "ict-facekit" / "ict_facekit_full.f3dm";
}

inline std::filesystem::path sd_reference() {
  return faceg2e::testing::shared_dir() / "fixtures" / "sd-reference";
}

inline std::shared_ptr<const face::FaceAssets> assets_ptr() {
  static const auto a =
      std::make_shared<const face::FaceAssets>(face::FaceAssets::load(face_model_path()));
  return a;
}
inline const face::FaceAssets& assets() { return *assets_ptr(); }

inline std::shared_ptr<const FaceScene> scene_ptr() {
  static const auto s = std::make_shared<const FaceScene>(assets_ptr(), torch::kCPU);
  return s;
}
inline const FaceScene& scene() { return *scene_ptr(); }

}  // namespace faceg2e::pipeline::testing
