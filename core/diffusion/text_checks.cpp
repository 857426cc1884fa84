// Tokenizer and text-encoder fixture checks. What is checked comes from the fixture folder:
// tokenizer folders are told apart by their pad token, prompts come from the fixture metadata,
// and single-file checkpoints are matched to a text-encoder fixture by detection (encoder
// flavour and width), not by file name.
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/fixture_checks.h"
#include "core/diffusion/safetensors.h"
#include "core/diffusion/text_encoder.h"
#include "core/diffusion/tokenizer.h"
#include "core/diffusion/tokenizer_gz_checks.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e::diffusion {
namespace {

namespace fs = std::filesystem;

struct NamedTokenizer {
  std::string name;
  std::shared_ptr<ClipTokenizer> tok;
};

std::vector<NamedTokenizer> find_tokenizers(const fs::path& dir) {
  std::vector<NamedTokenizer> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<fs::path> subs;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && fs::exists(e.path() / "vocab.json") && fs::exists(e.path() / "merges.txt"))
      subs.push_back(e.path());
  std::sort(subs.begin(), subs.end());
  for (const auto& s : subs) out.push_back({s.filename().string(), ClipTokenizer::from_folder(s)});
  return out;
}

std::string describe_prompt(const std::string& p) {
  std::string s = nlohmann::json(p).dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// One check over every case: passes when each prompt's ids equal the field.
CheckResult field_check(const std::string& name, const nlohmann::json& cases, const char* field,
                        const std::function<std::vector<std::int64_t>(const std::string&)>& encode) {
  CheckResult r;
  r.name = name;
  std::size_t n = 0, bad = 0;
  std::string first_bad;
  for (const auto& c : cases) {
    if (!c.contains(field) || !c.contains("prompt")) continue;
    ++n;
    const auto prompt = c["prompt"].get<std::string>();
    if (encode(prompt) != c[field].get<std::vector<std::int64_t>>()) {
      if (bad++ == 0) first_bad = describe_prompt(prompt);
    }
  }
  r.max_abs = static_cast<double>(bad);
  r.max_rel = n ? static_cast<double>(bad) / static_cast<double>(n) : 0.0;
  r.passed = n > 0 && bad == 0;
  r.detail = std::to_string(n - bad) + "/" + std::to_string(n) + " prompts exact";
  if (bad) r.detail += "; first mismatch: " + first_bad;
  if (n == 0) r.detail = std::string("no cases with field ") + field;
  return r;
}

}  // namespace

std::vector<CheckResult> tokenizer_checks(const fs::path& dir) {
  std::vector<CheckResult> out;
  const fs::path cases_path = dir / "tokenizer_cases.json";
  nlohmann::json cases;
  std::vector<NamedTokenizer> toks;
  try {
    if (!fs::exists(cases_path)) return {failed_check("tokenizer", "no " + cases_path.string())};
    cases = nlohmann::json::parse(read_file(cases_path));
    if (!cases.is_array()) return {failed_check("tokenizer", cases_path.string() + " is not a JSON array")};
    toks = find_tokenizers(dir);
  } catch (const std::exception& e) {
    return {failed_check("tokenizer", e.what())};
  }
  if (toks.empty()) return {failed_check("tokenizer", "no tokenizer folder (vocab.json + merges.txt) in " + dir.string())};
  bool sd1_seen = false, sd2_seen = false;
  for (const auto& t : toks) {
    try {
      const auto& tk = *t.tok;
      if (tk.pad_id() == tk.eos_id()) {  // SD1.x: pads with <|endoftext|>
        sd1_seen = true;
        out.push_back(field_check("tokenizer " + t.name + ": ids_unpadded", cases, "ids_unpadded",
                                  [&](const std::string& p) { return tk.encode_unpadded(p); }));
        out.push_back(field_check("tokenizer " + t.name + ": input_ids_77_pad49407", cases, "input_ids_77_pad49407",
                                  [&](const std::string& p) { return tk.encode_padded(p); }));
        CheckResult tr;
        tr.name = "tokenizer " + t.name + ": tokens";
        std::size_t n = 0, bad = 0;
        for (const auto& c : cases) {
          if (!c.contains("tokens")) continue;
          ++n;
          if (tk.tokens(c["prompt"].get<std::string>()) != c["tokens"].get<std::vector<std::string>>()) ++bad;
        }
        tr.passed = n > 0 && bad == 0;
        tr.max_abs = static_cast<double>(bad);
        tr.detail = std::to_string(n - bad) + "/" + std::to_string(n) + " prompts exact";
        out.push_back(tr);
      } else if (tk.pad_id() == 0) {  // SD2.x: pads with "!" (id 0), split out as an added token
        sd2_seen = true;
        out.push_back(field_check("tokenizer " + t.name + ": hf_sd2_ids_unpadded", cases, "hf_sd2_ids_unpadded",
                                  [&](const std::string& p) { return tk.encode_unpadded(p); }));
        out.push_back(field_check("tokenizer " + t.name + ": input_ids_77_pad0", cases, "input_ids_77_pad0",
                                  [&](const std::string& p) { return tk.encode_padded(p); }));
      } else {
        out.push_back(failed_check("tokenizer " + t.name,
                                   "pad id " + std::to_string(tk.pad_id()) + " matches no reference field"));
      }
    } catch (const std::exception& e) {
      out.push_back(failed_check("tokenizer " + t.name, e.what()));
    }
  }
  if (!sd1_seen) out.push_back(failed_check("tokenizer SD1", "no tokenizer folder padding with <|endoftext|>"));
  if (!sd2_seen) out.push_back(failed_check("tokenizer SD2", "no tokenizer folder padding with '!' (id 0)"));
  return out;
}

