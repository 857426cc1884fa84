#include "core/raster/interpolate.h"

#include <torch/torch.h>

#include "core/raster/gather.h"
#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {

InterpolateOutput interpolate(const torch::Tensor& attributes,
                              const torch::Tensor& attribute_triangles,
                              const Fragments& fragments) {
  using namespace detail;
  constexpr const char* kOp = "interpolate";
  check_floating(attributes, kOp, "attributes");
  check_dims(attributes, {2, 3}, kOp, "attributes", "[N, C] or [B, N, C]");
  check_index_dtype(attribute_triangles, kOp, "attribute_triangles");
  check_dims(attribute_triangles, {2}, kOp, "attribute_triangles", "[F, 3]");
  check_size(attribute_triangles, 1, 3, kOp, "attribute_triangles", "[F, 3]");
  check_defined(fragments.triangle_id, kOp, "fragments.triangle_id");
  check_defined(fragments.barycentrics, kOp, "fragments.barycentrics");
  const torch::Tensor& ids = fragments.triangle_id;
  if (ids.dim() != 3 || ids.scalar_type() != torch::kInt32)
    throw Error("raster::interpolate: fragments.triangle_id must be [B, H, W] int32, got " +
                shape_string(ids));
  const int64_t batch = ids.size(0), height = ids.size(1), width = ids.size(2);
  if (fragments.barycentrics.dim() != 4 || fragments.barycentrics.size(0) != batch ||
      fragments.barycentrics.size(1) != height || fragments.barycentrics.size(2) != width ||
      fragments.barycentrics.size(3) != 3)
    throw Error(
        "raster::interpolate: fragments.barycentrics must be [B, H, W, 3] matching "
        "triangle_id, got " +
        shape_string(fragments.barycentrics));
  check_same_device(attributes, "attributes", attribute_triangles, "attribute_triangles", kOp);
  check_same_device(attributes, "attributes", ids, "fragments.triangle_id", kOp);
  if (attributes.dim() == 3 && attributes.size(0) != 1 && attributes.size(0) != batch)
    throw Error("raster::interpolate: attributes batch " + std::to_string(attributes.size(0)) +
                " does not match the fragments' batch " + std::to_string(batch));
  check_index_range(attribute_triangles, attributes.size(-2), kOp, "attribute_triangles",
                    "the number of attributes");
  if (ids.numel() > 0 && ids.max().item<int64_t>() >= attribute_triangles.size(0))
    throw Error("raster::interpolate: the fragments refer to triangle ids beyond the " +
                std::to_string(attribute_triangles.size(0)) + " rows of attribute_triangles");

  const CoveredPixels pix = covered_pixels(ids);
  const torch::Tensor corners =
      attribute_triangles.to(torch::kInt64).index_select(0, pix.triangle);      // [P, 3]
  const torch::Tensor values = gather_corners(attributes, corners, pix.batch);  // [P, 3, C]
  const torch::Tensor bary = fragments.barycentrics.to(attributes.scalar_type())
                                 .reshape({-1, 3})
                                 .index_select(0, pix.flat_index);  // [P, 3]
  InterpolateOutput out;
  out.mask = ids.ge(0).unsqueeze(-1).to(attributes.scalar_type());
  out.image = scatter_pixels((values * bary.unsqueeze(-1)).sum(1), pix, ids);
  return out;
}

}  // namespace faceg2e::raster
