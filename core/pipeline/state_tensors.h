#pragma once
// The face state (core/session/face_state.h, torch-free) as tensors and back, and 8-bit images.
#include <torch/types.h>

#include <vector>

#include "core/session/face_state.h"
#include "core/util/image_io.h"

namespace faceg2e::pipeline {

// [n] float32 CPU: the first n values of v (missing ones 0). More values than n is an error.
torch::Tensor coefficients_tensor(const std::vector<float>& v, int n, const char* what);
std::vector<float> to_vector(const torch::Tensor& t);

// FloatImage (HWC) <-> [C, H, W] float32 CPU tensor.
torch::Tensor image_tensor(const session::FloatImage& image);
session::FloatImage to_float_image(const torch::Tensor& chw);
// TextureLatent (CHW) <-> [1, C, h, w] float32 CPU tensor.
torch::Tensor latent_tensor(const session::TextureLatent& latent);
session::TextureLatent to_texture_latent(const torch::Tensor& latent);

// [1, C, H, W] or [C, H, W] float in [0, 1] (C = 1 or 3) -> 8-bit image.
Image8 to_image8(const torch::Tensor& image);
// 8-bit image -> [C, H, W] float32 in [0, 1].
torch::Tensor from_image8(const Image8& image);

}  // namespace faceg2e::pipeline
