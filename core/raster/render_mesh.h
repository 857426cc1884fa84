#pragma once
// One call from a mesh and a camera to an image: the pipeline's render step.
//   world positions -> (view, projection) -> clip -> rasterize -> barycentrics
//   -> interpolate normals / uv / eye depth -> shade -> [B, C, H, W] image + mask.
// Every step after rasterization is torch autograd: gradients reach the positions (through
// barycentrics and normals), the texture and the SH coefficients.
#include <torch/types.h>

#include "core/raster/antialias.h"
#include "core/raster/barycentrics.h"
#include "core/raster/camera.h"
#include "core/raster/image_maps.h"
#include "core/raster/rasterize.h"
#include "core/raster/sh_lighting.h"
#include "core/raster/texture_sample.h"

namespace faceg2e::raster {

enum class ShadingMode {
  kGreyShaded,  // grey albedo x SH radiance, 3 channels (geometry stage)
  kNormalMap,   // 0.5 n + 0.5, 3 channels (geometry stage)
  kDepthMap,    // MiDaS-like depth (image_maps.h), 1 channel (ControlNet condition)
  kTextured,    // texture(uv) x SH radiance, C = texture channels (texture / edit stages)
  kAlbedo,      // texture(uv) unlit, C = texture channels
  kLatent,      // texture(uv) unlit for a latent texture (e.g. 4 x 64 x 64 VAE latent):
                // the same as kAlbedo, named for clarity; usually rendered at 64 x 64
};

enum class NormalSpace {
  kWorld,   // normals of the unposed face (FaceG2E reference)
  kCamera,  // eye-space normals (x right, y up, z toward the viewer)
};

struct RenderMeshParams {
  ShadingMode mode = ShadingMode::kGreyShaded;
  int height = 512;
  int width = 512;
  // Value of every channel on background pixels. The reference's geometry-stage normal map has
  // 0.5 there (its normals are 0 on background before 0.5 n + 0.5); its shaded renders 0.
  double background = 0.0;
  // Optional per-channel background [C] (e.g. ControlNet-normal's (0.25, 0.25, 0.5) or a latent
  // mean); overrides `background` when defined.
  torch::Tensor background_color;
  // Albedo of kGreyShaded. FaceG2E reference: constant_diffuse_texture 0.5.
  double grey_albedo = 0.5;
  NormalSpace normal_space = NormalSpace::kWorld;
  CullMode cull = CullMode::kNone;
  ShParams sh;
  TextureSampleParams texture_sampling;
  DepthMapParams depth;
  RasterBackend backend = RasterBackend::kAuto;
  // Blend mesh/background pixel pairs by where the outline crosses them, so the image has a
  // gradient with respect to the outline (antialias.h). Off: plain discrete coverage.
  bool antialias = false;
};

// The mesh and its shading inputs. Tensors may be on the CPU or one CUDA device (all the same).
struct MeshInputs {
  torch::Tensor positions;      // [V, 3] or [B, V, 3] world positions, float32/float64 (required)
  torch::Tensor triangles;      // [F, 3] int32/int64 (required)
  torch::Tensor triangle_mask;  // optional [F] bool: false = not drawn (eyelashes, ...)
  torch::Tensor uvs;            // [T, 2] OBJ-convention UVs (texture modes)
  torch::Tensor faces_uv;       // [F, 3] indices into uvs (texture modes)
  torch::Tensor texture;        // [C, Ht, Wt] or [B, C, Ht, Wt] (texture modes)
  torch::Tensor sh_gamma;       // [27] or [B, 27] (shaded modes; e.g. sh_light_preset(i))
  // Optional precomputed per-vertex normals [V, 3]/[B, V, 3] (world space). When undefined they
  // are computed from the positions with vertex_normals() (differentiable).
  torch::Tensor vertex_normals;
};

struct RenderOutput {
  torch::Tensor image;  // [B, C, H, W], positions' dtype; background pixels = params.background
  torch::Tensor mask;   // [B, 1, H, W] coverage, positions' dtype
  Fragments fragments;  // triangle ids, depth, barycentrics ([B, H, W, ...]) for further use
};

// B = max(batch of positions, batch of camera matrices); batches of 1 broadcast. Throws
// faceg2e::Error when an input the mode needs is missing or malformed.
RenderOutput render_mesh(const MeshInputs& mesh, const Camera& camera,
                         const RenderMeshParams& params);

}  // namespace faceg2e::raster
