#pragma once
// Checkpoint formats: every supported layout is turned into ComponentWeights (diffusers /
// transformers names + a diffusers-style config) here and only here.
//
// Supported:
//   * diffusers pipeline folders (model_index.json + unet/ vae/ text_encoder/ tokenizer/
//     scheduler/ [controlnet/]) and single component folders (config.json + one of
//     diffusion_pytorch_model.safetensors / model.safetensors, or a sharded
//     *.safetensors.index.json);
//   * single-file LDM checkpoints (.safetensors) of SD1.x / SD2.x / InstructPix2Pix
//     (model.diffusion_model.*, first_stage_model.*, cond_stage_model.*), with configs inferred
//     from tensor shapes and the LDM .yaml beside the file when present;
//   * ControlNet in lllyasviel naming (with or without the `control_model.` prefix).
// Pickle files (.ckpt/.pt/.pth/.bin or any zip/pickle magic) are refused: unpickling can run
// arbitrary code.
//
// Attention heads cannot always be read from shapes. Order of precedence: the yaml's
// num_heads / num_head_channels; otherwise the SD defaults: SD1-like (CLIP-L style text encoder,
// no linear projections) 8 heads per block, SD2-like (OpenCLIP text encoder or linear
// projections) head width 64.
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/diffusion/state_dict.h"

namespace faceg2e::diffusion {

enum class Component { UNet, VAE, TextEncoder, ControlNet, Tokenizer, Scheduler };
const char* component_name(Component c);

enum class CheckpointFormat { DiffusersPipeline, DiffusersComponent, LdmSingleFile, LllyasvielControlNet };
const char* format_name(CheckpointFormat f);

enum class TextEncoderFlavour {
  None,
  ClipL,     // transformers CLIP (quick_gelu), conditioning = last_hidden_state (SD1.x)
  OpenClip,  // OpenCLIP (gelu), conditioning = final_layer_norm(hidden_states[-2]) (SD2.x)
};
const char* flavour_name(TextEncoderFlavour f);

struct ComponentInfo {
  Component component;
  std::int64_t parameter_count = 0;
  std::string dtype;  // stored dtype of the weights ("F16", "F32", "mixed F16/F32", ...)
  nlohmann::json config;
};

struct ModelInfo {
  std::filesystem::path path;
  CheckpointFormat format = CheckpointFormat::DiffusersComponent;
  // "sd1", "sd2", "ip2p", "controlnet", "unet", "vae", "text-encoder", "pipeline"
  std::string kind;
  std::string version;  // "SD 1.x", "SD 2.x", "" when unknown
  std::vector<ComponentInfo> components;
  std::string prediction_type;  // "epsilon" / "v_prediction"; "" when nothing says
  int in_channels = 0;          // UNet / ControlNet input channels (8 for InstructPix2Pix)
  TextEncoderFlavour text_encoder = TextEncoderFlavour::None;
  std::filesystem::path tokenizer_dir;      // folders: tokenizer/ when present
  std::filesystem::path scheduler_config;   // folders: scheduler/scheduler_config.json
  std::string notes;                        // how configs were inferred (heads source, ...)

  bool has(Component c) const;
};

// Inspects without converting tensors (headers and configs only). Throws faceg2e::Error /
// FormatError / NotFoundError, including for pickle files.
ModelInfo inspect_model(const std::filesystem::path& path);

// Loads one component converted to diffusers / transformers names, tensors as `dtype`.
// Throws NotFoundError when the checkpoint has no such component.
ComponentWeights load_component(const std::filesystem::path& path, Component component,
                                torch::ScalarType dtype = torch::kFloat);

// Throws faceg2e::Error explaining why pickle checkpoints are refused when `path` looks like
// one (extension or magic bytes); does nothing otherwise.
void refuse_pickle(const std::filesystem::path& path);

}  // namespace faceg2e::diffusion
