#include "core/diffusion/checkpoint.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <set>
#include <sstream>

#include "core/diffusion/safetensors.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace faceg2e::diffusion {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Small helpers

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
bool ends_with(const std::string& s, const std::string& p) {
  return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

std::optional<long> to_index(const std::string& s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), ::isdigit)) return std::nullopt;
  return std::stol(s);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string st_dtype_name(StDtype d) { return safetensors::dtype_name(d); }

// ---------------------------------------------------------------------------------------------
// Tensor sources: one or more safetensors files seen as one name space (sharded checkpoints).

struct TensorRef {
  std::shared_ptr<SafetensorsFile> file;
  std::string name;
};

class TensorSource {
 public:
  void add_file(const std::shared_ptr<SafetensorsFile>& f) {
    for (const auto& n : f->names()) entries_[n] = {f, n};
  }
  bool has(const std::string& n) const { return entries_.count(n) != 0; }
  const std::map<std::string, TensorRef>& entries() const { return entries_; }
  const StTensorInfo& info(const std::string& n) const { return ref(n).file->info(n); }
  const std::vector<std::int64_t>& shape(const std::string& n) const { return info(n).shape; }
  std::int64_t dim(const std::string& n, std::size_t i) const {
    const auto& s = shape(n);
    if (i >= s.size())
      throw FormatError(ref(n).file->path().string(), "tensor '" + n + "' has rank " + std::to_string(s.size()) +
                                                          ", expected at least " + std::to_string(i + 1));
    return s[i];
  }
  torch::Tensor load(const std::string& n, torch::ScalarType dtype) const {
    const auto& r = ref(n);
    const auto& inf = r.file->info(n);
    const bool is_float = inf.dtype == StDtype::F32 || inf.dtype == StDtype::F16 ||
                          inf.dtype == StDtype::BF16 || inf.dtype == StDtype::F64;
    return is_float ? r.file->load(n, dtype) : r.file->load(n);
  }
  std::string origin() const {
    if (entries_.empty()) return "(empty)";
    return entries_.begin()->second.file->path().string();
  }

 private:
  const TensorRef& ref(const std::string& n) const {
    const auto it = entries_.find(n);
    if (it == entries_.end()) throw FormatError(origin(), "missing tensor '" + n + "'");
    return it->second;
  }
  std::map<std::string, TensorRef> entries_;
};

// ---------------------------------------------------------------------------------------------
// A tiny YAML subset reader for LDM configs: nested mappings by indentation, scalars, and
// "- item" lists of scalars. Produces dotted keys ("model.params.unet_config.params.num_heads");
// list items are joined with ','. Anchors (&id) and aliases (*id) are resolved for scalars/lists.

using FlatYaml = std::map<std::string, std::string>;

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

FlatYaml parse_yaml_subset(const fs::path& p) {
  std::ifstream in(p);
  if (!in) throw NotFoundError("cannot open " + p.string());
  FlatYaml out;
  std::map<std::string, std::string> anchors;
  std::vector<std::pair<int, std::string>> stack;  // (indent, key)
  std::string line, last_key_path;
  int last_key_indent = -1;
  while (std::getline(in, line)) {
    const auto hash = line.find(" #");
    if (hash != std::string::npos) line = line.substr(0, hash);
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    int indent = 0;
    while (indent < static_cast<int>(line.size()) && line[indent] == ' ') ++indent;
    std::string body = trim(line);
    if (starts_with(body, "- ")) {
      // A list item belongs to the last key opened at a smaller or equal indent.
      std::string v = trim(body.substr(2));
      if (!last_key_path.empty()) {
        auto& slot = out[last_key_path];
        slot += (slot.empty() ? "" : ",") + v;
      }
      continue;
    }
    const auto colon = body.find(':');
    if (colon == std::string::npos) continue;
    std::string key = trim(body.substr(0, colon));
    std::string value = trim(body.substr(colon + 1));
    while (!stack.empty() && stack.back().first >= indent) stack.pop_back();
    std::string path;
    for (const auto& s : stack) path += s.second + ".";
    path += key;
    if (!value.empty() && value[0] == '&') {  // anchor on a nested list / mapping
      const auto sp = value.find(' ');
      const std::string name = value.substr(1, sp == std::string::npos ? std::string::npos : sp - 1);
      anchors[name] = path;
      value = sp == std::string::npos ? "" : trim(value.substr(sp + 1));
    }
    if (!value.empty() && value[0] == '*') {
      const auto it = anchors.find(value.substr(1));
      if (it != anchors.end() && out.count(it->second)) value = out[it->second];
    }
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front())
      value = value.substr(1, value.size() - 2);
    if (value.empty()) {
      stack.emplace_back(indent, key);
      out[path];  // a mapping or a list that follows
    } else {
      out[path] = value;
    }
    last_key_path = path;
    last_key_indent = indent;
  }
  (void)last_key_indent;
  return out;
}

// The value of the first key ending with `suffix` (dotted), if any.
std::optional<std::string> yaml_get(const FlatYaml& y, const std::string& suffix) {
  for (const auto& kv : y)
    if (kv.first == suffix || ends_with(kv.first, "." + suffix))
      if (!kv.second.empty()) return kv.second;
  return std::nullopt;
}
std::optional<long> yaml_int(const FlatYaml& y, const std::string& suffix) {
  const auto v = yaml_get(y, suffix);
  if (!v) return std::nullopt;
  try {
    return std::stol(*v);
  } catch (...) {
    return std::nullopt;
  }
}

// ---------------------------------------------------------------------------------------------
// Pickle refusal

const char* kPickleWhy =
    "pickle checkpoints are refused because loading them can run arbitrary code. Convert it to "
    "safetensors first, e.g. with the `safetensors` Python package's conversion script "
    "(convert.py), or load it once in Python and save it with diffusers' "
    "save_pretrained(..., safe_serialization=True) / safetensors.torch.save_file.";

}  // namespace

