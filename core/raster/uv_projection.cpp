#include "core/raster/uv_projection.h"

#include <torch/torch.h>

#include "core/raster/interpolate.h"
#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {
namespace {
// at::grid_sampler codes.
constexpr int64_t kBilinear = 0;
constexpr int64_t kZerosPadding = 0;
}  // namespace

UvProjection project_image_to_uv(const torch::Tensor& image, const torch::Tensor& clip_positions,
                                 const torch::Tensor& triangles, const torch::Tensor& uvs,
                                 const torch::Tensor& faces_uv, const Fragments& view,
                                 const UvProjectionParams& params) {
  using namespace detail;
  constexpr const char* kOp = "project_image_to_uv";
  check_floating(image, kOp, "image");
  check_dims(image, {3, 4}, kOp, "image", "[C, H, W] or [B, C, H, W]");
  check_floating(uvs, kOp, "uvs");
  check_dims(uvs, {2}, kOp, "uvs", "[T, 2]");
  check_size(uvs, 1, 2, kOp, "uvs", "[T, 2]");
  check_index_dtype(faces_uv, kOp, "faces_uv");
  check_dims(faces_uv, {2}, kOp, "faces_uv", "[F, 3]");
  check_index_dtype(triangles, kOp, "triangles");
  check_dims(triangles, {2}, kOp, "triangles", "[F, 3]");
  if (faces_uv.size(0) != triangles.size(0))
    throw Error("raster::project_image_to_uv: faces_uv has " + std::to_string(faces_uv.size(0)) +
                " rows, triangles " + std::to_string(triangles.size(0)));
  check_defined(view.triangle_id, kOp, "view.triangle_id");
  check_same_device(image, "image", view.triangle_id, "view.triangle_id", kOp);
  const torch::Tensor img = image.dim() == 3 ? image.unsqueeze(0) : image;
  const int64_t batch = view.triangle_id.size(0);
  if (img.size(0) != batch || img.size(2) != view.triangle_id.size(1) ||
      img.size(3) != view.triangle_id.size(2))
    throw Error("raster::project_image_to_uv: image " + shape_string(image) +
                " does not match the view's triangle ids " + shape_string(view.triangle_id));

  // Rasterize the UV layout.
  const auto dtype = clip_positions.scalar_type();
  const torch::Tensor u = uvs.select(1, 0).to(dtype), v = uvs.select(1, 1).to(dtype);
  const torch::Tensor uv_clip =
      torch::stack({u * 2.0 - 1.0, v * 2.0 - 1.0, torch::zeros_like(u), torch::ones_like(u)}, 1);
  RasterizeParams rp;
  rp.height = params.uv_height;
  rp.width = params.uv_width;
  Fragments uv_frags = rasterize_fragments(uv_clip, faces_uv, rp);
  uv_frags.barycentrics = uv_frags.barycentrics.detach();  // the layout is fixed
  if (batch != 1) {
    uv_frags.triangle_id = uv_frags.triangle_id.expand({batch, -1, -1});
    uv_frags.barycentrics = uv_frags.barycentrics.expand({batch, -1, -1, -1});
    uv_frags.mask = uv_frags.mask.expand({batch, -1, -1, -1});
  }

  // Which triangles the view shows: [B, F + 1], slot 0 collecting the background.
  const int64_t num_triangles = triangles.size(0);
  const torch::Tensor view_ids = view.triangle_id.reshape({batch, -1}).to(torch::kInt64) + 1;
  const torch::Tensor seen =
      torch::zeros({batch, num_triangles + 1}, view_ids.options().dtype(torch::kBool))
          .scatter_(1, view_ids, true);
  const torch::Tensor texel_ids = uv_frags.triangle_id.reshape({batch, -1}).to(torch::kInt64) + 1;
  const torch::Tensor visible = seen.gather(1, texel_ids).logical_and(texel_ids.gt(0));

  // Screen position of each texel's surface point.
  const torch::Tensor surface = interpolate(clip_positions, triangles, uv_frags).image;
  const torch::Tensor w = surface.select(-1, 3);
  const torch::Tensor safe_w = torch::where(w.gt(0), w, torch::ones_like(w));
  const torch::Tensor grid =
      torch::stack({surface.select(-1, 0) / safe_w, surface.select(-1, 1).neg() / safe_w}, -1);
  UvProjection out;
  out.mask = visible.view({batch, 1, params.uv_height, params.uv_width}).to(img.scalar_type());
  out.image = at::grid_sampler(img, grid.to(img.scalar_type()), kBilinear, kZerosPadding,
                               /*align_corners=*/false) *
              out.mask;
  return out;
}

}  // namespace faceg2e::raster