std::vector<CheckResult> tokenizer_gz_checks(const fs::path& dir, const fs::path& gz) {
  const fs::path cases_path = dir / "tokenizer_cases.json";
  nlohmann::json cases;
  try {
    if (!fs::exists(cases_path)) return {failed_check("tokenizer gz", "no " + cases_path.string())};
    cases = nlohmann::json::parse(read_file(cases_path));
    if (!cases.is_array()) return {failed_check("tokenizer gz", cases_path.string() + " is not a JSON array")};
  } catch (const std::exception& e) {
    return {failed_check("tokenizer gz", e.what())};
  }
  using Match = std::function<bool(const ClipTokenizer&, const std::string& prompt, const nlohmann::json& ref)>;
  const Match unpadded = [](const ClipTokenizer& t, const std::string& p, const nlohmann::json& r) {
    return t.encode_unpadded(p) == r.get<std::vector<std::int64_t>>();
  };
  const Match padded = [](const ClipTokenizer& t, const std::string& p, const nlohmann::json& r) {
    return t.encode_padded(p) == r.get<std::vector<std::int64_t>>();
  };
  const Match token_strings = [](const ClipTokenizer& t, const std::string& p, const nlohmann::json& r) {
    return t.tokens(p) == r.get<std::vector<std::string>>();
  };
  struct Flavour {
    std::string label;
    TokenizerConfig config;
    std::vector<std::pair<const char*, Match>> fields;
  };
  const Flavour flavours[] = {
      {"SD1", TokenizerConfig{}, {{"ids_unpadded", unpadded}, {"input_ids_77_pad49407", padded}, {"tokens", token_strings}}},
      {"SD2 (pad '!')", TokenizerConfig::sd2(), {{"hf_sd2_ids_unpadded", unpadded}, {"input_ids_77_pad0", padded}}},
  };
  std::vector<CheckResult> out;
  for (const auto& f : flavours) {
    const std::string name = "tokenizer " + gz.filename().string() + " " + f.label;
    try {
      const auto tok = ClipTokenizer::from_bpe_gz(gz, f.config);
      std::size_t n = 0, bad = 0;
      std::string first_bad, field_names;
      for (const auto& [field, match] : f.fields) field_names += (field_names.empty() ? "" : ", ") + std::string(field);
      for (const auto& c : cases) {
        if (!c.is_object() || !c.contains("prompt") || !c["prompt"].is_string()) continue;
        const auto prompt = c["prompt"].get<std::string>();
        bool any = false, ok = true;
        for (const auto& [field, match] : f.fields) {
          if (!c.contains(field)) continue;
          any = true;
          ok = ok && match(*tok, prompt, c[field]);
        }
        if (!any) continue;
        ++n;
        if (!ok && bad++ == 0) first_bad = describe_prompt(prompt);
      }
      CheckResult r;
      r.name = name;
      r.max_abs = static_cast<double>(bad);
      r.max_rel = n ? static_cast<double>(bad) / static_cast<double>(n) : 0.0;
      r.passed = n > 0 && bad == 0;
      r.detail = std::to_string(n - bad) + "/" + std::to_string(n) + " prompts exact (" + field_names + ")";
      if (bad) r.detail += "; first mismatch: " + first_bad;
      if (n == 0) r.detail = "no cases with " + field_names;
      out.push_back(r);
    } catch (const std::exception& e) {
      out.push_back(failed_check(name, e.what()));
    }
  }
  return out;
}

namespace {


void check_encoder_outputs(std::vector<CheckResult>& out, const std::string& base, const ComponentWeights& w,
                           const torch::Tensor& input_ids, const SafetensorsFile& fx) {
  auto model = load_clip_text_model(w);
  torch::NoGradGuard no_grad;
  const auto res = model->forward(input_ids, true);
  for (std::size_t i = 0; i < res.hidden_states.size(); ++i) {
    const std::string n = "hidden_states." + std::to_string(i);
    if (fx.contains(n)) out.push_back(compare_tensors(base + " " + n, res.hidden_states[i], fx.load(n)));
  }
  std::size_t ref_layers = 0;
  while (fx.contains("hidden_states." + std::to_string(ref_layers))) ++ref_layers;
  if (ref_layers != res.hidden_states.size())
    out.push_back(failed_check(base + " hidden_states", "model gives " + std::to_string(res.hidden_states.size()) +
                                                           ", fixture has " + std::to_string(ref_layers)));
  if (fx.contains("last_hidden_state"))
    out.push_back(compare_tensors(base + " last_hidden_state", res.last_hidden_state, fx.load("last_hidden_state")));
  if (fx.contains("penultimate_final_ln"))
    out.push_back(compare_tensors(base + " penultimate_final_ln",
                                  model->conditioning(input_ids, TextConditioning::PenultimateFinalLn),
                                  fx.load("penultimate_final_ln")));
  if (fx.contains("pooler_output"))
    out.push_back(compare_tensors(base + " pooler_output", res.pooler_output, fx.load("pooler_output")));
}

}  // namespace

