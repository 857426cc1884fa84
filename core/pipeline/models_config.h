#pragma once
// Which model plays which role in a run. A user keeps models the way A1111 / ComfyUI do (one
// folder: models/Stable-diffusion/*.safetensors, models/ControlNet/*, ComfyUI models/checkpoints,
// models/controlnet, or diffusers folders); roles are detected by inspecting the files
// (core/diffusion/checkpoint.h): SD 2.x -> geometry, SD 1.x 4-channel -> texture, ControlNet
// (depth by name) -> texture control, 8-channel -> InstructPix2Pix. Explicit paths win.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/util/error.h"

namespace faceg2e::pipeline {

// Roles are named for what they do; the front ends map them to their own words (CLI flags,
// settings fields).
enum class ModelRole {
  kGeometry,        // Stable Diffusion 2.x-base: geometry SDS
  kTexture,         // Stable Diffusion 1.x: texture SDS
  kTextureControl,  // depth ControlNet for SD 1.x: texture SDS condition
  kTexturePrior,    // an SD-compatible UNet fine-tuned on UV maps (optional)
  kEdit,            // InstructPix2Pix: edits
};
const char* role_name(ModelRole role);  // "geometry model (Stable Diffusion 2.x)", ...
const char* role_expected_format(ModelRole role);

// A role that no path and no folder scan filled.
class MissingModelError : public NotFoundError {
 public:
  MissingModelError(ModelRole role, const std::string& message)
      : NotFoundError(message), role_(role) {}
  ModelRole role() const { return role_; }

 private:
  ModelRole role_;
};

struct ModelSelection {
  std::optional<std::filesystem::path> models_dir;  // a folder to scan (A1111 / ComfyUI layout)
  std::optional<std::filesystem::path> geometry, texture, texture_control, texture_prior, edit;
  std::optional<std::filesystem::path> clip_vocab;  // OpenAI's CLIP BPE file, single files only
};

struct ResolvedModels {
  std::optional<std::filesystem::path> geometry, texture, texture_control, texture_prior, edit;
  std::vector<std::string> notes;  // what was detected where, for the user and project.json
};

// Explicit paths first (checked: they must exist and inspect as the role), then the folder scan.
ResolvedModels resolve_models(const ModelSelection& selection);

// Throws MissingModelError naming the role and the expected format when `path` is empty.
std::filesystem::path require_role(const std::optional<std::filesystem::path>& path,
                                   ModelRole role);

// The CLIP BPE vocabulary for single-file checkpoints (they hold no tokenizer), in order: the
// model folder's tokenizer/ (handled by the caller), --clip-vocab, FACEG2E_CLIP_VOCAB,
// $XDG_DATA_HOME/faceg2e/clip/bpe_simple_vocab_16e6.txt.gz, ../shared/data/clip/ beside the
// checkout. Empty when none exists; `tried` lists every place looked at.
std::filesystem::path find_clip_vocab(const std::optional<std::filesystem::path>& explicit_path,
                                      std::vector<std::string>* tried = nullptr);

}  // namespace faceg2e::pipeline
