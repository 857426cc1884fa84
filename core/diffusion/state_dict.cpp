#include "core/diffusion/state_dict.h"

#include <torch/torch.h>

#include <set>
#include <sstream>

#include "core/util/error.h"

namespace faceg2e::diffusion {
namespace {

constexpr std::size_t kListedPerGroup = 8;

void list_names(std::ostringstream& ss, const char* what, const std::vector<std::string>& names) {
  if (names.empty()) return;
  ss << "\n  " << names.size() << " " << what << ":";
  for (std::size_t i = 0; i < names.size() && i < kListedPerGroup; ++i) ss << " " << names[i];
  if (names.size() > kListedPerGroup) ss << " ...";
}

std::string shape_str(const torch::Tensor& t) {
  std::ostringstream ss;
  ss << t.sizes();
  return ss.str();
}

}  // namespace

void load_into(torch::nn::Module& module, const StateDict& weights, const std::string& what) {
  // Parameters and buffers share one namespace in diffusers state dicts.
  std::map<std::string, torch::Tensor> targets;
  for (const auto& p : module.named_parameters(/*recurse=*/true)) targets.emplace(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true)) targets.emplace(b.key(), b.value());

  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& kv : targets) {
    const auto it = weights.find(kv.first);
    if (it == weights.end()) {
      missing.push_back(kv.first);
    } else if (it->second.sizes() != kv.second.sizes()) {
      mismatched.push_back(kv.first + " " + shape_str(it->second) + " vs module " + shape_str(kv.second));
    }
  }
  for (const auto& kv : weights)
    if (!targets.count(kv.first)) unexpected.push_back(kv.first);

  if (!missing.empty() || !unexpected.empty() || !mismatched.empty()) {
    std::ostringstream ss;
    ss << "cannot load weights into " << what << ":";
    list_names(ss, "missing", missing);
    list_names(ss, "unexpected", unexpected);
    list_names(ss, "shape mismatches", mismatched);
    throw Error(ss.str());
  }

  torch::NoGradGuard no_grad;
  for (auto& kv : targets) {
    const torch::Tensor& src = weights.at(kv.first);
    kv.second.copy_(src);  // copy_ converts dtype and device in one pass
  }
}

}  // namespace faceg2e::diffusion