std::vector<CheckResult> text_encoder_checks(const fs::path& dir) {
  std::vector<CheckResult> out;
  std::vector<fs::path> fixtures;
  std::vector<NamedTokenizer> toks;
  try {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / "fixtures", ec)) {
      const auto fn = e.path().filename().string();
      if (fn.rfind("text_encoder", 0) == 0 && e.path().extension() == ".safetensors") fixtures.push_back(e.path());
    }
    std::sort(fixtures.begin(), fixtures.end());
    toks = find_tokenizers(dir);
  } catch (const std::exception& e) {
    return {failed_check("text_encoder", e.what())};
  }
  if (fixtures.empty()) return {failed_check("text_encoder", "no fixtures/text_encoder*.safetensors in " + dir.string())};

  // Single-file checkpoints with a text encoder, and their detected flavour.
  std::vector<std::pair<fs::path, ModelInfo>> ckpts;
  {
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir / "checkpoints", ec))
      if (e.path().extension() == ".safetensors") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      try {
        auto info = inspect_model(f);
        if (info.text_encoder != TextEncoderFlavour::None) ckpts.emplace_back(f, std::move(info));
      } catch (const std::exception& e) {
        out.push_back(failed_check("text_encoder checkpoint " + f.filename().string(), e.what()));
      }
    }
  }

  for (const auto& fx_path : fixtures) {
    const std::string stem = fx_path.stem().string();  // e.g. text_encoder_sd1
    try {
      const auto fx = SafetensorsFile::open(fx_path);
      const auto ref_ids = fx->load("input_ids");
      // Prompts from the metadata; the tokenizer whose padding matches the fixture's.
      if (!fx->metadata().count("prompts")) throw FormatError(fx_path.string(), "no 'prompts' metadata");
      const auto prompts = nlohmann::json::parse(fx->metadata().at("prompts")).get<std::vector<std::string>>();
      if (static_cast<std::int64_t>(prompts.size()) != ref_ids.size(0))
        throw FormatError(fx_path.string(), "prompts and input_ids disagree in count");
      const std::int64_t pad = ref_ids.index({0, ref_ids.size(1) - 1}).item<std::int64_t>();
      const NamedTokenizer* tok = nullptr;
      for (const auto& t : toks)
        if (t.tok->pad_id() == pad) tok = &t;
      if (!tok) {
        out.push_back(failed_check(stem + " input_ids", "no tokenizer folder pads with id " + std::to_string(pad)));
      } else {
        std::vector<std::int64_t> flat;
        for (const auto& p : prompts) {
          const auto ids = tok->tok->encode_padded(p);
          flat.insert(flat.end(), ids.begin(), ids.end());
        }
        const auto ids = torch::tensor(flat, torch::kLong).view({static_cast<std::int64_t>(prompts.size()), -1});
        auto r = compare_tensors(stem + " input_ids (tokenizer " + tok->name + ")", ids, ref_ids);
        out.push_back(r);
      }

      // The diffusers / transformers folder of the same name.
      const std::string model_name = stem;
      const fs::path folder = dir / "models" / model_name;
      TextEncoderFlavour flavour = TextEncoderFlavour::None;
      std::int64_t width = fx->info("last_hidden_state").shape.back();
      if (fs::exists(folder)) {
        const auto w = load_component(folder, Component::TextEncoder);
        flavour = w.config.value("hidden_act", std::string("quick_gelu")) == "gelu" ? TextEncoderFlavour::OpenClip
                                                                                    : TextEncoderFlavour::ClipL;
        check_encoder_outputs(out, stem + "[folder]", w, ref_ids, *fx);
      } else {
        out.push_back(failed_check(stem + "[folder]", "no " + folder.string()));
      }
      // Every checkpoint whose detected encoder has this flavour and width.
      for (const auto& [path, info] : ckpts) {
        if (flavour != TextEncoderFlavour::None && info.text_encoder != flavour) continue;
        const std::string label = stem + "[" + path.filename().string() + "]";
        try {
          const auto w = load_component(path, Component::TextEncoder);
          if (w.config.value("hidden_size", std::int64_t{0}) != width) continue;
          check_encoder_outputs(out, label, w, ref_ids, *fx);
        } catch (const std::exception& e) {
          out.push_back(failed_check(label, e.what()));
        }
      }
    } catch (const std::exception& e) {
      out.push_back(failed_check(stem, e.what()));
    }
  }
  return out;
}

}  // namespace faceg2e::diffusion
