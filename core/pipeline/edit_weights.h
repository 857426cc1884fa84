#pragma once
// The self-guided weights W of an edit (FaceG2E main.py train_step, "attention aware consistency
// constraint"): the edited words' cross-attention over the rendered view is upsampled, min-max
// normalised and projected into the atlas with the step's camera; texels the view does not see
// get no update. After the warm-up, W moves toward 1 - A^2 where the edit acts, so the UV-domain
// consistency lambda * mean(W (T - T0)^2) lets go there and holds everywhere else.
#include <torch/types.h>

#include <string>

#include "core/pipeline/face_scene.h"
#include "core/raster/uv_projection.h"

namespace faceg2e::pipeline {

enum class WeightUpdate {
  // W <- m W + (1 - m)(1 - A^2) only where that lowers W (the design's rule: W only falls).
  kLowerOnly,
  // Reference scp_fuse 'avg2': W <- m W + (1 - m)(1 - A^2) on every visible texel.
  kAvg2,
  // Reference scp_fuse 'max2': W <- min(W, 1 - A^2) on every visible texel.
  kMax2,
};
std::string to_string(WeightUpdate kind);                   // "lower", "avg2", "max2"
WeightUpdate parse_weight_update(const std::string& name);  // throws faceg2e::Error

// attention: [B, 1, h, w] (any scale) over the view rendered with `clip_positions` ([B, V, 4])
// and `view` (its fragments, [B, H, W]). Returns the min-max normalised map upsampled to H x W
// and projected into a size x size atlas, with the texels this view sees (mask).
raster::UvProjection project_attention(const torch::Tensor& attention,
                                       const torch::Tensor& clip_positions, const FaceScene& scene,
                                       const raster::Fragments& view, int size);

// One update of W ([1, 1, S, S]) from a projected attention (A and mask [1, 1, S, S]).
torch::Tensor update_weights(const torch::Tensor& weights, const raster::UvProjection& attention,
                             WeightUpdate kind, double momentum);

// The W the consistency uses: without a region lock, the self-guided W when the guidance has
// attention, else 1 everywhere; with a lock (membership R in [0, 1], [1, 1, S, S]),
// 1 - R (1 - inner), inner = the self-guided W when there is attention, else 0 (free).
torch::Tensor effective_weights(const torch::Tensor& weights, const torch::Tensor& membership,
                                bool has_attention);

}  // namespace faceg2e::pipeline
