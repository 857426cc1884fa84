#pragma once
// One square texture atlas for the whole head. ICT-FaceKit spreads its UVs over UDIM-like tiles
// along u (see face_model.h); a renderer and an optimizer want ONE texture, so the tiles the face
// needs are packed into cells of a single atlas. Torch-free.
//
// Layout (atlas coordinates, OBJ convention: origin bottom-left, v up; grid of 1/4):
//
//   v=1  +-----------------------+--------+
//        |                       | head   |  tile 1: head, neck, scalp, mouth socket,
//        |                       | (t1)   |          eye sockets (material M_BackHead)
//        |        face           +--------+
//        |   tile 0, M_Face      | sclera |  tile 0, M_ScleraLeft + M_ScleraRight (shared)
//        |   (3x3 units)         +--------+
//        |                       | iris   |  tile 0, M_IrisLeft + M_IrisRight (shared)
//  v=.25 +-------+-------+-------+--------+
//        | gums+ | teeth | spare | untex- |  gums/tongue: tile 2; teeth: tile 3;
//        | tongue| (t3)  |       | tured  |  "untextured": where non-atlas UVs point
//  v=0   +-------+-------+-------+--------+
//        u=0    .25     .5      .75      1
//
// Why these cells: the eyeball materials live in tile 0 but their UVs cover the whole tile, on
// top of the face's (measured: >80% of the face tile's texels are also covered by sclera and by
// iris UVs), so they need cells of their own. Left and right eyes have the same UV layout and
// share a cell: an edit like "blue eyes" changes both. The sclera includes the cornea, which
// sits in front of the iris, so the sclera cell carries the visible iris colour in its centre
// (see albedo.h). Not in the atlas (drawn with their own plain materials): lacrimal fluid (tiles
// 4-5), eye blend and eye occlusion (transparent overlays in tile 0) and eyelashes (tile 6).
// Each tile's [0,1]^2 maps into its cell inset by a margin, so texture padding (dilation) stays
// inside the cell and bilinear filtering never mixes cells.
#include <cstdint>
#include <string>
#include <vector>

#include "core/face/face_model.h"

namespace faceg2e::face {

struct UvAtlasParams {
  // Inset of a tile's content inside its cell, as a fraction of the cell side on each side:
  // 1/64 gives 4 texels of gutter for a 256-texel cell (1024 atlas). FaceG2E: no reference.
  float cell_margin = 1.0f / 64.0f;
};

struct AtlasRect {
  float u0 = 0, v0 = 0, u1 = 0, v1 = 0;  // atlas coordinates, OBJ convention (v up)
  bool contains(float u, float v) const { return u >= u0 && u <= u1 && v >= v0 && v <= v1; }
};

struct AtlasCell {
  std::string name;      // "face", "head", "sclera", "iris", "gums_tongue", "teeth", "untextured"
  AtlasRect rect;        // the cell; cells never overlap
  AtlasRect content;     // where the source tile's [0,1]^2 lands (rect minus the margin)
  int source_tile = -1;  // the ICT u tile it holds; -1 for cells without a source
};

// The cell indices, fixed by the layout above.
enum AtlasCellIndex : int {
  kCellFace = 0,
  kCellHead,
  kCellSclera,
  kCellIris,
  kCellGumsTongue,
  kCellTeeth,
  kCellUntextured,
  kNumAtlasCells
};

struct UvAtlas {
  std::vector<AtlasCell> cells;             // indexed by AtlasCellIndex
  std::vector<float> uvs;                   // T*2 atlas coordinates in [0,1], OBJ convention
  std::vector<std::int8_t> uv_cell;         // T: the cell of each UV (kCellUntextured if none)
  std::vector<std::int8_t> face_cell;       // F: the cell texturing each face
  std::vector<std::uint8_t> face_in_atlas;  // F: 1 = textured by the atlas
  // F: 1 = draw as an opaque surface. 0 for the transparent overlays (eye occlusion, eye blend,
  // lacrimal fluid): a renderer without blending should skip them, or they hide the eyes.
  std::vector<std::uint8_t> face_opaque;
  // Centre of the untextured cell: the UV every non-atlas face corner gets.
  float untextured_u = 0, untextured_v = 0;
};

// Builds the atlas mapping from the model's materials (meta["materials"], face_material).
// Throws faceg2e::Error when a UV index is shared by faces of different cells (the ICT model
// never does this) or a material is unknown.
UvAtlas build_uv_atlas(const FaceModel& model, const UvAtlasParams& params = {});

// Pixel rectangle [x0,x1) x [y0,y1) of an atlas rect in a size x size image whose row 0 is
// v = 1 (image convention), rounded outward.
struct PixelRect {
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};
PixelRect to_pixels(const AtlasRect& rect, int size);

// Texel coverage: 1 where a texel centre lies inside an atlas-textured triangle. size*size,
// row 0 = v = 1.
std::vector<std::uint8_t> atlas_coverage(const FaceModel& model, const UvAtlas& atlas, int size);

// Per texel, the cell index that owns it (the cell whose rect contains its centre), -1 for none.
std::vector<std::int8_t> atlas_cell_map(const UvAtlas& atlas, int size);

// Calls fn(x, y, b0, b1, b2) for every texel (x, y) (row 0 = v = 1) of a size x size image whose
// centre lies inside the triangle with atlas coordinates (u[i], v[i]); b are barycentrics.
template <typename Fn>
void for_each_texel_in_triangle(const float u[3], const float v[3], int size, Fn&& fn);

}  // namespace faceg2e::face

#include "core/face/uv_atlas_inl.h"
