#include "core/raster/barycentrics.h"

#include <torch/torch.h>

#include "core/raster/gather.h"
#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {

torch::Tensor perspective_barycentrics(const torch::Tensor& clip_positions,
                                       const torch::Tensor& triangles,
                                       const torch::Tensor& triangle_id) {
  using namespace detail;
  constexpr const char* kOp = "perspective_barycentrics";
  check_floating(clip_positions, kOp, "clip_positions");
  check_dims(clip_positions, {2, 3}, kOp, "clip_positions", "[V, 4] or [B, V, 4]");
  check_size(clip_positions, -1, 4, kOp, "clip_positions", "[V, 4] or [B, V, 4]");
  check_index_dtype(triangles, kOp, "triangles");
  check_dims(triangles, {2}, kOp, "triangles", "[F, 3]");
  check_size(triangles, 1, 3, kOp, "triangles", "[F, 3]");
  check_defined(triangle_id, kOp, "triangle_id");
  if (triangle_id.scalar_type() != torch::kInt32 || triangle_id.dim() != 3)
    throw Error(std::string("raster::perspective_barycentrics: triangle_id must be [B, H, W] "
                            "int32 (from rasterize), got ") +
                shape_string(triangle_id));
  check_same_device(clip_positions, "clip_positions", triangles, "triangles", kOp);
  check_same_device(clip_positions, "clip_positions", triangle_id, "triangle_id", kOp);
  const int64_t batch = triangle_id.size(0);
  const int height = static_cast<int>(triangle_id.size(1));
  const int width = static_cast<int>(triangle_id.size(2));
  if (clip_positions.dim() == 3 && clip_positions.size(0) != 1 && clip_positions.size(0) != batch)
    throw Error("raster::perspective_barycentrics: clip_positions batch " +
                std::to_string(clip_positions.size(0)) + " does not match triangle_id batch " +
                std::to_string(batch));
  const int64_t num_vertices = clip_positions.size(-2);
  check_index_range(triangles, num_vertices, kOp, "triangles", "the number of vertices");
  if (triangle_id.numel() > 0 && triangle_id.max().item<int64_t>() >= triangles.size(0))
    throw Error("raster::perspective_barycentrics: triangle_id refers to triangles beyond the " +
                std::to_string(triangles.size(0)) + " given");

  const CoveredPixels pix = covered_pixels(triangle_id);
  const torch::Tensor corners = triangles.to(torch::kInt64).index_select(0, pix.triangle);
  const torch::Tensor v = gather_corners(clip_positions, corners, pix.batch);  // [P, 3, 4]
  // Pixel-centre NDC (see rasterize.h): x = 2 (c + 0.5) / W - 1, y = 1 - 2 (r + 0.5) / H.
  const torch::Tensor in_image = pix.flat_index.remainder(int64_t{height} * width);
  const auto dtype = clip_positions.scalar_type();
  const torch::Tensor px =
      in_image.remainder(width).to(dtype).add(0.5).mul(2.0 / width).sub(1.0).unsqueeze(1);
  const torch::Tensor py =
      in_image.div(width, "floor").to(dtype).add(0.5).mul(-2.0 / height).add(1.0).unsqueeze(1);
  const torch::Tensor w = v.select(-1, 3);
  const torch::Tensor a = v.select(-1, 0) - px * w;  // [P, 3]
  const torch::Tensor c = v.select(-1, 1) - py * w;
  const torch::Tensor a0 = a.select(-1, 0), a1 = a.select(-1, 1), a2 = a.select(-1, 2);
  const torch::Tensor c0 = c.select(-1, 0), c1 = c.select(-1, 1), c2 = c.select(-1, 2);
  const torch::Tensor l =
      torch::stack({a1 * c2 - a2 * c1, a2 * c0 - a0 * c2, a0 * c1 - a1 * c0}, -1);
  const torch::Tensor sum = l.sum(-1, /*keepdim=*/true);
  // (Numerically) degenerate pixels divide by 1 and are then zeroed, so neither the value nor
  // the gradient sees a division by zero.
  const torch::Tensor usable = sum.ne(0);
  const torch::Tensor safe_sum = torch::where(usable, sum, torch::ones_like(sum));
  const torch::Tensor bary = torch::where(usable, l / safe_sum, torch::zeros_like(l));
  return scatter_pixels(bary, pix, triangle_id);
}

Fragments rasterize_fragments(const torch::Tensor& clip_positions, const torch::Tensor& triangles,
                              const RasterizeParams& params, const torch::Tensor& triangle_mask) {
  RasterOutput raster = rasterize(clip_positions, triangles, params, triangle_mask);
  Fragments f;
  f.barycentrics = perspective_barycentrics(clip_positions, triangles, raster.triangle_id);
  f.mask = raster.triangle_id.ge(0).unsqueeze(-1).to(clip_positions.scalar_type());
  f.triangle_id = std::move(raster.triangle_id);
  f.depth = std::move(raster.depth);
  return f;
}

}  // namespace faceg2e::raster
