#include "core/util/image_io.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <string>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e {

Image8 read_image(const std::filesystem::path& path, int want_channels) {
  const std::string bytes = read_file(path);
  int w = 0, h = 0, c = 0;
  unsigned char* data =
      stbi_load_from_memory(reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()), &w, &h, &c, want_channels);
  if (!data) {
    throw FormatError(path.string(), std::string("not a readable image: ") + stbi_failure_reason());
  }
  Image8 img;
  img.width = w;
  img.height = h;
  img.channels = want_channels ? want_channels : c;
  img.pixels.assign(data, data + static_cast<size_t>(w) * h * img.channels);
  stbi_image_free(data);
  return img;
}

std::string encode_png(const Image8& image, const std::string& what) {
  if (image.width <= 0 || image.height <= 0 || image.channels < 1 || image.channels > 4 ||
      image.pixels.size() != static_cast<size_t>(image.width) * image.height * image.channels) {
    throw Error("PNG " + what + ": inconsistent image size");
  }
  std::string out;
  auto sink = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size);
  };
  if (!stbi_write_png_to_func(sink, &out, image.width, image.height, image.channels,
                              image.pixels.data(), image.width * image.channels)) {
    throw Error("cannot encode PNG " + what);
  }
  return out;
}

void write_png(const std::filesystem::path& path, const Image8& image) {
  write_file_atomic(path, encode_png(image, path.string()));
}

}  // namespace faceg2e
