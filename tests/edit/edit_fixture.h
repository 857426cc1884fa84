#pragma once
// Shared helpers of the edit tests: the reference face model with its region labels, the scene,
// and the tiny IP2P fixture set.
#include <torch/torch.h>

#include <filesystem>

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

inline const face::FaceAssets& assets() {
  static const face::FaceAssets a = face::FaceAssets::load(face_model_path());
  return a;
}

inline const FaceScene& scene() {
  static const FaceScene s(assets().model, torch::kCPU);
  return s;
}

}  // namespace faceg2e::pipeline::testing
