#include "core/session/export_texture.h"

#include "core/face/albedo.h"

namespace faceg2e::session {

Image8 export_albedo_texture(const face::FaceModel& model, const face::UvAtlas& atlas,
                             const Image8& albedo, int size, const PaddingParams& padding,
                             const face::RegionLabels* regions) {
  Image8 tex;
  if (albedo.empty()) {
    tex = face::default_albedo(model, atlas, size, regions);
  } else {
    Image8 rgb = albedo;
    if (rgb.channels != 3) {
      Image8 c3;
      c3.width = rgb.width;
      c3.height = rgb.height;
      c3.channels = 3;
      c3.pixels.resize(std::size_t(rgb.width) * rgb.height * 3);
      for (std::size_t i = 0; i < std::size_t(rgb.width) * rgb.height; ++i)
        for (int k = 0; k < 3; ++k)
          c3.pixels[3 * i + k] = rgb.pixels[i * rgb.channels + (rgb.channels >= 3 ? k : 0)];
      rgb = std::move(c3);
    }
    tex = resample_bilinear(rgb, size);
  }
  const auto coverage = face::atlas_coverage(model, atlas, size);
  const auto cells = face::atlas_cell_map(atlas, size);
  dilate_texture(tex, coverage, cells, padding);
  return tex;
}

}  // namespace faceg2e::session
