#pragma once
// The edit stage (FaceG2E method step 3): InstructPix2Pix SDS (or any guidance, e.g. the
// analytic target) applied to one part of a finished face, with the UV-domain consistency
//   lambda * mean(W (T - T0)^2)
// holding the rest as it was. Scopes:
//   texture     the albedo atlas: a VAE latent when a codec is given, RGB texels otherwise;
//               T = the atlas;
//   geometry    the identity coefficients; T = the UV map of vertex positions;
//   expression  the 53 ARKit weights, kept in [0, 1]; T as for geometry.
// W is self-guided (edit_weights.h) when the guidance returns attention, and the user's region
// lock (region_lock.h) frees named regions only.
//
// The texture result is the baseline plus the change: T = T0 + (decode(z) - decode(z0)) for a
// latent (T0 + delta for texels), so the VAE's reconstruction error never reaches texels the
// edit did not touch, and the full-size baseline atlas keeps its resolution outside the change.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/face/face_assets.h"
#include "core/pipeline/edit_weights.h"
#include "core/pipeline/optimizer.h"
#include "core/pipeline/stage.h"
#include "core/pipeline/timestep_schedule.h"

namespace faceg2e::guidance {
class Guidance;
class LatentCodec;
}  // namespace faceg2e::guidance

namespace faceg2e::pipeline {

class FaceScene;

enum class EditScope { kTexture, kGeometry, kExpression };
std::string to_string(EditScope scope);               // "texture", "geometry", "expression"
EditScope parse_edit_scope(const std::string& name);  // throws faceg2e::Error

// Render modes an edit step can use (one drawn per step); the IP2P condition is the pre-edit
// face in the same mode.
enum class EditRenderMode { kTextured, kGreyShaded, kNormalMap };

struct EditParams {
  EditScope scope = EditScope::kTexture;
  int steps = 200;              // reference demo_editing.sh: 201 steps
  int render_size = 224;        // reference render_resolution 224 (upsampled for the VAE)
  int atlas_size = 512;         // optimised texture / W / position map size (latent 64^2)
  OptimizerParams optimizer{};  // edit_defaults(scope) fills it
  TimestepScheduleParams timesteps{TimestepScheduleKind::Linear, 20, 980};  // reference: linear
  // Consistency weight. Texture: 15000 (demo_editing.sh w_reg_diffuse). Geometry and expression
  // (T in cm): see edit_defaults.
  double lambda = 15000;
  int warmup_steps = 40;         // reference: W updates after iter_step > 40
  double weight_momentum = 0.8;  // reference: w = 0.8
  WeightUpdate weight_update = WeightUpdate::kLowerOnly;
  std::vector<std::string> lock_regions;  // empty: no region lock
  // Inward feather of the region lock, in texels of a 512 atlas (scaled with atlas_size).
  double feather_texels = 3;
  double light_strength = 0.6;
  // Lights are drawn from the first this many SH presets (reference: a random light per step).
  // Few on purpose, like the views: 20 views x 4 lights x the render modes are the condition
  // latents a run can need, so a 200-step edit mostly hits the cache.
  int light_presets = 4;
  // The discrete views of the reference edit (main.py set_transformation_choices: rotation
  // about y in {0, 30, 330, 60, 300}, about x {0, -10}, t_z {1.5, 3} of camera_d 10). Discrete
  // on purpose: the condition latent of each (view, light, mode) is encoded once and cached.
  std::vector<double> azimuths_deg{0, 30, -30, 60, -60};
  std::vector<double> elevations_deg{0, 10};
  std::vector<double> distances{0.85, 0.7};  // relative to the framing distance
  std::vector<EditRenderMode> render_modes{EditRenderMode::kTextured};
  double uv_prior_weight = 0.5;  // demo_editing.sh w_tex; used when a prior is given
  double background = 0.0;
  int default_albedo_size = 1024;  // atlas size when the baseline has no albedo
};

// Defaults per scope: the reference's for texture (AdamW lr 0.05, lambda 15000); for geometry
// and expression our measured lambda and optimizer (see the .cpp for the measurements).
EditParams edit_defaults(EditScope scope);
// Defaults for the analytic target (tests, `edit --guidance target`): Adam on the texels.
EditParams target_edit_defaults(EditScope scope);

struct EditModels {
  std::shared_ptr<guidance::Guidance> guidance;  // required
  std::shared_ptr<guidance::LatentCodec> codec;  // texture scope: optimise a VAE latent
  std::shared_ptr<guidance::Guidance> uv_prior;  // texture scope: optional UV texture prior SDS
};

// Seconds spent per phase of step(), summed over the steps (benchmarks).
struct EditPhaseSeconds {
  double render = 0;    // texture decode, the step's render
  double guidance = 0;  // the objective: encode, condition (render + encode on a cache miss), UNet
  double consistency = 0;  // the UV-domain consistency (and the UV prior term)
  double backward = 0;     // backward and the optimizer step
  double weights = 0;      // attention projection into the atlas and the W update
};

class EditStage final : public Stage {
 public:
  // baseline: the face being edited (T0), in float. target: the analytic target's face (needed
  // when the guidance needs_target()). The scene carries the face assets (atlas, regions).
  EditStage(EditParams params, std::shared_ptr<const FaceScene> scene, EditModels models,
            session::FaceState baseline, std::optional<session::FaceState> target,
            std::uint64_t seed);
  ~EditStage() override;

  std::string name() const override { return "edit"; }
  int total_steps() const override;
  int steps_done() const override;
  StepReport step(bool read_loss) override;
  FaceSnapshot snapshot(int albedo_size = 0) override;
  Image8 preview(int size) override;
  session::FaceState finish() override;
  double final_loss() override;
  double seconds() const override;

  const EditParams& params() const;
  // The W the consistency uses now and the last projected attention (1 channel, atlas layout).
  session::FloatImage weights() const;
  session::FloatImage attention() const;
  const EditPhaseSeconds& phase_seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace faceg2e::pipeline
