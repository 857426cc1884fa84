#pragma once
// The user's region lock of an edit, in the atlas layout: which texels belong to the named
// regions (core/face/regions.h labels), feathered inward so no seam appears at the border.
// Torch-free, so the GUI can draw the lock it is about to apply.
#include <cstdint>
#include <string>
#include <vector>

#include "core/face/face_assets.h"

namespace faceg2e::pipeline {

// Per texel of a size x size atlas (row 0 = v = 1), the region label id, -1 where no triangle
// lies. The face cell takes the high-resolution label image of UV tile 0 (regions_uv_labels)
// where present; every other texel takes the label of its triangle's nearest vertex.
// Throws faceg2e::Error when the assets have no region labels.
std::vector<std::int16_t> atlas_region_labels(const face::FaceAssets& assets, int size);

// Label ids of region names; names may also be the groups "eyes" (eye_region_l/r + eyeball),
// "brows" (brow_l/r) and "mouth" (lips + gums_tongue + teeth). Throws faceg2e::Error naming an
// unknown region and listing the known ones.
std::vector<int> region_ids(const face::RegionLabels& labels,
                            const std::vector<std::string>& names);

// Membership in [0, 1] per texel: 1 deep inside the regions, 0 outside them, ramping up over
// `feather_texels` texels inside the border (an inward feather: texels outside the regions stay
// exactly 0, so they stay locked).
std::vector<float> region_membership(const std::vector<std::int16_t>& labels, int size,
                                     const std::vector<int>& ids, int feather_texels);

}  // namespace faceg2e::pipeline
