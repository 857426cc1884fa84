#pragma once
// Spherical-harmonics (order 2, 9 coefficients per colour channel) Lambertian shading, in the
// convention of the FaceG2E reference (inherited from Deep3DFaceRecon): models/hifi3dmm.py,
// HIFIParametricFaceModel.compute_color, and the 16 light presets of util/render_util.py
// (random_gamma). Reproduced as:
//
//   a = [pi, 2 pi / sqrt(3), 2 pi / sqrt(8)],  c = [1 / sqrt(4 pi), sqrt(3) / sqrt(4 pi),
//                                                   3 sqrt(5) / sqrt(12 pi)]
//   Y(n) = [ a0 c0,
//           -a1 c1 ny,   a1 c1 nz,  -a1 c1 nx,
//            a2 c2 nx ny,  -a2 c2 ny nz,  a2 c2 / (2 sqrt 3) (3 nz^2 - 1),
//           -a2 c2 nx nz,   a2 c2 / 2 (nx^2 - ny^2) ]
//   radiance_k(n) = Y(n) . (gamma_k + init_lit),   k = R, G, B
//
// gamma is laid out [R0..R8, G0..G8, B0..B8] (27 values, the reference's reshape [3, 9]);
// init_lit adds to the constant term of every channel (reference default 0.8).
// Which frame the normals are in decides where the light sits. The FaceG2E reference shades with
// the normals of the UNPOSED face (models/stage_fitter/_forward.py computes them before the view
// rotation), i.e. world space (x = subject's left,
// y up, z out of the face), so its lights move with the face. render_mesh() does the same by
// default (RenderMeshParams::normal_space).
#include <torch/types.h>

namespace faceg2e::raster {

inline constexpr int kShCoefficients = 9;
inline constexpr int kShLightPresets = 16;

struct ShParams {
  // Added to the constant (l = 0) coefficient of each channel. FaceG2E reference: init_lit 0.8.
  double init_lit = 0.8;
  // Radiance clamping before multiplying the albedo. The reference default is 'none'.
  bool clamp_01 = false;
};

// The 9 basis values Y(n) above for normals [..., 3] (unit length expected, not renormalised).
// Returns [..., 9] in the normals' dtype; differentiable.
torch::Tensor sh_basis(const torch::Tensor& normals);

// Radiance [..., 3] for normals [B, ..., 3] and gamma [27] or [B, 27]. Differentiable in both.
torch::Tensor sh_radiance(const torch::Tensor& normals, const torch::Tensor& gamma,
                          const ShParams& params = {});

// The FaceG2E light preset `index` in [0, 16) with DC strength `strength`, as a float32 [27]
// CPU tensor in the gamma layout above (the reference repeats the
// same 9 values for R, G and B: white light). Throws faceg2e::Error on a bad index.
// Default strength 0.2: the reference StageFitter calls random_gamma(strength=0.2) (the
// function's own default, 0.6, is not what the stages use); with init_lit 0.8 the constant term
// totals 1.0.
inline constexpr double kShPresetStrength = 0.2;
torch::Tensor sh_light_preset(int index, double strength = kShPresetStrength);

// All 16 presets, [16, 27] float32 on the CPU.
torch::Tensor sh_light_presets(double strength = kShPresetStrength);

}  // namespace faceg2e::raster
