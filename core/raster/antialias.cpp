#include "core/raster/antialias.h"

#include <torch/torch.h>

#include <limits>

#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {

namespace {

using torch::indexing::Slice;

// One direction. `horizontal`: pairs (r, c) / (r, c + 1), the crossing is searched along the row
// line y = r; otherwise pairs (r, c) / (r + 1, c) along the column line x = c. px, py: [B, V]
// pixel coordinates of the vertices (pixel centres at integers). Adds the blends to `acc`
// ([B, H, W, C], returned).
torch::Tensor blend_direction(bool horizontal, const torch::Tensor& img /*[B,H,W,C]*/,
                              const torch::Tensor& px, const torch::Tensor& py,
                              const torch::Tensor& tris, const torch::Tensor& tid, torch::Tensor acc) {
  const int64_t H = tid.size(1), W = tid.size(2);
  const torch::Tensor cov = tid >= 0;
  torch::Tensor ca, cb;
  if (horizontal) {
    ca = cov.index({Slice(), Slice(), Slice(0, W - 1)});
    cb = cov.index({Slice(), Slice(), Slice(1, W)});
  } else {
    ca = cov.index({Slice(), Slice(0, H - 1), Slice()});
    cb = cov.index({Slice(), Slice(1, H), Slice()});
  }
  const torch::Tensor idx = (ca != cb).nonzero();  // [N, 3]: b, r, c of the first pixel
  const int64_t N = idx.size(0);
  if (N == 0) return acc;
  const torch::Tensor bi = idx.select(1, 0), ri = idx.select(1, 1), ci = idx.select(1, 2);
  const torch::Tensor first_covered = ca.index({bi, ri, ci});
  torch::Tensor r_cov = ri, c_cov = ci, r_bg = ri, c_bg = ci;
  if (horizontal) {
    c_cov = torch::where(first_covered, ci, ci + 1);
    c_bg = torch::where(first_covered, ci + 1, ci);
  } else {
    r_cov = torch::where(first_covered, ri, ri + 1);
    r_bg = torch::where(first_covered, ri + 1, ri);
  }
  const torch::Tensor T = tid.index({bi, r_cov, c_cov});
  const torch::Tensor tri = tris.index_select(0, T);  // [N, 3]
  const torch::Tensor b3 = bi.unsqueeze(1).expand({N, 3});
  // "along": the coordinate along the pair (x for horizontal pairs), "across": the other.
  const torch::Tensor along = (horizontal ? px : py).index({b3, tri});   // [N, 3]
  const torch::Tensor across = (horizontal ? py : px).index({b3, tri});  // [N, 3]
  const torch::Tensor line = (horizontal ? ri : ci).to(along.scalar_type()).unsqueeze(1);  // [N,1]
  const torch::Tensor pos_cov = (horizontal ? c_cov : r_cov).to(along.scalar_type());
  const torch::Tensor pos_bg = (horizontal ? c_bg : r_bg).to(along.scalar_type());

  // Edges k -> k+1: where each crosses the line.
  const torch::Tensor a0 = along, a1 = along.roll(-1, 1);
  const torch::Tensor e0 = across, e1 = across.roll(-1, 1);
  const torch::Tensor de = e1 - e0;
  const torch::Tensor safe_de = torch::where(de.abs() > 1e-12, de, torch::ones_like(de));
  const torch::Tensor t = (line - e0) / safe_de;
  const torch::Tensor cross = a0 + t * (a1 - a0);  // [N, 3]
  const torch::Tensor lo = torch::minimum(pos_cov, pos_bg).unsqueeze(1) - 1e-3;
  const torch::Tensor hi = torch::maximum(pos_cov, pos_bg).unsqueeze(1) + 1e-3;
  // Each edge is handled by the pairs most perpendicular to it (as nvdiffrast does): horizontal
  // pairs for the steeper edges, vertical pairs for the flatter ones. Both directions would count
  // the same outline twice and double its gradient.
  const torch::Tensor steep = horizontal ? de.abs() >= (a1 - a0).abs() : de.abs() > (a1 - a0).abs();
  const torch::Tensor valid =
      steep & (de.abs() > 1e-12) & (t >= 0) & (t <= 1) & (cross >= lo) & (cross <= hi);
  const torch::Tensor mid = ((pos_cov + pos_bg) * 0.5).unsqueeze(1);
  const torch::Tensor score =
      torch::where(valid, (cross.detach() - mid).abs(),
                   torch::full_like(cross, std::numeric_limits<double>::infinity()));
  const torch::Tensor best = score.argmin(1, /*keepdim=*/true);
  const torch::Tensor found = valid.gather(1, best).squeeze(1);
  const torch::Tensor crossing = cross.gather(1, best).squeeze(1);
  // Distance of the crossing from the covered centre, toward the background centre.
  torch::Tensor s = ((crossing - pos_cov) * (pos_bg - pos_cov)).clamp(0.0, 1.0);
  s = torch::where(found, s, torch::full_like(s, 0.5));  // no edge found (snapping): no blend

  const torch::Tensor col_cov = img.index({bi, r_cov, c_cov});  // [N, C]
  const torch::Tensor col_bg = img.index({bi, r_bg, c_bg});
  const torch::Tensor delta = (s - 0.5).unsqueeze(1) * (col_cov - col_bg);
  const torch::Tensor into_bg = s > 0.5;
  const torch::Tensor rt = torch::where(into_bg, r_bg, r_cov);
  const torch::Tensor ct = torch::where(into_bg, c_bg, c_cov);
  return acc.index_put({bi, rt, ct}, delta, /*accumulate=*/true);
}

}  // namespace

