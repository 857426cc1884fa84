#pragma once
// The contract between checkpoint loading and the model modules: a component's weights in
// diffusers / transformers naming plus its diffusers-style config.json. Every checkpoint
// format (diffusers folder, single-file LDM checkpoint, lllyasviel ControlNet) is converted into
// this form in exactly one place (checkpoint.h); modules never see other names.
#include <torch/nn/module.h>
#include <torch/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace faceg2e::diffusion {

using StateDict = std::map<std::string, torch::Tensor>;

struct ComponentWeights {
  nlohmann::json config;  // as diffusers' / transformers' config.json would say
  StateDict tensors;      // diffusers / transformers names
  std::string origin;     // human-readable source ("unet/ of <folder>", "<file> (LDM naming)")
};

// Copies `weights` into the module's parameters and buffers by name, converting dtype and
// device to the parameter's. Missing or unexpected tensors, and shape mismatches, throw
// faceg2e::Error that lists them by name (first few of each) and names `what`.
void load_into(torch::nn::Module& module, const StateDict& weights, const std::string& what);

}  // namespace faceg2e::diffusion