void refuse_pickle(const fs::path& path) {
  const std::string ext = lower(path.extension().string());
  if (ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".bin" || ext == ".pkl" || ext == ".pickle")
    throw Error(path.string() + ": " + kPickleWhy);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return;
  std::ifstream in(path, std::ios::binary);
  unsigned char head[4] = {0, 0, 0, 0};
  in.read(reinterpret_cast<char*>(head), 4);
  const auto n = in.gcount();
  // torch.save writes a zip archive ("PK\3\4"); a raw pickle starts with PROTO (0x80) + 2..5.
  if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
    throw Error(path.string() + " is a zip archive (torch.save format): " + kPickleWhy);
  if (n >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
    throw Error(path.string() + " is a Python pickle: " + kPickleWhy);
}

const char* component_name(Component c) {
  switch (c) {
    case Component::UNet: return "unet";
    case Component::VAE: return "vae";
    case Component::TextEncoder: return "text_encoder";
    case Component::ControlNet: return "controlnet";
    case Component::Tokenizer: return "tokenizer";
    case Component::Scheduler: return "scheduler";
  }
  return "?";
}

const char* format_name(CheckpointFormat f) {
  switch (f) {
    case CheckpointFormat::DiffusersPipeline: return "diffusers pipeline folder";
    case CheckpointFormat::DiffusersComponent: return "diffusers component folder";
    case CheckpointFormat::LdmSingleFile: return "single-file LDM checkpoint";
    case CheckpointFormat::LllyasvielControlNet: return "lllyasviel ControlNet checkpoint";
  }
  return "?";
}

const char* flavour_name(TextEncoderFlavour f) {
  switch (f) {
    case TextEncoderFlavour::None: return "none";
    case TextEncoderFlavour::ClipL: return "CLIP (quick_gelu, last layer; SD1.x)";
    case TextEncoderFlavour::OpenClip: return "OpenCLIP (gelu, penultimate layer; SD2.x)";
  }
  return "?";
}

bool ModelInfo::has(Component c) const {
  return std::any_of(components.begin(), components.end(), [&](const ComponentInfo& i) { return i.component == c; });
}

namespace {

// ---------------------------------------------------------------------------------------------
// LDM UNet / ControlNet <-> diffusers naming, table-driven from the inferred structure.

struct UNetLayout {
  int levels = 0;           // number of resolution levels (len(block_out_channels))
  int layers_per_block = 0;
  std::vector<std::int64_t> channels;
  std::vector<bool> down_attn, up_attn;
  bool mid_attn = true;
  int transformer_depth = 1;
  bool linear_proj = false;
  std::int64_t cross_attention_dim = 0;
  std::int64_t in_channels = 0, out_channels = 0;
};

enum class BlockKind { Resnet, Attention, Plain };

// ldm prefix -> (diffusers prefix, kind)
using PrefixTable = std::map<std::string, std::pair<std::string, BlockKind>>;

UNetLayout infer_unet_layout(const TensorSource& src, const std::string& pre, bool controlnet) {
  UNetLayout l;
  const std::string conv_in = pre + "input_blocks.0.0.weight";
  if (!src.has(conv_in)) throw FormatError(src.origin(), "missing '" + conv_in + "'");
  l.in_channels = src.dim(conv_in, 1);
  if (!controlnet) {
    if (!src.has(pre + "out.2.weight")) throw FormatError(src.origin(), "missing '" + pre + "out.2.weight'");
    l.out_channels = src.dim(pre + "out.2.weight", 0);
  }
  std::set<long> input_idx, op_idx;
  for (const auto& kv : src.entries()) {
    if (!starts_with(kv.first, pre + "input_blocks.")) continue;
    const auto parts = split(kv.first.substr(pre.size()), '.');
    if (parts.size() < 3) continue;
    const auto k = to_index(parts[1]);
    if (!k) continue;
    input_idx.insert(*k);
    if (parts.size() > 3 && parts[3] == "op") op_idx.insert(*k);
  }
  if (op_idx.empty()) {
    l.levels = 1;
    l.layers_per_block = static_cast<int>(*input_idx.rbegin());
  } else {
    l.layers_per_block = static_cast<int>(*op_idx.begin()) - 1;
    l.levels = static_cast<int>(op_idx.size()) + 1;
  }
  if (l.layers_per_block < 1) throw FormatError(src.origin(), "cannot infer layers_per_block from input_blocks");
  const int n = l.layers_per_block;
  int i = 0;
  for (long k : op_idx) {
    if (k != static_cast<long>((i + 1) * (n + 1)))
      throw FormatError(src.origin(), "input_blocks." + std::to_string(k) + " downsampler where layers_per_block " +
                                          std::to_string(n) + " puts none");
    ++i;
  }
  for (int lv = 0; lv < l.levels; ++lv) {
    const std::string r = pre + "input_blocks." + std::to_string(1 + lv * (n + 1)) + ".0.out_layers.3.weight";
    if (!src.has(r)) throw FormatError(src.origin(), "missing '" + r + "'");
    l.channels.push_back(src.dim(r, 0));
    l.down_attn.push_back(src.has(pre + "input_blocks." + std::to_string(1 + lv * (n + 1)) + ".1.proj_in.weight"));
    if (!controlnet)
      l.up_attn.push_back(src.has(pre + "output_blocks." + std::to_string(lv * (n + 1)) + ".1.proj_in.weight"));
  }
  l.mid_attn = src.has(pre + "middle_block.1.proj_in.weight");
  // Transformer depth, projections and context width from the first attention found.
  for (const auto& kv : src.entries()) {
    if (!starts_with(kv.first, pre) || !ends_with(kv.first, ".proj_in.weight")) continue;
    l.linear_proj = src.shape(kv.first).size() == 2;
    const std::string base = kv.first.substr(0, kv.first.size() - std::string("proj_in.weight").size());
    int depth = 0;
    while (src.has(base + "transformer_blocks." + std::to_string(depth) + ".norm1.weight")) ++depth;
    l.transformer_depth = std::max(1, depth);
    const std::string k2 = base + "transformer_blocks.0.attn2.to_k.weight";
    if (src.has(k2)) l.cross_attention_dim = src.dim(k2, 1);
    break;
  }
  return l;
}

PrefixTable unet_prefix_table(const UNetLayout& l, bool controlnet) {
  PrefixTable t;
  const int n = l.layers_per_block;
  t["time_embed.0"] = {"time_embedding.linear_1", BlockKind::Plain};
  t["time_embed.2"] = {"time_embedding.linear_2", BlockKind::Plain};
  t["input_blocks.0.0"] = {"conv_in", BlockKind::Plain};
  for (int lv = 0; lv < l.levels; ++lv) {
    for (int j = 0; j < n; ++j) {
      const std::string k = "input_blocks." + std::to_string(1 + lv * (n + 1) + j);
      const std::string d = "down_blocks." + std::to_string(lv);
      t[k + ".0"] = {d + ".resnets." + std::to_string(j), BlockKind::Resnet};
      if (l.down_attn[lv]) t[k + ".1"] = {d + ".attentions." + std::to_string(j), BlockKind::Attention};
    }
    if (lv + 1 < l.levels)
      t["input_blocks." + std::to_string((lv + 1) * (n + 1)) + ".0.op"] = {
          "down_blocks." + std::to_string(lv) + ".downsamplers.0.conv", BlockKind::Plain};
  }
  t["middle_block.0"] = {"mid_block.resnets.0", BlockKind::Resnet};
  if (l.mid_attn) {
    t["middle_block.1"] = {"mid_block.attentions.0", BlockKind::Attention};
    t["middle_block.2"] = {"mid_block.resnets.1", BlockKind::Resnet};
  } else {
    t["middle_block.1"] = {"mid_block.resnets.1", BlockKind::Resnet};
  }
  if (controlnet) {
    const int n_zero = 1 + l.levels * n + (l.levels - 1);
    for (int z = 0; z < n_zero; ++z)
      t["zero_convs." + std::to_string(z) + ".0"] = {"controlnet_down_blocks." + std::to_string(z), BlockKind::Plain};
    t["middle_block_out.0"] = {"controlnet_mid_block", BlockKind::Plain};
    return t;
  }
  for (int lv = 0; lv < l.levels; ++lv) {  // up level lv mirrors down level levels-1-lv
    const std::string u = "up_blocks." + std::to_string(lv);
    for (int j = 0; j <= n; ++j) {
      const std::string k = "output_blocks." + std::to_string(lv * (n + 1) + j);
      t[k + ".0"] = {u + ".resnets." + std::to_string(j), BlockKind::Resnet};
      if (l.up_attn[lv]) t[k + ".1"] = {u + ".attentions." + std::to_string(j), BlockKind::Attention};
    }
    if (lv + 1 < l.levels) {
      const std::string k = "output_blocks." + std::to_string(lv * (n + 1) + n) + (l.up_attn[lv] ? ".2" : ".1");
      t[k] = {u + ".upsamplers.0", BlockKind::Plain};
    }
  }
  t["out.0"] = {"conv_norm_out", BlockKind::Plain};
  t["out.2"] = {"conv_out", BlockKind::Plain};
  return t;
}

std::string rename_resnet_leaf(const std::string& rest) {
  static const std::pair<const char*, const char*> kMap[] = {
      {"in_layers.0.", "norm1."},         {"in_layers.2.", "conv1."},   {"emb_layers.1.", "time_emb_proj."},
      {"out_layers.0.", "norm2."},        {"out_layers.3.", "conv2."},  {"skip_connection.", "conv_shortcut."},
  };
  for (const auto& m : kMap)
    if (starts_with(rest, m.first)) return m.second + rest.substr(std::strlen(m.first));
  return {};
}

// Converts LDM-named UNet / ControlNet tensors (under `pre`) to diffusers names.
StateDict convert_ldm_unet(const TensorSource& src, const std::string& pre, const UNetLayout& l, bool controlnet,
                           torch::ScalarType dtype) {
  const PrefixTable table = unet_prefix_table(l, controlnet);
  StateDict out;
  std::vector<std::string> unexpected;
  std::set<std::string> used_prefixes;
  // ControlNet hint encoder: input_hint_block.{0,2,...,last} -> conv_in, blocks.N, conv_out.
  long last_hint = -1;
  if (controlnet)
    for (const auto& kv : src.entries())
      if (starts_with(kv.first, pre + "input_hint_block.")) {
        const auto parts = split(kv.first.substr(pre.size()), '.');
        if (const auto k = to_index(parts[1])) last_hint = std::max(last_hint, *k);
      }
  for (const auto& kv : src.entries()) {
    const std::string& name = kv.first;
    if (!starts_with(name, pre)) continue;
    const std::string key = name.substr(pre.size());
    std::string mapped;
    if (controlnet && starts_with(key, "input_hint_block.")) {
      const auto parts = split(key, '.');
      const auto k = parts.size() == 3 ? to_index(parts[1]) : std::nullopt;
      if (k && *k % 2 == 0) {
        const std::string leaf = parts[2];
        if (*k == 0)
          mapped = "controlnet_cond_embedding.conv_in." + leaf;
        else if (*k == last_hint)
          mapped = "controlnet_cond_embedding.conv_out." + leaf;
        else
          mapped = "controlnet_cond_embedding.blocks." + std::to_string(*k / 2 - 1) + "." + leaf;
      }
    } else {
      // Longest table prefix that matches at a '.' boundary.
      const auto parts = split(key, '.');
      std::string prefix;
      for (std::size_t np = std::min<std::size_t>(parts.size() - 1, 4); np >= 1 && mapped.empty(); --np) {
        prefix.clear();
        for (std::size_t i = 0; i < np; ++i) prefix += (i ? "." : "") + parts[i];
        const auto it = table.find(prefix);
        if (it == table.end()) continue;
        const std::string rest = key.substr(prefix.size() + 1);
        switch (it->second.second) {
          case BlockKind::Plain: {
            // LDM up/downsamplers are "op" / "conv" + leaf; diffusers puts them under ".conv".
            std::string r = rest;
            if (ends_with(it->second.first, "upsamplers.0")) {
              if (!starts_with(r, "conv.")) break;
            }
            mapped = it->second.first + "." + r;
            break;
          }
          case BlockKind::Resnet: {
            const auto r = rename_resnet_leaf(rest);
            if (!r.empty()) mapped = it->second.first + "." + r;
            break;
          }
          case BlockKind::Attention:
            mapped = it->second.first + "." + rest;
            break;
        }
      }
    }
    if (mapped.empty()) {
      unexpected.push_back(name);
      continue;
    }
    out[mapped] = src.load(name, dtype);
  }
  if (!unexpected.empty()) {
    std::ostringstream ss;
    ss << unexpected.size() << " tensors do not fit the inferred " << (controlnet ? "ControlNet" : "UNet")
       << " layout (layers_per_block " << l.layers_per_block << ", " << l.levels << " levels):";
    for (std::size_t i = 0; i < unexpected.size() && i < 8; ++i) ss << " " << unexpected[i];
    if (unexpected.size() > 8) ss << " ...";
    throw FormatError(src.origin(), ss.str());
  }
  return out;
}

// Heads per level: the yaml's num_heads / num_head_channels, else the SD defaults.
nlohmann::json unet_head_config(const UNetLayout& l, const FlatYaml& y, const std::string& params_prefix,
                                bool sd2_like, std::string& notes) {
  const auto heads = yaml_int(y, params_prefix + "num_heads");
  const auto head_ch = yaml_int(y, params_prefix + "num_head_channels");
  if (heads && *heads > 0) {
    notes += "heads: yaml num_heads " + std::to_string(*heads) + "; ";
    return *heads;
  }
  long width = 0;
  if (head_ch && *head_ch > 0) {
    width = *head_ch;
    notes += "heads: yaml num_head_channels " + std::to_string(width) + "; ";
  } else if (sd2_like) {
    width = 64;
    notes += "heads: SD2 default head width 64 (no yaml); ";
  } else {
    notes += "heads: SD1 default 8 heads (no yaml); ";
    return 8;
  }
  nlohmann::json list = nlohmann::json::array();
  for (auto c : l.channels) list.push_back(std::max<std::int64_t>(1, c / width));
  return list;
}

nlohmann::json unet_config_from_layout(const UNetLayout& l, nlohmann::json head_dim, bool upcast,
                                       std::int64_t sample_size, std::int64_t time_embed_dim) {
  nlohmann::json c;
  c["_class_name"] = "UNet2DConditionModel";
  c["act_fn"] = "silu";
  c["attention_head_dim"] = head_dim;
  c["block_out_channels"] = l.channels;
  c["center_input_sample"] = false;
  c["class_embed_type"] = nullptr;
  c["conv_in_kernel"] = 3;
  c["conv_out_kernel"] = 3;
  c["cross_attention_dim"] = l.cross_attention_dim;
  nlohmann::json down = nlohmann::json::array(), up = nlohmann::json::array();
  for (int i = 0; i < l.levels; ++i) down.push_back(l.down_attn[i] ? "CrossAttnDownBlock2D" : "DownBlock2D");
  for (int i = 0; i < static_cast<int>(l.up_attn.size()); ++i)
    up.push_back(l.up_attn[i] ? "CrossAttnUpBlock2D" : "UpBlock2D");
  c["down_block_types"] = down;
  if (!l.up_attn.empty()) c["up_block_types"] = up;
  c["downsample_padding"] = 1;
  c["dual_cross_attention"] = false;
  c["flip_sin_to_cos"] = true;
  c["freq_shift"] = 0;
  c["in_channels"] = l.in_channels;
  if (l.out_channels) c["out_channels"] = l.out_channels;
  c["layers_per_block"] = l.layers_per_block;
  c["mid_block_scale_factor"] = 1;
  c["mid_block_type"] = l.mid_attn ? "UNetMidBlock2DCrossAttn" : "UNetMidBlock2D";
  c["norm_eps"] = 1e-5;
  c["norm_num_groups"] = 32;
  c["num_attention_heads"] = nullptr;
  c["num_class_embeds"] = nullptr;
  c["only_cross_attention"] = false;
  c["resnet_time_scale_shift"] = "default";
  c["sample_size"] = sample_size;
  c["time_embedding_dim"] = time_embed_dim == 4 * l.channels.front() ? nlohmann::json(nullptr) : nlohmann::json(time_embed_dim);
  c["transformer_layers_per_block"] = l.transformer_depth;
  c["upcast_attention"] = upcast;
  c["use_linear_projection"] = l.linear_proj;
  return c;
}

// ---------------------------------------------------------------------------------------------
// LDM VAE (first_stage_model.*) -> diffusers AutoencoderKL

struct VaeLayout {
  int levels = 0, layers_per_block = 0;
  std::vector<std::int64_t> channels;
  std::int64_t in_channels = 3, out_channels = 3, latent_channels = 4;
};

VaeLayout infer_vae_layout(const TensorSource& src, const std::string& pre) {
  VaeLayout v;
  while (src.has(pre + "encoder.down." + std::to_string(v.levels) + ".block.0.conv1.weight")) {
    v.channels.push_back(src.dim(pre + "encoder.down." + std::to_string(v.levels) + ".block.0.conv1.weight", 0));
    ++v.levels;
  }
  if (v.levels == 0) throw FormatError(src.origin(), "no '" + pre + "encoder.down.0.block.0' tensors");
  while (src.has(pre + "encoder.down.0.block." + std::to_string(v.layers_per_block) + ".conv1.weight"))
    ++v.layers_per_block;
  v.in_channels = src.dim(pre + "encoder.conv_in.weight", 1);
  v.out_channels = src.dim(pre + "decoder.conv_out.weight", 0);
  v.latent_channels = src.dim(pre + "post_quant_conv.weight", 0);
  return v;
}

StateDict convert_ldm_vae(const TensorSource& src, const std::string& pre, const VaeLayout& v,
                          torch::ScalarType dtype) {
  StateDict out;
  std::vector<std::string> unexpected;
  for (const auto& kv : src.entries()) {
    const std::string& name = kv.first;
    if (!starts_with(name, pre)) continue;
    const auto parts = split(name.substr(pre.size()), '.');
    std::string mapped;
    bool squeeze = false;
    const auto join_from = [&](std::size_t i) {
      std::string s;
      for (std::size_t k = i; k < parts.size(); ++k) s += (s.empty() ? "" : ".") + parts[k];
      return s;
    };
    const std::string& part0 = parts[0];
    if ((part0 == "quant_conv" || part0 == "post_quant_conv") && parts.size() == 2) {
      mapped = join_from(0);
    } else if ((part0 == "encoder" || part0 == "decoder") && parts.size() >= 3) {
      const bool enc = part0 == "encoder";
      const std::string& p1 = parts[1];
      if ((p1 == "conv_in" || p1 == "conv_out") && parts.size() == 3) {
        mapped = part0 + "." + p1 + "." + parts[2];
      } else if (p1 == "norm_out" && parts.size() == 3) {
        mapped = part0 + ".conv_norm_out." + parts[2];
      } else if ((p1 == "down" && enc) || (p1 == "up" && !enc)) {
        const auto lv = to_index(parts[2]);
        if (lv && *lv < v.levels && parts.size() >= 5) {
          const long dlv = enc ? *lv : v.levels - 1 - *lv;
          const std::string blk = part0 + (enc ? ".down_blocks." : ".up_blocks.") + std::to_string(dlv);
          if (parts[3] == "block" && parts.size() == 7) {
            const std::string leaf = parts[5] == "nin_shortcut" ? "conv_shortcut" : parts[5];
            mapped = blk + ".resnets." + parts[4] + "." + leaf + "." + parts[6];
          } else if ((parts[3] == "downsample" || parts[3] == "upsample") && parts.size() == 6 && parts[4] == "conv") {
            mapped = blk + (enc ? ".downsamplers.0.conv." : ".upsamplers.0.conv.") + parts[5];
          }
        }
      } else if (p1 == "mid" && parts.size() == 5) {
        if (parts[2] == "block_1" || parts[2] == "block_2") {
          const std::string leaf = parts[3] == "nin_shortcut" ? "conv_shortcut" : parts[3];
          mapped = part0 + ".mid_block.resnets." + (parts[2] == "block_1" ? "0" : "1") + "." + leaf + "." + parts[4];
        } else if (parts[2] == "attn_1") {
          static const std::map<std::string, std::string> kAttn = {
              {"norm", "group_norm"}, {"q", "to_q"}, {"k", "to_k"}, {"v", "to_v"}, {"proj_out", "to_out.0"}};
          const auto it = kAttn.find(parts[3]);
          if (it != kAttn.end()) {
            mapped = part0 + ".mid_block.attentions.0." + it->second + "." + parts[4];
            squeeze = parts[3] != "norm" && parts[4] == "weight";
          }
        }
      }
    }
    if (mapped.empty()) {
      unexpected.push_back(name);
      continue;
    }
    auto t = src.load(name, dtype);
    // LDM stores the mid-block attention projections as 1x1 convs; diffusers uses Linear.
    if (squeeze && t.dim() == 4) t = t.reshape({t.size(0), t.size(1)});
    out[mapped] = t;
  }
  if (!unexpected.empty()) {
    std::ostringstream ss;
    ss << unexpected.size() << " VAE tensors have no diffusers name:";
    for (std::size_t i = 0; i < unexpected.size() && i < 8; ++i) ss << " " << unexpected[i];
    throw FormatError(src.origin(), ss.str());
  }
  return out;
}

nlohmann::json vae_config(const VaeLayout& v, const FlatYaml& y) {
  nlohmann::json c;
  c["_class_name"] = "AutoencoderKL";
  c["act_fn"] = "silu";
  c["block_out_channels"] = v.channels;
  c["down_block_types"] = std::vector<std::string>(v.levels, "DownEncoderBlock2D");
  c["up_block_types"] = std::vector<std::string>(v.levels, "UpDecoderBlock2D");
  c["in_channels"] = v.in_channels;
  c["out_channels"] = v.out_channels;
  c["latent_channels"] = v.latent_channels;
  c["layers_per_block"] = v.layers_per_block;
  c["norm_num_groups"] = 32;
  c["sample_size"] = yaml_int(y, "ddconfig.resolution").value_or(512);
  double scale = 0.18215;  // SD1/SD2 default
  if (const auto s = yaml_get(y, "model.params.scale_factor")) try {
      scale = std::stod(*s);
    } catch (...) {
    }
  c["scaling_factor"] = scale;
  c["force_upcast"] = true;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Text encoders

nlohmann::json clip_text_config(std::int64_t vocab, std::int64_t hidden, std::int64_t inner, std::int64_t layers,
                                std::int64_t heads, std::int64_t positions, const std::string& act) {
  nlohmann::json c;
  c["architectures"] = {"CLIPTextModel"};
  c["model_type"] = "clip_text_model";
  c["vocab_size"] = vocab;
  c["hidden_size"] = hidden;
  c["intermediate_size"] = inner;
  c["num_hidden_layers"] = layers;
  c["num_attention_heads"] = heads;
  c["max_position_embeddings"] = positions;
  c["hidden_act"] = act;
  c["layer_norm_eps"] = 1e-5;
  c["bos_token_id"] = 0;
  c["eos_token_id"] = 2;
  c["pad_token_id"] = 1;
  c["projection_dim"] = hidden;
  return c;
}

// FrozenCLIPEmbedder's "version" may name a transformers CLIPTextModel folder; its config.json
// then gives what shapes cannot (heads, activation). Tried relative to the yaml's folder and its
// parents, with and without the leading "../" parts.
std::optional<nlohmann::json> yaml_text_folder_config(const FlatYaml& y, const fs::path& yaml_dir) {
  const auto v = yaml_get(y, "cond_stage_config.params.version");
  if (!v) return std::nullopt;
  std::string dir = *v;
  const auto sp = dir.find(' ');
  if (sp != std::string::npos) dir = dir.substr(0, sp);
  std::string stripped = dir;
  while (starts_with(stripped, "../")) stripped = stripped.substr(3);
  for (const fs::path& base : {yaml_dir, yaml_dir.parent_path(), yaml_dir.parent_path().parent_path()})
    for (const std::string& rel : {dir, stripped}) {
      const fs::path cfg = base / rel / "config.json";
      std::error_code ec;
      if (fs::is_regular_file(cfg, ec)) {
        auto j = read_json_file(cfg);
        if (j.is_object()) return j;
      }
    }
  return std::nullopt;
}

// Heads of a CLIP text model with `hidden` width: the yaml (OpenCLIP arch "heads", or the HF
// folder named by FrozenCLIPEmbedder's "version"), else CLIP/OpenCLIP's head width 64.
std::int64_t text_heads(std::int64_t hidden, const FlatYaml& y, const fs::path& yaml_dir, std::string& notes) {
  for (const auto& kv : y) {
    if (ends_with(kv.first, ".heads") && kv.first.find("cond_stage_config") != std::string::npos) {
      try {
        const long h = std::stol(kv.second);
        notes += "text heads: yaml; ";
        return h;
      } catch (...) {
      }
    }
  }
  if (const auto j = yaml_text_folder_config(y, yaml_dir))
    if (j->contains("num_attention_heads") && (*j)["num_attention_heads"].is_number_integer()) {
      notes += "text heads: yaml version folder config; ";
      return (*j)["num_attention_heads"].get<std::int64_t>();
    }
  notes += "text heads: CLIP default head width 64; ";
  return std::max<std::int64_t>(1, hidden / 64);
}

// ---------------------------------------------------------------------------------------------
// Single-file checkpoints

struct SingleFile {
  fs::path path;
  TensorSource src;
  FlatYaml yaml;
  bool has_yaml = false;
  CheckpointFormat format = CheckpointFormat::LdmSingleFile;
  std::string unet_prefix;  // "model.diffusion_model." / "control_model." / ""
  bool has_unet = false, has_vae = false, has_controlnet = false;
  TextEncoderFlavour text = TextEncoderFlavour::None;
  std::string text_prefix;
};

SingleFile open_single_file(const fs::path& path) {
  refuse_pickle(path);
  SingleFile f;
  f.path = path;
  f.src.add_file(SafetensorsFile::open(path));
  for (const auto& yaml_path : {fs::path(path).replace_extension(".yaml"), fs::path(path).replace_extension(".yml")}) {
    std::error_code ec;
    if (fs::exists(yaml_path, ec)) {
      f.yaml = parse_yaml_subset(yaml_path);
      f.has_yaml = true;
      break;
    }
  }
  if (!f.has_yaml) {
    // lllyasviel ControlNets ship one shared yaml beside several checkpoints; accept a lone one.
    std::error_code ec;
    std::vector<fs::path> yamls;
    for (const auto& e : fs::directory_iterator(path.parent_path(), ec))
      if (e.path().extension() == ".yaml") yamls.push_back(e.path());
    if (f.src.has("input_hint_block.0.weight") || f.src.has("control_model.input_hint_block.0.weight"))
      for (const auto& yp : yamls) {
        const auto y = parse_yaml_subset(yp);
        if (yaml_get(y, "control_stage_config.target")) {
          f.yaml = y;
          f.has_yaml = true;
          break;
        }
      }
  }
  if (f.src.has("model.diffusion_model.input_blocks.0.0.weight")) {
    f.unet_prefix = "model.diffusion_model.";
    f.has_unet = true;
    if (f.src.has("control_model.input_hint_block.0.weight")) f.has_controlnet = true;
  } else if (f.src.has("control_model.input_hint_block.0.weight")) {
    f.format = CheckpointFormat::LllyasvielControlNet;
    f.unet_prefix = "control_model.";
    f.has_controlnet = true;
  } else if (f.src.has("input_hint_block.0.weight")) {
    f.format = CheckpointFormat::LllyasvielControlNet;
    f.unet_prefix = "";
    f.has_controlnet = true;
  } else {
    throw FormatError(path.string(),
                      "not a recognised checkpoint: no 'model.diffusion_model.*' (LDM Stable Diffusion) and no "
                      "'input_hint_block.*' (lllyasviel ControlNet) tensors. A diffusers component needs its "
                      "folder with config.json.");
  }
  f.has_vae = f.src.has("first_stage_model.encoder.conv_in.weight");
  if (f.src.has("cond_stage_model.model.token_embedding.weight")) {
    f.text = TextEncoderFlavour::OpenClip;
    f.text_prefix = "cond_stage_model.model.";
  } else if (f.src.has("cond_stage_model.transformer.text_model.embeddings.token_embedding.weight")) {
    f.text = TextEncoderFlavour::ClipL;
    f.text_prefix = "cond_stage_model.transformer.text_model.";
  } else if (f.src.has("cond_stage_model.transformer.embeddings.token_embedding.weight")) {
    f.text = TextEncoderFlavour::ClipL;
    f.text_prefix = "cond_stage_model.transformer.";
  }
  return f;
}

bool single_file_sd2_like(const SingleFile& f, const UNetLayout& l) {
  if (f.text != TextEncoderFlavour::None) return f.text == TextEncoderFlavour::OpenClip;
  if (f.has_yaml) {
    if (const auto t = yaml_get(f.yaml, "cond_stage_config.target"))
      return t->find("OpenCLIP") != std::string::npos;
  }
  return l.linear_proj;
}

std::string single_file_prediction(const SingleFile& f) {
  if (const auto p = yaml_get(f.yaml, "model.params.parameterization")) return *p == "v" ? "v_prediction" : "epsilon";
  return "epsilon";  // LDM's default parameterization
}

ComponentWeights single_file_unet(const SingleFile& f, bool controlnet, torch::ScalarType dtype, std::string& notes) {
  const std::string pre = controlnet ? (f.format == CheckpointFormat::LdmSingleFile ? "control_model." : f.unet_prefix)
                                     : f.unet_prefix;
  const UNetLayout l = infer_unet_layout(f.src, pre, controlnet);
  const bool sd2 = single_file_sd2_like(f, l);
  const std::string params = controlnet ? "control_stage_config.params." : "unet_config.params.";
  ComponentWeights w;
  nlohmann::json heads = unet_head_config(l, f.yaml, params, sd2, notes);
  const std::int64_t sample = yaml_int(f.yaml, params + "image_size").value_or(64);
  const std::int64_t temb = f.src.dim(pre + "time_embed.0.weight", 0);
  w.config = unet_config_from_layout(l, heads, sd2, sample, temb);
  if (controlnet) {
    w.config["_class_name"] = "ControlNetModel";
    w.config.erase("out_channels");
    w.config.erase("up_block_types");
    w.config.erase("conv_out_kernel");
    w.config.erase("conv_in_kernel");
    w.config["conditioning_channels"] = f.src.dim(pre + "input_hint_block.0.weight", 1);
    // Hint encoder widths: conv_in's output, then every second conv's output (diffusers'
    // blocks[2i+1] changes width), excluding conv_out.
    std::vector<std::int64_t> widths;
    long last = 0;
    while (f.src.has(pre + "input_hint_block." + std::to_string(last + 2) + ".weight")) last += 2;
    widths.push_back(f.src.dim(pre + "input_hint_block.0.weight", 0));
    for (long k = 4; k < last; k += 4) widths.push_back(f.src.dim(pre + "input_hint_block." + std::to_string(k) + ".weight", 0));
    w.config["conditioning_embedding_out_channels"] = widths;
    w.config["controlnet_conditioning_channel_order"] = "rgb";
    w.config["global_pool_conditions"] = false;
  }
  w.tensors = convert_ldm_unet(f.src, pre, l, controlnet, dtype);
  w.origin = f.path.string() + " (" + (controlnet ? "lllyasviel ControlNet" : "LDM UNet") + " naming)";
  return w;
}

ComponentWeights single_file_vae(const SingleFile& f, torch::ScalarType dtype) {
  const std::string pre = "first_stage_model.";
  const VaeLayout v = infer_vae_layout(f.src, pre);
  ComponentWeights w;
  w.config = vae_config(v, f.yaml);
  w.tensors = convert_ldm_vae(f.src, pre, v, dtype);
  w.origin = f.path.string() + " (LDM VAE naming)";
  return w;
}

ComponentWeights single_file_text(const SingleFile& f, torch::ScalarType dtype, std::string& notes) {
  ComponentWeights w;
  const std::string& pre = f.text_prefix;
  const fs::path yaml_dir = f.path.parent_path();
  if (f.text == TextEncoderFlavour::ClipL) {
    std::vector<std::string> unexpected;
    std::int64_t layers = 0;
    for (const auto& kv : f.src.entries()) {
      if (!starts_with(kv.first, pre)) continue;
      const std::string rest = kv.first.substr(pre.size());
      if (rest == "embeddings.position_ids") continue;  // buffer, recomputed
      if (!starts_with(rest, "embeddings.") && !starts_with(rest, "encoder.layers.") &&
          !starts_with(rest, "final_layer_norm.")) {
        unexpected.push_back(kv.first);
        continue;
      }
      w.tensors["text_model." + rest] = f.src.load(kv.first, dtype);
    }
    for (const auto& kv : f.src.entries()) {
      if (!starts_with(kv.first, "cond_stage_model.") || starts_with(kv.first, pre)) continue;
      unexpected.push_back(kv.first);
    }
    if (!unexpected.empty())
      throw FormatError(f.path.string(), "unexpected text encoder tensor '" + unexpected.front() + "'");
    while (f.src.has(pre + "encoder.layers." + std::to_string(layers) + ".mlp.fc1.weight")) ++layers;
    const auto& emb = f.src.shape(pre + "embeddings.token_embedding.weight");
    const std::int64_t hidden = emb.at(1);
    w.config = clip_text_config(emb.at(0), hidden, f.src.dim(pre + "encoder.layers.0.mlp.fc1.weight", 0), layers,
                                text_heads(hidden, f.yaml, yaml_dir, notes),
                                f.src.dim(pre + "embeddings.position_embedding.weight", 0), "quick_gelu");
    if (const auto j = yaml_text_folder_config(f.yaml, yaml_dir))
      for (const char* key : {"hidden_act", "layer_norm_eps", "eos_token_id", "bos_token_id", "pad_token_id"})
        if (j->contains(key)) w.config[key] = (*j)[key];
    w.origin = f.path.string() + " (CLIP text encoder)";
    return w;
  }
  // OpenCLIP -> transformers names; the fused in_proj is split into q, k, v.
  std::int64_t layers = 0;
  while (f.src.has(pre + "transformer.resblocks." + std::to_string(layers) + ".ln_1.weight")) ++layers;
  const auto& emb = f.src.shape(pre + "token_embedding.weight");
  const std::int64_t hidden = emb.at(1);
  std::vector<std::string> unexpected;
  for (const auto& kv : f.src.entries()) {
    if (!starts_with(kv.first, "cond_stage_model.")) continue;
    if (!starts_with(kv.first, pre)) {
      unexpected.push_back(kv.first);
      continue;
    }
    const std::string rest = kv.first.substr(pre.size());
    // Not part of CLIPTextModel (SD2 conditions on token features, not the projected pooled one).
    if (rest == "text_projection" || rest == "logit_scale" || rest == "attn_mask") continue;
    if (rest == "token_embedding.weight") {
      w.tensors["text_model.embeddings.token_embedding.weight"] = f.src.load(kv.first, dtype);
    } else if (rest == "positional_embedding") {
      w.tensors["text_model.embeddings.position_embedding.weight"] = f.src.load(kv.first, dtype);
    } else if (starts_with(rest, "ln_final.")) {
      w.tensors["text_model.final_layer_norm." + rest.substr(9)] = f.src.load(kv.first, dtype);
    } else if (starts_with(rest, "transformer.resblocks.")) {
      const auto parts = split(rest, '.');
      if (parts.size() < 5) {
        unexpected.push_back(kv.first);
        continue;
      }
      const std::string base = "text_model.encoder.layers." + parts[2] + ".";
      const std::string sub = rest.substr(std::string("transformer.resblocks.").size() + parts[2].size() + 1);
      static const std::map<std::string, std::string> kMap = {
          {"ln_1.weight", "layer_norm1.weight"},         {"ln_1.bias", "layer_norm1.bias"},
          {"ln_2.weight", "layer_norm2.weight"},         {"ln_2.bias", "layer_norm2.bias"},
          {"mlp.c_fc.weight", "mlp.fc1.weight"},         {"mlp.c_fc.bias", "mlp.fc1.bias"},
          {"mlp.c_proj.weight", "mlp.fc2.weight"},       {"mlp.c_proj.bias", "mlp.fc2.bias"},
          {"attn.out_proj.weight", "self_attn.out_proj.weight"}, {"attn.out_proj.bias", "self_attn.out_proj.bias"},
      };
      const auto it = kMap.find(sub);
      if (it != kMap.end()) {
        w.tensors[base + it->second] = f.src.load(kv.first, dtype);
      } else if (sub == "attn.in_proj_weight" || sub == "attn.in_proj_bias") {
        const auto t = f.src.load(kv.first, dtype);
        if (t.size(0) != 3 * hidden)
          throw FormatError(f.path.string(), "'" + kv.first + "' has " + std::to_string(t.size(0)) +
                                                 " rows, expected 3 x " + std::to_string(hidden));
        const auto qkv = t.chunk(3, 0);
        const std::string leaf = sub == "attn.in_proj_weight" ? "weight" : "bias";
        w.tensors[base + "self_attn.q_proj." + leaf] = qkv[0].contiguous();
        w.tensors[base + "self_attn.k_proj." + leaf] = qkv[1].contiguous();
        w.tensors[base + "self_attn.v_proj." + leaf] = qkv[2].contiguous();
      } else {
        unexpected.push_back(kv.first);
      }
    } else {
      unexpected.push_back(kv.first);
    }
  }
  if (!unexpected.empty())
    throw FormatError(f.path.string(), "unexpected text encoder tensor '" + unexpected.front() + "'");
  w.config = clip_text_config(emb.at(0), hidden, f.src.dim(pre + "transformer.resblocks.0.mlp.c_fc.weight", 0),
                              layers, text_heads(hidden, f.yaml, yaml_dir, notes),
                              f.src.dim(pre + "positional_embedding", 0), "gelu");
  w.origin = f.path.string() + " (OpenCLIP text encoder)";
  return w;
}

// ---------------------------------------------------------------------------------------------
// diffusers folders

Component component_of_folder(const fs::path& dir) {
  if (fs::exists(dir / "scheduler_config.json")) return Component::Scheduler;
  if (fs::exists(dir / "vocab.json")) return Component::Tokenizer;
  if (!fs::exists(dir / "config.json")) {
    // Say what a model folder holds, and point at a checkpoint sitting in this one.
    std::string hint;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
      if (lower(it->path().extension().string()) == ".safetensors") {
        hint = " It holds " + it->path().filename().string() +
               ": give that file itself, or the folder as --models DIR to have it scanned.";
        break;
      }
    throw NotFoundError(dir.string() +
                        " is not a model folder (it has no model_index.json and no config.json). "
                        "A model folder is a diffusers pipeline (model_index.json with unet/, vae/, "
                        "text_encoder/, tokenizer/ and scheduler/ folders) or one diffusers "
                        "component (config.json beside diffusion_pytorch_model.safetensors or "
                        "model.safetensors); a single-file checkpoint (A1111 / ComfyUI) is one "
                        ".safetensors file." +
                        hint);
  }
  const auto cfg = read_json_file(dir / "config.json");
  const std::string cls = cfg.value("_class_name", std::string());
  if (cls == "UNet2DConditionModel") return Component::UNet;
  if (cls == "AutoencoderKL") return Component::VAE;
  if (cls == "ControlNetModel") return Component::ControlNet;
  if (cfg.value("model_type", std::string()) == "clip_text_model") return Component::TextEncoder;
  if (cfg.contains("architectures") && cfg["architectures"].is_array())
    for (const auto& a : cfg["architectures"])
      if (a.is_string() && a.get<std::string>().rfind("CLIPTextModel", 0) == 0) return Component::TextEncoder;
  throw FormatError((dir / "config.json").string(), "unsupported model class '" + cls + "'");
}

TensorSource folder_weights(const fs::path& dir) {
  TensorSource src;
  for (const char* name : {"diffusion_pytorch_model.safetensors", "model.safetensors",
                           "diffusion_pytorch_model.fp16.safetensors", "model.fp16.safetensors"}) {
    if (fs::exists(dir / name)) {
      src.add_file(SafetensorsFile::open(dir / name));
      return src;
    }
  }
  for (const char* name : {"diffusion_pytorch_model.safetensors.index.json", "model.safetensors.index.json"}) {
    const fs::path idx = dir / name;
    if (!fs::exists(idx)) continue;
    const auto j = read_json_file(idx);
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      throw FormatError(idx.string(), "no 'weight_map' object");
    std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string()) throw FormatError(idx.string(), "weight_map['" + it.key() + "'] is not a string");
      const std::string shard = it.value().get<std::string>();
      if (shard.find('/') != std::string::npos || shard.find("..") != std::string::npos)
        throw FormatError(idx.string(), "shard name '" + shard + "' leaves the folder");
      if (!shards.count(shard)) shards[shard] = SafetensorsFile::open(dir / shard);
      if (!shards[shard]->contains(it.key()))
        throw FormatError((dir / shard).string(), "index names tensor '" + it.key() + "' that is not in the shard");
    }
    for (const auto& s : shards) src.add_file(s.second);
    return src;
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string ext = lower(e.path().extension().string());
    if (ext == ".bin" || ext == ".ckpt" || ext == ".pt" || ext == ".pth") refuse_pickle(e.path());
  }
  throw NotFoundError(dir.string() + " has no safetensors weights (diffusion_pytorch_model.safetensors / "
                      "model.safetensors / *.safetensors.index.json)");
}

ComponentWeights load_folder_component(const fs::path& dir, torch::ScalarType dtype) {
  ComponentWeights w;
  w.config = read_json_file(dir / "config.json");
  const TensorSource src = folder_weights(dir);
  for (const auto& kv : src.entries()) {
    // transformers' position_ids is a buffer our modules recompute.
    if (ends_with(kv.first, "embeddings.position_ids")) continue;
    w.tensors[kv.first] = src.load(kv.first, dtype);
  }
  w.origin = dir.string();
  return w;
}

std::int64_t count_params(const TensorSource& src, const std::string& prefix = "") {
  std::int64_t n = 0;
  for (const auto& kv : src.entries()) {
    if (!starts_with(kv.first, prefix)) continue;
    std::int64_t e = 1;
    for (auto d : src.shape(kv.first)) e *= d;
    n += e;
  }
  return n;
}

std::string dtypes_of(const TensorSource& src, const std::string& prefix = "") {
  std::set<std::string> ds;
  for (const auto& kv : src.entries())
    if (starts_with(kv.first, prefix)) ds.insert(st_dtype_name(src.info(kv.first).dtype));
  std::string s;
  for (const auto& d : ds) s += (s.empty() ? "" : "/") + d;
  return ds.size() > 1 ? "mixed " + s : s;
}

TextEncoderFlavour flavour_of_config(const nlohmann::json& cfg) {
  return cfg.value("hidden_act", std::string("quick_gelu")) == "gelu" ? TextEncoderFlavour::OpenClip
                                                                       : TextEncoderFlavour::ClipL;
}

ComponentInfo folder_component_info(const fs::path& dir, Component c) {
  ComponentInfo ci;
  ci.component = c;
  if (c == Component::Scheduler) {
    ci.config = read_json_file(dir / "scheduler_config.json");
    return ci;
  }
  if (c == Component::Tokenizer) return ci;
  ci.config = read_json_file(dir / "config.json");
  const TensorSource src = folder_weights(dir);
  ci.parameter_count = count_params(src);
  ci.dtype = dtypes_of(src);
  return ci;
}

void fill_from_components(ModelInfo& info) {
  for (const auto& c : info.components) {
    if (c.component == Component::UNet || c.component == Component::ControlNet) {
      if (c.config.contains("in_channels") && c.config["in_channels"].is_number_integer() && info.in_channels == 0)
        info.in_channels = c.config["in_channels"].get<int>();
    }
    if (c.component == Component::TextEncoder) info.text_encoder = flavour_of_config(c.config);
    if (c.component == Component::Scheduler && c.config.contains("prediction_type") &&
        c.config["prediction_type"].is_string())
      info.prediction_type = c.config["prediction_type"].get<std::string>();
  }
}

std::string version_of(TextEncoderFlavour t, bool linear_proj) {
  if (t == TextEncoderFlavour::ClipL) return "SD 1.x";
  if (t == TextEncoderFlavour::OpenClip) return "SD 2.x";
  return linear_proj ? "SD 2.x" : "SD 1.x";
}

ModelInfo inspect_folder(const fs::path& dir) {
  ModelInfo info;
  info.path = dir;
  if (fs::exists(dir / "model_index.json")) {
    info.format = CheckpointFormat::DiffusersPipeline;
    info.kind = "pipeline";
    const auto idx = read_json_file(dir / "model_index.json");
    const std::pair<const char*, Component> kParts[] = {
        {"unet", Component::UNet},           {"vae", Component::VAE},
        {"text_encoder", Component::TextEncoder}, {"controlnet", Component::ControlNet},
        {"tokenizer", Component::Tokenizer}, {"scheduler", Component::Scheduler}};
    for (const auto& [name, comp] : kParts) {
      const fs::path sub = dir / name;
      if (!fs::is_directory(sub)) continue;
      info.components.push_back(folder_component_info(sub, comp));
      if (comp == Component::Tokenizer) info.tokenizer_dir = sub;
      if (comp == Component::Scheduler) info.scheduler_config = sub / "scheduler_config.json";
    }
    fill_from_components(info);
    bool linear = false;
    for (const auto& c : info.components)
      if (c.component == Component::UNet) linear = c.config.value("use_linear_projection", false);
    info.version = version_of(info.text_encoder, linear);
    if (info.in_channels == 8) info.kind = "ip2p";
    else if (info.has(Component::UNet)) info.kind = info.version == "SD 2.x" ? "sd2" : "sd1";
    if (info.has(Component::ControlNet) && !info.has(Component::UNet)) info.kind = "controlnet";
    return info;
  }
  info.format = CheckpointFormat::DiffusersComponent;
  const Component c = component_of_folder(dir);
  info.components.push_back(folder_component_info(dir, c));
  if (c == Component::Tokenizer) info.tokenizer_dir = dir;
  if (c == Component::Scheduler) info.scheduler_config = dir / "scheduler_config.json";
  fill_from_components(info);
  switch (c) {
    case Component::UNet: info.kind = info.in_channels == 8 ? "ip2p-unet" : "unet"; break;
    case Component::VAE: info.kind = "vae"; break;
    case Component::TextEncoder: info.kind = "text-encoder"; break;
    case Component::ControlNet: info.kind = "controlnet"; break;
    case Component::Tokenizer: info.kind = "tokenizer"; break;
    case Component::Scheduler: info.kind = "scheduler"; break;
  }
  if (c == Component::TextEncoder) info.version = version_of(info.text_encoder, false);
  if (c == Component::UNet || c == Component::ControlNet) {
    const auto& cfg = info.components.front().config;
    const bool linear = cfg.value("use_linear_projection", false);
    info.version = linear ? "SD 2.x" : "SD 1.x";
  }
  return info;
}

ModelInfo inspect_single_file(const fs::path& path) {
  const SingleFile f = open_single_file(path);
  ModelInfo info;
  info.path = path;
  info.format = f.format;
  std::string notes;
  if (f.has_unet) {
    ComponentInfo ci;
    ci.component = Component::UNet;
    const UNetLayout l = infer_unet_layout(f.src, f.unet_prefix, false);
    const bool sd2 = single_file_sd2_like(f, l);
    ci.config = unet_config_from_layout(l, unet_head_config(l, f.yaml, "unet_config.params.", sd2, notes), sd2,
                                        yaml_int(f.yaml, "unet_config.params.image_size").value_or(64),
                                        f.src.dim(f.unet_prefix + "time_embed.0.weight", 0));
    ci.parameter_count = count_params(f.src, f.unet_prefix);
    ci.dtype = dtypes_of(f.src, f.unet_prefix);
    info.components.push_back(ci);
    info.in_channels = static_cast<int>(l.in_channels);
    info.version = version_of(f.text, l.linear_proj);
    if (f.text == TextEncoderFlavour::None) info.version = sd2 ? "SD 2.x" : "SD 1.x";
  }
  if (f.has_controlnet) {
    ComponentInfo ci;
    ci.component = Component::ControlNet;
    const std::string pre = f.format == CheckpointFormat::LdmSingleFile ? "control_model." : f.unet_prefix;
    const UNetLayout l = infer_unet_layout(f.src, pre, true);
    const bool sd2 = single_file_sd2_like(f, l);
    std::string cn_notes;
    ci.config = unet_config_from_layout(l, unet_head_config(l, f.yaml, "control_stage_config.params.", sd2, cn_notes),
                                        sd2, 64, f.src.dim(pre + "time_embed.0.weight", 0));
    ci.config["_class_name"] = "ControlNetModel";
    ci.parameter_count = count_params(f.src, pre);
    ci.dtype = dtypes_of(f.src, pre);
    info.components.push_back(ci);
    if (!f.has_unet) {
      notes += cn_notes;
      info.in_channels = static_cast<int>(l.in_channels);
      info.version = sd2 ? "SD 2.x" : "SD 1.x";
    }
  }
  if (f.has_vae) {
    ComponentInfo ci;
    ci.component = Component::VAE;
    ci.config = vae_config(infer_vae_layout(f.src, "first_stage_model."), f.yaml);
    ci.parameter_count = count_params(f.src, "first_stage_model.");
    ci.dtype = dtypes_of(f.src, "first_stage_model.");
    info.components.push_back(ci);
  }
  if (f.text != TextEncoderFlavour::None) {
    ComponentInfo ci;
    ci.component = Component::TextEncoder;
    ci.parameter_count = count_params(f.src, f.text_prefix);
    ci.dtype = dtypes_of(f.src, f.text_prefix);
    info.components.push_back(ci);
    info.text_encoder = f.text;
  }
  if (f.has_unet) info.prediction_type = single_file_prediction(f);
  if (f.has_unet) {
    info.kind = info.in_channels == 8 ? "ip2p" : (info.version == "SD 2.x" ? "sd2" : "sd1");
  } else {
    info.kind = "controlnet";
  }
  if (!f.has_yaml) notes += "no yaml beside the file; configs inferred from shapes and SD defaults; ";
  info.notes = notes;
  return info;
}

}  // namespace

