#pragma once
// 8-bit image files (PNG) through stb. Saves are atomic.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace faceg2e {

struct Image8 {
  int width = 0;
  int height = 0;
  int channels = 0;                  // 1, 3 or 4
  std::vector<std::uint8_t> pixels;  // row-major, row 0 at the top, interleaved channels
  bool empty() const { return pixels.empty(); }
};

// Reads a PNG (or any format stb reads). `want_channels` 0 keeps the file's channels.
// Throws FormatError naming the file on a bad image.
Image8 read_image(const std::filesystem::path& path, int want_channels = 0);

// Writes a PNG atomically.
void write_png(const std::filesystem::path& path, const Image8& image);

// The PNG file bytes of `image` (for embedding, e.g. in a GLB). `what` names the image in errors.
std::string encode_png(const Image8& image, const std::string& what = "image");

}  // namespace faceg2e
