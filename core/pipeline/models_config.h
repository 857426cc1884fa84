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

namespace faceg2e::pipeline {

enum class ModelRole { kGeometrySd, kTextureSd, kControlNetDepth, kTexturePrior, kIp2p };
const char* role_name(ModelRole role);          // "geometry SD 2.x (--sd21)", ...
const char* role_expected_format(ModelRole role);

struct ModelSelection {
  std::optional<std::filesystem::path> models_dir;   // --models DIR (scanned)
  std::optional<std::filesystem::path> sd21;         // --sd21
  std::optional<std::filesystem::path> sd15;         // --sd15
  std::optional<std::filesystem::path> controlnet_depth;  // --controlnet-depth
  std::optional<std::filesystem::path> texture_prior;     // --texture-prior
  std::optional<std::filesystem::path> ip2p;              // --ip2p
  std::optional<std::filesystem::path> clip_vocab;        // --clip-vocab
};

struct ResolvedModels {
  std::optional<std::filesystem::path> geometry_sd, texture_sd, controlnet_depth, texture_prior,
      ip2p;
  std::vector<std::string> notes;  // what was detected where, for the user and project.json
};

// Explicit paths first (checked: they must exist and inspect as the role), then the folder scan.
ResolvedModels resolve_models(const ModelSelection& selection);

// Throws faceg2e::NotFoundError naming the role and the expected format when `path` is empty.
std::filesystem::path require_role(const std::optional<std::filesystem::path>& path,
                                   ModelRole role);

// The CLIP BPE vocabulary for single-file checkpoints (they hold no tokenizer), in order: the
// model folder's tokenizer/ (handled by the caller), --clip-vocab, FACEG2E_CLIP_VOCAB,
// $XDG_DATA_HOME/faceg2e/clip/bpe_simple_vocab_16e6.txt.gz, ../shared/data/clip/ beside the
// checkout. Empty when none exists; `tried` lists every place looked at.
std::filesystem::path find_clip_vocab(const std::optional<std::filesystem::path>& explicit_path,
                                      std::vector<std::string>* tried = nullptr);

}  // namespace faceg2e::pipeline