ModelInfo inspect_model(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw NotFoundError("model not found: " + path.string());
  if (fs::is_directory(path, ec)) return inspect_folder(path);
  refuse_pickle(path);
  const std::string ext = lower(path.extension().string());
  if (ext == ".json" && path.filename() == "model_index.json") return inspect_folder(path.parent_path());
  return inspect_single_file(path);
}

ComponentWeights load_component(const fs::path& path, Component component, torch::ScalarType dtype) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw NotFoundError("model not found: " + path.string());
  if (component == Component::Tokenizer || component == Component::Scheduler)
    throw Error(std::string("load_component: ") + component_name(component) +
                " has no weights; use ModelInfo::tokenizer_dir / scheduler_config");
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / "model_index.json")) {
      const fs::path sub = path / component_name(component);
      if (!fs::is_directory(sub))
        throw NotFoundError(path.string() + " has no " + component_name(component) + "/ folder");
      return load_folder_component(sub, dtype);
    }
    const Component c = component_of_folder(path);
    if (c != component)
      throw NotFoundError(path.string() + " holds a " + component_name(c) + ", not a " + component_name(component));
    return load_folder_component(path, dtype);
  }
  const SingleFile f = open_single_file(path);
  std::string notes;
  switch (component) {
    case Component::UNet:
      if (!f.has_unet) throw NotFoundError(path.string() + " has no UNet");
      return single_file_unet(f, false, dtype, notes);
    case Component::ControlNet:
      if (!f.has_controlnet) throw NotFoundError(path.string() + " has no ControlNet");
      return single_file_unet(f, true, dtype, notes);
    case Component::VAE:
      if (!f.has_vae) throw NotFoundError(path.string() + " has no VAE (first_stage_model.*)");
      return single_file_vae(f, dtype);
    case Component::TextEncoder:
      if (f.text == TextEncoderFlavour::None) throw NotFoundError(path.string() + " has no text encoder");
      return single_file_text(f, dtype, notes);
    default:
      break;
  }
  throw NotFoundError(path.string() + ": no " + component_name(component));
}

}  // namespace faceg2e::diffusion
