#pragma once
// The albedo atlas as every export writes it (OBJ's PNG, the GLB's embedded texture): the
// state's albedo resampled to the texture size (or the default albedo when the state has none),
// then padded past the UV islands so filtering and mipmaps show no seams. Torch-free.
#include "core/face/face_model.h"
#include "core/face/regions.h"
#include "core/face/uv_atlas.h"
#include "core/session/texture_padding.h"
#include "core/util/image_io.h"

namespace faceg2e::session {

// `albedo` may be empty (default albedo, with `regions` when given) or any square RGB/RGBA/grey
// image in the atlas layout. Returns size x size RGB. Throws faceg2e::Error on a bad size.
Image8 export_albedo_texture(const face::FaceModel& model, const face::UvAtlas& atlas,
                             const Image8& albedo, int size, const PaddingParams& padding,
                             const face::RegionLabels* regions);

}  // namespace faceg2e::session