torch::Tensor antialias_silhouettes(const torch::Tensor& image, const torch::Tensor& clip_positions,
                                    const torch::Tensor& triangles, const torch::Tensor& triangle_id) {
  FACEG2E_CHECK(image.dim() == 4, "antialias_silhouettes: image must be [B, C, H, W]");
  FACEG2E_CHECK(triangle_id.dim() == 3 && triangle_id.size(0) == image.size(0) &&
                    triangle_id.size(1) == image.size(2) && triangle_id.size(2) == image.size(3),
                "antialias_silhouettes: triangle_id must be [B, H, W] matching the image");
  FACEG2E_CHECK(clip_positions.dim() == 3 && clip_positions.size(2) == 4 &&
                    (clip_positions.size(0) == image.size(0) || clip_positions.size(0) == 1),
                "antialias_silhouettes: clip positions must be [B, V, 4] or [1, V, 4]");
  FACEG2E_CHECK(triangles.dim() == 2 && triangles.size(1) == 3,
                "antialias_silhouettes: triangles must be [F, 3]");
  const int64_t B = image.size(0), H = image.size(2), W = image.size(3);
  const torch::Tensor clip =
      clip_positions.size(0) == B ? clip_positions : clip_positions.expand({B, -1, -1});
  const torch::Tensor w = clip.select(2, 3);
  const torch::Tensor px = (clip.select(2, 0) / w + 1.0) * (0.5 * W) - 0.5;
  const torch::Tensor py = (1.0 - clip.select(2, 1) / w) * (0.5 * H) - 0.5;
  const torch::Tensor tris = triangles.to(image.device(), torch::kLong);
  const torch::Tensor tid = triangle_id.to(image.device(), torch::kLong);
  const torch::Tensor img = image.permute({0, 2, 3, 1});
  torch::Tensor acc = torch::zeros_like(img);
  acc = blend_direction(true, img, px.to(image.scalar_type()), py.to(image.scalar_type()), tris, tid, acc);
  acc = blend_direction(false, img, px.to(image.scalar_type()), py.to(image.scalar_type()), tris, tid, acc);
  return image + acc.permute({0, 3, 1, 2});
}

}  // namespace faceg2e::raster
