#include "core/pipeline/models_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/diffusion/checkpoint.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"

namespace faceg2e::pipeline {

namespace fs = std::filesystem;

const char* role_name(ModelRole role) {
  switch (role) {
    case ModelRole::kGeometry: return "geometry model (Stable Diffusion 2.x)";
    case ModelRole::kTexture: return "texture model (Stable Diffusion 1.x)";
    case ModelRole::kTextureControl: return "texture control model (ControlNet depth for SD 1.x)";
    case ModelRole::kTexturePrior: return "UV texture prior (SD-compatible UNet)";
    case ModelRole::kEdit: return "editing model (InstructPix2Pix)";
  }
  return "?";
}

const char* role_expected_format(ModelRole role) {
  switch (role) {
    case ModelRole::kTextureControl:
      return "a ControlNet .safetensors (lllyasviel control_*depth* or diffusers controlnet folder)";
    case ModelRole::kTexturePrior:
      return "a diffusers UNet folder (config.json + diffusion_pytorch_model.safetensors)";
    default:
      return "a single-file .safetensors checkpoint (A1111 / ComfyUI) or a diffusers folder "
             "(model_index.json)";
  }
}

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool looks_like_model(const fs::path& p) {
  std::error_code ec;
  if (fs::is_directory(p, ec))
    return fs::exists(p / "model_index.json", ec) || fs::exists(p / "config.json", ec);
  return lower(p.extension().string()) == ".safetensors";
}

// Candidate files and folders under a models folder, shallow (A1111/ComfyUI keep models at most
// two levels down), sorted for a deterministic choice.
std::vector<fs::path> candidates(const fs::path& root) {
  std::vector<fs::path> out;
  std::error_code ec;
  if (looks_like_model(root) && fs::is_directory(root, ec)) return {root};
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) throw NotFoundError("models folder " + root.string() + " cannot be read: " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (it.depth() > 3) {
      it.disable_recursion_pending();
      continue;
    }
    const fs::path p = it->path();
    if (looks_like_model(p)) {
      out.push_back(p);
      if (fs::is_directory(p, ec)) it.disable_recursion_pending();
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<ModelRole> classify(const diffusion::ModelInfo& info, const fs::path& p) {
  const std::string name = lower(p.string());
  if (info.kind == "sd2") return ModelRole::kGeometry;
  if (info.kind == "ip2p" || info.in_channels == 8) return ModelRole::kEdit;
  if (info.kind == "sd1") return ModelRole::kTexture;
  if (info.kind == "controlnet") {
    // Depth by name: the weights do not say what a ControlNet was trained on.
    if (name.find("depth") != std::string::npos || name.find("controlnet") != std::string::npos)
      return ModelRole::kTextureControl;
  }
  if (info.kind == "unet" && name.find("texture") != std::string::npos) return ModelRole::kTexturePrior;
  return std::nullopt;
}

void check_explicit(const std::optional<fs::path>& path, ModelRole role) {
  if (!path) return;
  if (!fs::exists(*path))
    throw NotFoundError(std::string(role_name(role)) + ": " + path->string() +
                        " does not exist (expected " + role_expected_format(role) + ")");
}

}  // namespace

ResolvedModels resolve_models(const ModelSelection& s) {
  ResolvedModels r;
  check_explicit(s.geometry, ModelRole::kGeometry);
  check_explicit(s.texture, ModelRole::kTexture);
  check_explicit(s.texture_control, ModelRole::kTextureControl);
  check_explicit(s.texture_prior, ModelRole::kTexturePrior);
  check_explicit(s.edit, ModelRole::kEdit);
  r.geometry = s.geometry;
  r.texture = s.texture;
  r.texture_control = s.texture_control;
  r.texture_prior = s.texture_prior;
  r.edit = s.edit;
  if (!s.models_dir) return r;
  if (!fs::exists(*s.models_dir)) throw NotFoundError("models folder " + s.models_dir->string() + " does not exist");
  for (const fs::path& p : candidates(*s.models_dir)) {
    diffusion::ModelInfo info;
    try {
      info = diffusion::inspect_model(p);
    } catch (const std::exception& e) {
      r.notes.push_back("skipped " + p.string() + ": " + e.what());
      continue;
    }
    auto role = classify(info, p);
    if (!role) continue;
    auto assign = [&](std::optional<fs::path>& slot) {
      if (!slot) {
        slot = p;
        r.notes.push_back(std::string(role_name(*role)) + ": " + p.string() + " (" + info.kind + ")");
      }
    };
    switch (*role) {
      case ModelRole::kGeometry: assign(r.geometry); break;
      case ModelRole::kTexture: assign(r.texture); break;
      case ModelRole::kTextureControl: assign(r.texture_control); break;
      case ModelRole::kTexturePrior: assign(r.texture_prior); break;
      case ModelRole::kEdit: assign(r.edit); break;
    }
  }
  return r;
}

fs::path require_role(const std::optional<fs::path>& path, ModelRole role) {
  if (path && !path->empty()) return *path;
  throw MissingModelError(role, std::string("missing ") + role_name(role) +
                                    ": point at it explicitly, or at a models folder that holds " +
                                    role_expected_format(role));
}

fs::path find_clip_vocab(const std::optional<fs::path>& explicit_path, std::vector<std::string>* tried) {
  const std::string name = "bpe_simple_vocab_16e6.txt.gz";
  std::vector<fs::path> places;
  if (explicit_path) places.push_back(*explicit_path);
  if (const char* env = std::getenv("FACEG2E_CLIP_VOCAB")) places.emplace_back(env);
  fs::path xdg;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    xdg = x;
  else if (const char* h = std::getenv("HOME"))
    xdg = fs::path(h) / ".local" / "share";
  if (!xdg.empty()) places.push_back(xdg / "faceg2e" / "clip" / name);
  places.push_back(shared_dir() / "data" / "clip" / name);
  for (const auto& p : places) {
    if (tried) tried->push_back(p.string());
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return {};
}

}  // namespace faceg2e::pipeline
