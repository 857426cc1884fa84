#include "core/pipeline/models_config.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/tokenizer.h"
#include "core/guidance/text_sds.h"
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

// What a model is, in the words of the role warnings ("SD 1.x", "a ControlNet", ...).
std::string describe_kind(const diffusion::ModelInfo& info) {
  if (info.kind == "sd1") return "SD 1.x";
  if (info.kind == "sd2") return "SD 2.x";
  if (info.kind == "ip2p" || info.kind == "ip2p-unet") return "an InstructPix2Pix model";
  if (info.kind == "controlnet") return "a ControlNet";
  if (info.kind == "unet")
    return "a bare UNet" + (info.version.empty() ? std::string() : " (" + info.version + ")");
  if (info.kind == "vae") return "a VAE";
  if (info.kind == "text-encoder") return "a text encoder";
  if (info.kind == "tokenizer") return "a tokenizer";
  if (info.kind == "scheduler") return "a scheduler config";
  return "a model of kind '" + info.kind + "'";
}

// The kinds each role runs with.
bool kind_fits(ModelRole role, const std::string& kind) {
  switch (role) {
    case ModelRole::kGeometry: return kind == "sd2";
    case ModelRole::kTexture: return kind == "sd1";
    case ModelRole::kTextureControl: return kind == "controlnet";
    case ModelRole::kTexturePrior: return kind == "unet" || kind == "sd1";
    case ModelRole::kEdit: return kind == "ip2p" || kind == "ip2p-unet";
  }
  return false;
}

// The role as the warnings name it, and what it expects.
std::string role_short(ModelRole role, std::string* expects) {
  switch (role) {
    case ModelRole::kGeometry: *expects = "SD 2.x"; return "the geometry model";
    case ModelRole::kTexture: *expects = "SD 1.x"; return "the texture model";
    case ModelRole::kTextureControl:
      *expects = "a ControlNet depth model";
      return "the texture control model";
    case ModelRole::kTexturePrior:
      *expects = "an SD 1.x-compatible UNet";
      return "the UV texture prior";
    case ModelRole::kEdit: *expects = "InstructPix2Pix"; return "the editing model";
  }
  *expects = "?";
  return "?";
}

// Kinds that can never play an SD role (they hold no UNet): an error, not a warning.
bool kind_is_part(const std::string& kind) {
  return kind == "vae" || kind == "text-encoder" || kind == "tokenizer" || kind == "scheduler";
}

// Inspects an explicit model (headers only) and warns when its architecture is not the role's.
void check_role(const std::optional<fs::path>& path, ModelRole role,
                std::vector<std::string>& warnings) {
  if (!path) return;
  const diffusion::ModelInfo info = diffusion::inspect_model(*path);  // throws naming the file
  if (kind_fits(role, info.kind)) return;
  std::string expects;
  const std::string what = role_short(role, &expects);
  const std::string msg = describe_kind(info) + " given as " + what + ", which expects " +
                          expects + " (" + path->string() + ")";
  if (kind_is_part(info.kind)) throw Error(msg + ": it holds no UNet and cannot play this role");
  warnings.push_back(msg);
}

}  // namespace

ResolvedModels resolve_models(const ModelSelection& s) {
  ResolvedModels r;
  check_explicit(s.geometry, ModelRole::kGeometry);
  check_explicit(s.texture, ModelRole::kTexture);
  check_explicit(s.texture_control, ModelRole::kTextureControl);
  check_explicit(s.texture_prior, ModelRole::kTexturePrior);
  check_explicit(s.edit, ModelRole::kEdit);
  if (s.clip_vocab && !fs::is_regular_file(*s.clip_vocab))
    throw NotFoundError("CLIP vocabulary " + s.clip_vocab->string() +
                        " does not exist (expected CLIP's bpe_simple_vocab_16e6.txt.gz)");
  check_role(s.geometry, ModelRole::kGeometry, r.warnings);
  check_role(s.texture, ModelRole::kTexture, r.warnings);
  check_role(s.texture_control, ModelRole::kTextureControl, r.warnings);
  check_role(s.texture_prior, ModelRole::kTexturePrior, r.warnings);
  check_role(s.edit, ModelRole::kEdit, r.warnings);
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

PromptFit check_prompt_fit(const fs::path& checkpoint, const std::optional<fs::path>& clip_vocab,
                           const std::string& prompt) {
  guidance::SdLoadOptions o;
  o.checkpoint = checkpoint;
  o.clip_vocab = clip_vocab;
  const auto tok = guidance::find_tokenizer(diffusion::inspect_model(checkpoint), o);
  PromptFit f;
  f.tokens = tok->count_tokens(prompt);
  f.max_tokens = static_cast<std::size_t>(std::max(0, tok->max_length() - 2));
  f.dropped = tok->dropped_text(prompt);
  return f;
}

fs::path find_clip_vocab(const std::optional<fs::path>& explicit_path, std::vector<std::string>* tried) {
  const std::string name = "bpe_simple_vocab_16e6.txt.gz";
  std::vector<fs::path> places;
  // An explicit setting that points nowhere is an error, not a reason to use another file.
  std::error_code ec;
  if (explicit_path) {
    if (tried) tried->push_back(explicit_path->string());
    if (fs::is_regular_file(*explicit_path, ec)) return *explicit_path;
    throw NotFoundError("CLIP vocabulary " + explicit_path->string() + " does not exist (expected " +
                        name + ")");
  }
  if (const char* env = std::getenv("FACEG2E_CLIP_VOCAB"); env && *env) {
    if (tried) tried->push_back(env);
    if (fs::is_regular_file(env, ec)) return env;
    throw NotFoundError(std::string("FACEG2E_CLIP_VOCAB=") + env + " does not exist (expected " +
                        name + "); fix the path or unset the variable");
  }
  fs::path xdg;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x)
    xdg = x;
  else if (const char* h = std::getenv("HOME"))
    xdg = fs::path(h) / ".local" / "share";
  if (!xdg.empty()) places.push_back(xdg / "faceg2e" / "clip" / name);
  places.push_back(shared_dir() / "data" / "clip" / name);
  for (const auto& p : places) {
    if (tried) tried->push_back(p.string());
    if (fs::is_regular_file(p, ec)) return p;
  }
  return {};
}

}  // namespace faceg2e::pipeline
