// The region lock in the atlas: labels per texel, names to ids, the inward feather.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/pipeline/region_lock.h"
#include "core/util/error.h"
#include "tests/edit/edit_fixture.h"

using namespace faceg2e::pipeline;
using faceg2e::pipeline::testing::assets;

TEST(RegionLock, InwardFeatherKeepsOutsideLocked) {
  const int size = 16;
  std::vector<std::int16_t> labels(size * size, 1);
  for (int y = 4; y < 12; ++y)
    for (int x = 4; x < 12; ++x) labels[y * size + x] = 2;
  const std::vector<float> m = region_membership(labels, size, {2}, 2);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const float v = m[y * size + x];
      const bool inside = x >= 4 && x < 12 && y >= 4 && y < 12;
      if (!inside) {
        EXPECT_EQ(v, 0.0f) << x << "," << y;
        continue;
      }
      const int depth = std::min({x - 4, 11 - x, y - 4, 11 - y});  // 0 at the border row
      EXPECT_NEAR(v, std::min(depth + 1, 3) / 3.0f, 1e-6) << x << "," << y;
    }
  // No feather: a hard mask.
  const std::vector<float> hard = region_membership(labels, size, {2}, 0);
  EXPECT_EQ(hard[4 * size + 4], 1.0f);
  EXPECT_EQ(hard[3 * size + 4], 0.0f);
}

TEST(RegionLock, NamesAndGroups) {
  const auto* labels = assets().region_labels();
  ASSERT_NE(labels, nullptr);
  EXPECT_EQ(region_ids(*labels, {"lips"}), std::vector<int>{labels->find("lips")});
  const auto eyes = region_ids(*labels, {"eyes"});
  EXPECT_EQ(eyes.size(), 3u);
  try {
    region_ids(*labels, {"lipz"});
    FAIL() << "unknown region accepted";
  } catch (const faceg2e::Error& e) {
    EXPECT_NE(std::string(e.what()).find("lipz"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("nose"), std::string::npos)
        << "the message lists the known regions";
  }
}

TEST(RegionLock, AtlasLabelsPlaceLipsInTheFaceCell) {
  const int size = 256;
  const auto labels = atlas_region_labels(assets(), size);
  const int lips = assets().region_labels()->find("lips");
  const int nose = assets().region_labels()->find("nose");
  const auto& face_rect = assets().atlas.cells[faceg2e::face::kCellFace].rect;
  const auto r = faceg2e::face::to_pixels(face_rect, size);
  long lips_n = 0, lips_in_face = 0, nose_n = 0, covered = 0;
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x) {
      const int l = labels[y * size + x];
      covered += l >= 0;
      const bool in_face = x >= r.x0 && x < r.x1 && y >= r.y0 && y < r.y1;
      if (l == lips) {
        ++lips_n;
        lips_in_face += in_face;
      }
      nose_n += l == nose;
    }
  EXPECT_GT(lips_n, 100);
  // The lip texels are in the face cell (a few head-cell texels of the mouth corners take the
  // lips label of their nearest vertex).
  EXPECT_GE(lips_in_face, lips_n * 99 / 100);
  EXPECT_GT(nose_n, 200);
  EXPECT_GT(covered, size * size / 3);
}
