// faceg2e-cli diagnose model --model PATH: loads any supported checkpoint or folder and prints
// what it holds. Unsupported, corrupt or pickle files end with a clear error and exit 1. Every
// weight-bearing component is built as the pipeline builds it (make_unet, make_vae,
// make_controlnet, load_clip_text_model: the strict load that needs every parameter and buffer
// from the checkpoint and refuses unexpected tensors), so "OK" means the pipeline will load it.
#include <torch/torch.h>

#include <iostream>
#include <memory>
#include <string>

#include "app/cli/cli_commands.h"
#include "core/diffusion/checkpoint.h"
#include "core/diffusion/controlnet.h"
#include "core/diffusion/text_encoder.h"
#include "core/diffusion/unet.h"
#include "core/diffusion/vae.h"
#include "core/util/error.h"

namespace faceg2e::cli {
namespace {

namespace d = faceg2e::diffusion;

std::string json_field(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "-";
  return j[key].dump();
}

void print_component(const d::ComponentInfo& c) {
  std::cout << "  " << d::component_name(c.component);
  if (c.parameter_count) std::cout << ": " << c.parameter_count << " parameters, stored " << c.dtype;
  std::cout << "\n";
  const auto& j = c.config;
  switch (c.component) {
    case d::Component::UNet:
    case d::Component::ControlNet:
      std::cout << "    block_out_channels " << json_field(j, "block_out_channels") << ", layers_per_block "
                << json_field(j, "layers_per_block") << ", attention_head_dim " << json_field(j, "attention_head_dim")
                << "\n    cross_attention_dim " << json_field(j, "cross_attention_dim") << ", in_channels "
                << json_field(j, "in_channels") << ", linear projections " << json_field(j, "use_linear_projection")
                << ", upcast_attention " << json_field(j, "upcast_attention") << "\n";
      break;
    case d::Component::VAE:
      std::cout << "    block_out_channels " << json_field(j, "block_out_channels") << ", layers_per_block "
                << json_field(j, "layers_per_block") << ", latent_channels " << json_field(j, "latent_channels")
                << ", scaling_factor " << json_field(j, "scaling_factor") << "\n";
      break;
    case d::Component::TextEncoder:
      if (!j.empty())
        std::cout << "    hidden_size " << json_field(j, "hidden_size") << ", layers "
                  << json_field(j, "num_hidden_layers") << ", heads " << json_field(j, "num_attention_heads")
                  << ", act " << json_field(j, "hidden_act") << "\n";
      break;
    case d::Component::Scheduler:
      std::cout << "    " << json_field(j, "_class_name") << ", prediction_type " << json_field(j, "prediction_type")
                << ", beta_schedule " << json_field(j, "beta_schedule") << "\n";
      break;
    case d::Component::Tokenizer:
      break;
  }
}

}  // namespace

void register_diagnose_model(CLI::App& diagnose) {
  auto* cmd = diagnose.add_subcommand("model", "Inspect a checkpoint (file or diffusers folder) and load its weights");
  auto path = std::make_shared<std::string>();
  auto no_load = std::make_shared<bool>(false);
  cmd->add_option("--model", *path, "checkpoint file (.safetensors) or diffusers folder")->required();
  cmd->add_flag("--no-load", *no_load, "only read headers and configs (skip converting the weights)");
  cmd->callback([path, no_load] {
    const d::ModelInfo info = d::inspect_model(*path);
    std::cout << "model: " << info.path.string() << "\n"
              << "format: " << d::format_name(info.format) << "\n"
              << "kind: " << info.kind << (info.version.empty() ? "" : " (" + info.version + ")") << "\n";
    if (info.in_channels) std::cout << "in_channels: " << info.in_channels
                                    << (info.in_channels == 8 ? " (InstructPix2Pix image conditioning)" : "") << "\n";
    std::cout << "prediction_type: " << (info.prediction_type.empty() ? "not stated" : info.prediction_type) << "\n";
    if (info.text_encoder != d::TextEncoderFlavour::None)
      std::cout << "text encoder: " << d::flavour_name(info.text_encoder) << "\n";
    if (!info.tokenizer_dir.empty()) std::cout << "tokenizer: " << info.tokenizer_dir.string() << "\n";
    std::int64_t total = 0;
    for (const auto& c : info.components) total += c.parameter_count;
    std::cout << "components (" << info.components.size() << ", " << total << " parameters):\n";
    for (const auto& c : info.components) print_component(c);
    if (!info.notes.empty()) std::cout << "notes: " << info.notes << "\n";
    if (*no_load) return;
    // Build every weight-bearing component through the pipeline's own strict load.
    for (const auto& c : info.components) {
      if (c.component == d::Component::Tokenizer || c.component == d::Component::Scheduler) continue;
      const auto w = d::load_component(info.path, c.component, torch::kFloat);
      std::int64_t n = 0;
      for (const auto& kv : w.tensors) n += kv.second.numel();
      std::cout << "loaded " << d::component_name(c.component) << ": " << w.tensors.size() << " tensors, " << n
                << " values (" << w.origin << ")\n";
      std::shared_ptr<torch::nn::Module> module;
      switch (c.component) {
        case d::Component::UNet: module = d::make_unet(w).ptr(); break;
        case d::Component::VAE: module = d::make_vae(w).ptr(); break;
        case d::Component::ControlNet: module = d::make_controlnet(w).ptr(); break;
        case d::Component::TextEncoder: module = d::load_clip_text_model(w).ptr(); break;
        default: break;
      }
      if (!module) continue;
      std::int64_t built = 0;
      for (const auto& p : module->parameters()) built += p.numel();
      std::cout << "built " << d::component_name(c.component) << ": " << built
                << " parameters, every parameter and buffer from the checkpoint\n";
    }
    std::cout << "OK\n";
  });
}

}  // namespace faceg2e::cli
