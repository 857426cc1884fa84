#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/pipeline/stages.h"
#include "core/util/error.h"

// Full-range BT.601 with chroma offset 0.5: checked on colours whose YUV is known by hand.
TEST(RgbToYuv, KnownColours) {
  // white, black, pure red, pure blue, mid grey
  torch::Tensor rgb = torch::tensor({1.0, 0.0, 1.0, 0.0, 0.5,    // R
                                     1.0, 0.0, 0.0, 0.0, 0.5,    // G
                                     1.0, 0.0, 0.0, 1.0, 0.5},   // B
                                    torch::kFloat64)
                          .view({1, 3, 1, 5});
  torch::Tensor yuv = faceg2e::pipeline::rgb_to_yuv(rgb);
  const double expect[3][5] = {
      {1.0, 0.0, 0.299, 0.114, 0.5},                        // Y = luma weights
      {0.5, 0.5, 0.5 - 0.168736, 1.0, 0.5},                 // U = 0.5 + 0.564 (B - Y)
      {0.5, 0.5, 1.0, 0.5 - 0.081312, 0.5}};                // V = 0.5 + 0.713 (R - Y)
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 5; ++i)
      EXPECT_NEAR(yuv[0][c][0][i].item<double>(), expect[c][i], 1e-6) << "channel " << c << " colour " << i;
  EXPECT_THROW(faceg2e::pipeline::rgb_to_yuv(torch::rand({3, 4, 4})), faceg2e::Error);
}

TEST(RgbToYuv, IsDifferentiable) {
  torch::Tensor rgb = torch::rand({1, 3, 2, 2}, torch::kFloat64).requires_grad_(true);
  faceg2e::pipeline::rgb_to_yuv(rgb).select(1, 0).sum().backward();
  // dY/dR, dY/dG, dY/dB are the luma weights.
  EXPECT_NEAR(rgb.grad()[0][0][0][0].item<double>(), 0.299, 1e-12);
  EXPECT_NEAR(rgb.grad()[0][1][1][1].item<double>(), 0.587, 1e-12);
  EXPECT_NEAR(rgb.grad()[0][2][0][1].item<double>(), 0.114, 1e-12);
}
