#include "core/session/face_state.h"

#include <algorithm>
#include <cmath>

namespace faceg2e::session {

Image8 to_image8(const FloatImage& image) {
  Image8 out;
  out.width = image.width;
  out.height = image.height;
  out.channels = image.channels;
  out.pixels.resize(image.data.size());
  for (std::size_t i = 0; i < image.data.size(); ++i) {
    const float v = std::clamp(image.data[i], 0.0f, 1.0f);
    out.pixels[i] = static_cast<std::uint8_t>(std::floor(v * 255.0f + 0.5f));
  }
  return out;
}

FloatImage to_float_image(const Image8& image) {
  FloatImage out;
  out.width = image.width;
  out.height = image.height;
  out.channels = image.channels;
  out.data.resize(image.pixels.size());
  for (std::size_t i = 0; i < image.pixels.size(); ++i) out.data[i] = image.pixels[i] / 255.0f;
  return out;
}

}  // namespace faceg2e::session
