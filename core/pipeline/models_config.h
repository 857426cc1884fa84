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
  // Explicit models whose architecture does not match their role, e.g. "SD 1.x given as the
  // geometry model, which expects SD 2.x (PATH)". The run goes on; the caller shows them.
  std::vector<std::string> warnings;
};

// Explicit paths first (checked: they must exist, the CLIP vocabulary included, and are inspected:
// headers only, so this is fast enough to run before any work), then the folder scan. A model
// of another architecture than its role gets a warning; a VAE, text encoder, tokenizer or
// scheduler given for a role is an error.
ResolvedModels resolve_models(const ModelSelection& selection);

// Throws MissingModelError naming the role and the expected format when `path` is empty.
std::filesystem::path require_role(const std::optional<std::filesystem::path>& path,
                                   ModelRole role);

// The CLIP BPE vocabulary for single-file checkpoints (they hold no tokenizer), in order: the
// model folder's tokenizer/ (handled by the caller), --clip-vocab, FACEG2E_CLIP_VOCAB,
// $XDG_DATA_HOME/faceg2e/clip/bpe_simple_vocab_16e6.txt.gz, ../shared/data/clip/ beside the
// checkout. Empty when none exists; `tried` lists every place looked at. An explicit path or
// FACEG2E_CLIP_VOCAB that names no file throws NotFoundError instead of falling through.
std::filesystem::path find_clip_vocab(const std::optional<std::filesystem::path>& explicit_path,
                                      std::vector<std::string>* tried = nullptr);

// How a prompt fits the text encoder of `checkpoint` (its own tokenizer, found as loading finds
// it; `clip_vocab` for single-file checkpoints). Throws NotFoundError when no tokenizer is
// found, as the run would.
struct PromptFit {
  std::size_t tokens = 0;      // text tokens, without BOS/EOS
  std::size_t max_tokens = 0;  // what the encoder keeps (75 for CLIP's 77 with BOS/EOS)
  std::string dropped;         // the tokenizer's text of what is cut off; empty when it fits
};
PromptFit check_prompt_fit(const std::filesystem::path& checkpoint,
                           const std::optional<std::filesystem::path>& clip_vocab,
                           const std::string& prompt);

}  // namespace faceg2e::pipeline
