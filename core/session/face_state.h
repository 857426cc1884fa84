#pragma once
// One face as the editor holds it: shape coefficients and an albedo in the atlas layout of
// core/face/uv_atlas.h. Torch-free, cheap to copy around (history entries hold these).
#include "core/face/face_model.h"
#include "core/util/image_io.h"

namespace faceg2e::session {

struct FaceState {
  face::FaceCoefficients coeffs;
  // Atlas RGB (any square size; export resamples). Empty = the default albedo (face/albedo.h).
  Image8 albedo;
};

}  // namespace faceg2e::session
