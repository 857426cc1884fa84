#pragma once
// Texture padding for atlas textures: grow the colours of the UV islands outward so bilinear
// filtering and mipmaps at island borders never pick up unrelated texels (no seams). Torch-free.
#include <cstdint>
#include <vector>

#include "core/util/image_io.h"

namespace faceg2e::session {

struct PaddingParams {
  // Rings of texels grown past the islands. 16 covers mip level 4 of a 1024 atlas; the usual
  // advice for baked textures is 8+ texels (e.g. Substance/Blender bake "margin" 16 px).
  int rings = 16;
};

// Fills texels with coverage 0 from their covered neighbours, ring by ring (each new texel is
// the mean of its already-filled 8-neighbours). `cells`, when not empty, is a per-texel region
// id (same size as the image): colour never flows between different ids, so atlas cells stay
// separate. `coverage` and `cells` are width*height, row 0 at the top. Returns the number of
// texels filled.
std::size_t dilate_texture(Image8& image, const std::vector<std::uint8_t>& coverage,
                           const std::vector<std::int8_t>& cells, const PaddingParams& params = {});

// Bilinear resample to size x size (texel centres aligned), same channel count.
Image8 resample_bilinear(const Image8& image, int size);

}  // namespace faceg2e::session
