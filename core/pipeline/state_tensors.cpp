#include "core/pipeline/state_tensors.h"

#include <torch/torch.h>

#include "core/util/error.h"

namespace faceg2e::pipeline {

torch::Tensor coefficients_tensor(const std::vector<float>& v, int n, const char* what) {
  if (static_cast<int>(v.size()) > n)
    throw Error(std::string(what) + ": " + std::to_string(v.size()) +
                " coefficients, but the face model has " + std::to_string(n));
  torch::Tensor t = torch::zeros({n}, torch::kFloat32);
  if (!v.empty())
    t.slice(0, 0, static_cast<int64_t>(v.size()))
        .copy_(torch::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())},
                                torch::kFloat32));
  return t;
}

std::vector<float> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

torch::Tensor image_tensor(const session::FloatImage& image) {
  FACEG2E_CHECK(!image.empty() && image.data.size() == static_cast<std::size_t>(image.width) *
                                                           image.height * image.channels,
                "image_tensor: empty or inconsistent image");
  return torch::from_blob(const_cast<float*>(image.data.data()),
                          {image.height, image.width, image.channels}, torch::kFloat32)
      .permute({2, 0, 1})
      .contiguous();
}

session::FloatImage to_float_image(const torch::Tensor& chw) {
  torch::Tensor x = chw.detach().to(torch::kCPU, torch::kFloat32);
  if (x.dim() == 4) x = x[0];
  FACEG2E_CHECK(x.dim() == 3, "to_float_image expects [C, H, W]");
  session::FloatImage out;
  out.channels = static_cast<int>(x.size(0));
  out.height = static_cast<int>(x.size(1));
  out.width = static_cast<int>(x.size(2));
  out.data = to_vector(x.permute({1, 2, 0}));
  return out;
}

torch::Tensor latent_tensor(const session::TextureLatent& latent) {
  FACEG2E_CHECK(!latent.empty() && latent.data.size() == static_cast<std::size_t>(latent.channels) *
                                                             latent.height * latent.width,
                "latent_tensor: empty or inconsistent latent");
  return torch::from_blob(const_cast<float*>(latent.data.data()),
                          {1, latent.channels, latent.height, latent.width}, torch::kFloat32)
      .clone();
}

session::TextureLatent to_texture_latent(const torch::Tensor& latent) {
  torch::Tensor x = latent.detach().to(torch::kCPU, torch::kFloat32);
  if (x.dim() == 4) x = x[0];
  FACEG2E_CHECK(x.dim() == 3, "to_texture_latent expects [C, h, w]");
  session::TextureLatent out;
  out.channels = static_cast<int>(x.size(0));
  out.height = static_cast<int>(x.size(1));
  out.width = static_cast<int>(x.size(2));
  out.data = to_vector(x);
  return out;
}

Image8 to_image8(const torch::Tensor& image) {
  torch::Tensor x = image.detach().to(torch::kCPU, torch::kFloat32);
  if (x.dim() == 4) x = x[0];
  FACEG2E_CHECK(x.dim() == 3 && (x.size(0) == 1 || x.size(0) == 3), "to_image8 expects [C,H,W]");
  x = (x.clamp(0, 1) * 255.0 + 0.5).floor().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  Image8 out;
  out.channels = static_cast<int>(x.size(2));
  out.height = static_cast<int>(x.size(0));
  out.width = static_cast<int>(x.size(1));
  out.pixels.assign(x.data_ptr<uint8_t>(), x.data_ptr<uint8_t>() + x.numel());
  return out;
}

torch::Tensor from_image8(const Image8& image) {
  FACEG2E_CHECK(!image.empty(), "empty image");
  torch::Tensor t = torch::from_blob(const_cast<uint8_t*>(image.pixels.data()),
                                     {image.height, image.width, image.channels}, torch::kUInt8)
                        .clone();
  t = t.permute({2, 0, 1}).to(torch::kFloat32) / 255.0;
  if (t.size(0) == 1) t = t.repeat({3, 1, 1});
  if (t.size(0) == 4) t = t.slice(0, 0, 3);
  return t.contiguous();
}

}  // namespace faceg2e::pipeline
