#include "core/raster/render_mesh.h"

#include <torch/torch.h>

#include "core/raster/interpolate.h"
#include "core/raster/tensor_checks.h"
#include "core/util/error.h"

namespace faceg2e::raster {
namespace {

constexpr const char* kOp = "render_mesh";

const char* mode_name(ShadingMode mode) {
  switch (mode) {
    case ShadingMode::kGreyShaded:
      return "grey-shaded";
    case ShadingMode::kNormalMap:
      return "normal-map";
    case ShadingMode::kDepthMap:
      return "depth-map";
    case ShadingMode::kTextured:
      return "textured";
    case ShadingMode::kAlbedo:
      return "albedo";
    case ShadingMode::kLatent:
      return "latent";
  }
  return "?";
}

void require(const torch::Tensor& t, const char* name, ShadingMode mode) {
  if (!t.defined())
    throw Error(std::string("raster::render_mesh: mode ") + mode_name(mode) + " needs mesh." +
                name);
}

// Per-pixel unit normals [B, H, W, 3] in the requested frame.
torch::Tensor pixel_normals(const MeshInputs& mesh, const Camera& camera,
                            const RenderMeshParams& params, const Fragments& frags) {
  torch::Tensor vn = mesh.vertex_normals.defined()
                         ? mesh.vertex_normals.to(mesh.positions.scalar_type())
                         : vertex_normals(mesh.positions, mesh.triangles);
  if (vn.sizes() != mesh.positions.sizes())
    throw Error(
        "raster::render_mesh: mesh.vertex_normals must have the shape of the positions, "
        "got " +
        detail::shape_string(mesh.vertex_normals) + " for positions " +
        detail::shape_string(mesh.positions));
  if (params.normal_space == NormalSpace::kCamera) {
    // Directions transform by the rotation part of the (rigid) view matrix.
    const torch::Tensor rot = camera.view.to(vn.scalar_type()).narrow(1, 0, 3).narrow(2, 0, 3);
    vn = torch::matmul(vn.dim() == 2 ? vn.unsqueeze(0) : vn, rot.transpose(1, 2));
  }
  const torch::Tensor n = interpolate(vn, mesh.triangles, frags).image;
  return n * torch::rsqrt((n * n).sum(-1, true).clamp_min(1e-30));
}

torch::Tensor sampled_texture(const MeshInputs& mesh, const RenderMeshParams& params,
                              const Fragments& frags) {
  require(mesh.uvs, "uvs", params.mode);
  require(mesh.faces_uv, "faces_uv", params.mode);
  require(mesh.texture, "texture", params.mode);
  if (mesh.faces_uv.dim() != 2 || mesh.faces_uv.size(0) != mesh.triangles.size(0))
    throw Error("raster::render_mesh: mesh.faces_uv must be [F, 3] with F = " +
                std::to_string(mesh.triangles.size(0)) + ", got " +
                detail::shape_string(mesh.faces_uv));
  const torch::Tensor uv = interpolate(mesh.uvs, mesh.faces_uv, frags).image;  // [B, H, W, 2]
  return sample_texture(mesh.texture, uv, params.texture_sampling);            // [B, C, H, W]
}

}  // namespace

RenderOutput render_mesh(const MeshInputs& mesh, const Camera& camera,
                         const RenderMeshParams& params) {
  using namespace detail;
  check_floating(mesh.positions, kOp, "mesh.positions");
  check_dims(mesh.positions, {2, 3}, kOp, "mesh.positions", "[V, 3] or [B, V, 3]");
  check_size(mesh.positions, -1, 3, kOp, "mesh.positions", "[V, 3] or [B, V, 3]");
  check_index_dtype(mesh.triangles, kOp, "mesh.triangles");
  check_floating(camera.view, kOp, "camera.view");
  check_floating(camera.projection, kOp, "camera.projection");
  const torch::Tensor view = camera.view.dim() == 2 ? camera.view.unsqueeze(0) : camera.view;
  const torch::Tensor proj =
      camera.projection.dim() == 2 ? camera.projection.unsqueeze(0) : camera.projection;
  if (view.dim() != 3 || view.size(1) != 4 || view.size(2) != 4 || proj.dim() != 3 ||
      proj.size(1) != 4 || proj.size(2) != 4)
    throw Error("raster::render_mesh: camera matrices must be [4, 4] or [B, 4, 4], got view " +
                shape_string(camera.view) + ", projection " + shape_string(camera.projection));
  if (view.size(0) != proj.size(0) && view.size(0) != 1 && proj.size(0) != 1)
    throw Error("raster::render_mesh: camera.view and camera.projection batches differ");
  Camera cam{view, proj};

  const torch::Tensor eye = transform_points(mesh.positions, view);  // [B, V, 4]
  const torch::Tensor clip =
      torch::matmul(eye, proj.to(eye.device(), eye.scalar_type()).transpose(1, 2));
  RasterizeParams rp;
  rp.height = params.height;
  rp.width = params.width;
  rp.cull = params.cull;
  rp.backend = params.backend;
  const Fragments frags = rasterize_fragments(clip, mesh.triangles, rp, mesh.triangle_mask);

  torch::Tensor image;  // [B, C, H, W]
  switch (params.mode) {
    case ShadingMode::kGreyShaded:
    case ShadingMode::kTextured: {
      require(mesh.sh_gamma, "sh_gamma", params.mode);
      const torch::Tensor n = pixel_normals(mesh, cam, params, frags);
      const torch::Tensor radiance =
          sh_radiance(n, mesh.sh_gamma.to(n.device()), params.sh).permute({0, 3, 1, 2});
      if (params.mode == ShadingMode::kGreyShaded) {
        image = radiance * params.grey_albedo;
      } else {
        const torch::Tensor albedo = sampled_texture(mesh, params, frags);
        if (albedo.size(1) != 3)
          throw Error("raster::render_mesh: textured (lit) mode needs a 3-channel texture, got " +
                      shape_string(mesh.texture) + "; use kAlbedo or kLatent for others");
        image = albedo * radiance;
      }
      break;
    }
    case ShadingMode::kNormalMap:
      image = normal_map(pixel_normals(mesh, cam, params, frags), frags.mask, params.background);
      break;
    case ShadingMode::kDepthMap: {
      // -z_eye per vertex: distance along the view axis, positive in front of the camera.
      const torch::Tensor eye_depth = eye.narrow(2, 2, 1).neg();
      const torch::Tensor d = interpolate(eye_depth, mesh.triangles, frags).image;
      image = depth_map(d, frags.mask, params.depth);
      break;
    }
    case ShadingMode::kAlbedo:
    case ShadingMode::kLatent:
      image = sampled_texture(mesh, params, frags);
      break;
  }
  RenderOutput out;
  out.mask = frags.mask.permute({0, 3, 1, 2});
  const torch::Tensor m = out.mask.to(image.scalar_type());
  if (params.background_color.defined()) {
    const torch::Tensor& bg = params.background_color;
    if (bg.dim() != 1 || bg.size(0) != image.size(1))
      throw Error("raster::render_mesh: background_color must be [C] with C = " +
                  std::to_string(image.size(1)) + ", got " + shape_string(bg));
    const torch::Tensor bgv = bg.to(image.device(), image.scalar_type()).view({1, -1, 1, 1});
    out.image = image * m + (1.0 - m) * bgv;
  } else {
    out.image = image * m + (1.0 - m) * params.background;
  }
  if (params.antialias)
    out.image = antialias_silhouettes(out.image, clip, mesh.triangles, frags.triangle_id);
  out.fragments = frags;
  return out;
}

}  // namespace faceg2e::raster
