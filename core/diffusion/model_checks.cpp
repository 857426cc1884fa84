// model_checks / run_fixture_checks: every check is derived from the fixture files found in the
// set (timesteps from `timesteps` tensors, layer names from metadata, families from file names),
// so a set made the same way with other configs, seeds and timesteps runs unchanged.
#include <torch/torch.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/controlnet.h"
#include "core/diffusion/fixture_checks.h"
#include "core/diffusion/safetensors.h"
#include "core/diffusion/scheduler.h"
#include "core/diffusion/sds.h"
#include "core/diffusion/unet.h"
#include "core/diffusion/vae.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e::diffusion {

namespace fs = std::filesystem;

namespace {

using FilePtr = std::shared_ptr<SafetensorsFile>;

// Collects results; a check that throws becomes a failure carrying the message.
class Report {
 public:
  std::vector<CheckResult> results;

  void add(CheckResult r) { results.push_back(std::move(r)); }
  void compare(const std::string& name, const torch::Tensor& out, const torch::Tensor& ref,
               Tolerance tol = Tolerance::standard()) {
    add(compare_tensors(name, out, ref, tol));
  }
  void skip(const std::string& name, const std::string& why) {
    CheckResult r;
    r.name = name;
    r.passed = true;
    r.detail = "skipped: " + why;
    add(std::move(r));
  }
  template <class F>
  void guard(const std::string& name, F&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      add(failed_check(name, e.what()));
    }
  }
};

torch::Tensor get(const FilePtr& f, const std::string& name) {
  if (!f->contains(name))
    throw Error(f->path().filename().string() + ": tensor '" + name + "' is missing");
  return f->load(name);
}

std::string meta(const FilePtr& f, const std::string& key) {
  const auto it = f->metadata().find(key);
  return it == f->metadata().end() ? std::string() : it->second;
}

FilePtr open_fixture(const fs::path& dir, const std::string& file) {
  const auto p = dir / "fixtures" / file;
  if (!fs::exists(p)) return nullptr;
  return SafetensorsFile::open(p);
}

std::vector<std::int64_t> int_values(const torch::Tensor& t) {
  const auto c = t.to(torch::kLong).reshape({-1}).contiguous();
  return std::vector<std::int64_t>(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
}

double scalar(const FilePtr& f, const std::string& name) { return get(f, name).item<double>(); }

// "[uncond(''), cond]" -> UncondFirst; "[text, uncond]" -> TextFirst.
CfgBatchOrder batch_order(const FilePtr& f) {
  const auto s = meta(f, "batch_order");
  if (s.empty()) throw Error(f->path().filename().string() + ": metadata 'batch_order' missing");
  const auto comma = s.find(',');
  const auto first = s.substr(0, comma);
  return first.find("uncond") != std::string::npos ? CfgBatchOrder::UncondFirst
                                                   : CfgBatchOrder::TextFirst;
}

// A diffusers component folder: config.json + one safetensors weights file.
ComponentWeights load_folder(const fs::path& folder) {
  ComponentWeights w;
  w.origin = folder.filename().string() + " (diffusers folder)";
  const auto cfg = folder / "config.json";
  try {
    w.config = nlohmann::json::parse(read_file(cfg));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(cfg.string(), std::string("invalid JSON: ") + e.what());
  }
  fs::path weights;
  for (const char* name : {"diffusion_pytorch_model.safetensors", "model.safetensors"})
    if (fs::exists(folder / name)) weights = folder / name;
  if (weights.empty()) throw NotFoundError(folder.string() + ": no safetensors weights");
  const auto f = SafetensorsFile::open(weights);
  for (const auto& n : f->names()) w.tensors[n] = f->load(n, torch::kFloat);
  return w;
}

// One model source of a check: a name for reports and a loader.
struct Source {
  std::string label;  // "folder" / "checkpoint"
  std::function<ComponentWeights()> load;
};

std::vector<Source> sources(const fs::path& folder, const fs::path& checkpoint, Component comp) {
  std::vector<Source> out;
  if (fs::exists(folder)) out.push_back({"folder", [folder] { return load_folder(folder); }});
  if (!checkpoint.empty() && fs::exists(checkpoint))
    out.push_back({"checkpoint", [checkpoint, comp] {
                     return load_component(checkpoint, comp, torch::kFloat);
                   }});
  return out;
}

fs::path find_scheduler_config(const fs::path& dir) {
  if (!fs::exists(dir / "models")) return {};
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(dir / "models"))
    if (e.is_directory() && fs::exists(e.path() / "scheduler_config.json"))
      found.push_back(e.path() / "scheduler_config.json");
  std::sort(found.begin(), found.end());
  return found.empty() ? fs::path() : found.front();
}

// Files in dir/fixtures whose name matches `re`; returns the first capture group of each.
std::vector<std::string> fixture_families(const fs::path& dir, const std::regex& re) {
  std::vector<std::string> out;
  if (!fs::exists(dir / "fixtures")) return out;
  for (const auto& e : fs::directory_iterator(dir / "fixtures")) {
    std::smatch m;
    const auto name = e.path().filename().string();
    if (std::regex_match(name, m, re)) out.push_back(m[1].str());
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path first_matching(const fs::path& folder, const std::regex& re) {
  if (!fs::exists(folder)) return {};
  std::vector<fs::path> found;
  for (const auto& e : fs::directory_iterator(folder))
    if (std::regex_match(e.path().filename().string(), re)) found.push_back(e.path());
  std::sort(found.begin(), found.end());
  return found.empty() ? fs::path() : found.front();
}

// ---------------------------------------------------------------------------------------------
// UNet families (unet_<fam>_cfg / _grad / _intermediates / _attn2_probs)

void unet_cfg_checks(Report& rep, const std::string& prefix, UNet2DConditionModel& unet,
                     const FilePtr& f) {
  torch::NoGradGuard no_grad;
  const auto x = get(f, "latent_model_input");
  const auto ehs = get(f, "encoder_hidden_states");
  const auto order = batch_order(f);
  const bool cfg_form = meta(f, "cfg_formula").rfind("eps_u", 0) == 0;
  const double scale = scalar(f, "cfg_scale");
  for (const auto t : int_values(get(f, "timesteps"))) {
    const auto group = "t" + std::to_string(t);
    if (!f->contains(group + ".eps")) {
      rep.skip(prefix + "." + group, "no " + group + ".eps in " + f->path().filename().string());
      continue;
    }
    rep.guard(prefix + "." + group + ".eps", [&] {
      const auto eps = unet->forward(x, torch::tensor(t), ehs);
      rep.compare(prefix + "." + group + ".eps", eps, get(f, group + ".eps"));
      if (f->contains(group + ".eps_cfg")) {
        const auto [text, uncond] = split_cfg_batch(eps, order);
        const auto g = cfg_form ? guided_eps_cfg(text, uncond, scale) : guided_eps_sds(text, uncond, scale);
        rep.compare(prefix + "." + group + ".eps_cfg", g, get(f, group + ".eps_cfg"), Tolerance::guided());
      }
    });
  }
}

void unet_grad_checks(Report& rep, const std::string& prefix, UNet2DConditionModel& unet,
                      const FilePtr& f) {
  rep.guard(prefix + ".grad", [&] {
    auto sample = get(f, "sample").requires_grad_(true);
    auto ehs = get(f, "encoder_hidden_states").requires_grad_(true);
    const auto r = get(f, "R");
    const auto out = unet->forward(sample, get(f, "timestep"), ehs);
    const auto loss = (out * r).sum();
    loss.backward();
    rep.compare(prefix + ".grad.out", out.detach(), get(f, "out"));
    rep.compare(prefix + ".grad.loss", loss.detach(), get(f, "loss"));
    rep.compare(prefix + ".grad.grad_sample", sample.grad(), get(f, "grad_sample"));
    rep.compare(prefix + ".grad.grad_encoder_hidden_states", ehs.grad(),
                get(f, "grad_encoder_hidden_states"));
  });
}

const std::set<std::string> kIntermediateInputs = {"encoder_hidden_states", "latent_model_input",
                                                   "timestep"};

void unet_intermediate_checks(Report& rep, const std::string& prefix, UNet2DConditionModel& unet,
                              const FilePtr& f) {
  rep.guard(prefix + ".intermediates", [&] {
    torch::NoGradGuard no_grad;
    std::map<std::string, torch::Tensor> acts;
    ForwardContext ctx;
    ctx.activations = &acts;
    unet->forward(get(f, "latent_model_input"), get(f, "timestep"), get(f, "encoder_hidden_states"),
                  {}, {}, &ctx);
    for (const auto& name : f->names()) {
      if (kIntermediateInputs.count(name)) continue;
      const auto it = acts.find(name);
      if (it == acts.end()) {
        rep.add(failed_check(prefix + ".intermediates." + name, "module output not recorded"));
        continue;
      }
      rep.compare(prefix + ".intermediates." + name, it->second, get(f, name));
    }
  });
}

std::vector<std::string> layer_order(const FilePtr& f) {
  const auto s = meta(f, "layer_order");
  std::vector<std::string> out;
  if (!s.empty()) {
    const auto j = nlohmann::json::parse(s);
    for (const auto& v : j) out.push_back(v.get<std::string>());
  } else {
    for (const auto& n : f->names())
      if (n.find("attn2") != std::string::npos) out.push_back(n);
  }
  return out;
}

void unet_attention_checks(Report& rep, const std::string& prefix, UNet2DConditionModel& unet,
                           const FilePtr& f, const FilePtr& cfg) {
  rep.guard(prefix + ".attn2", [&] {
    if (!cfg) throw Error("the attention fixture's inputs live in the *_cfg file, which is absent");
    torch::NoGradGuard no_grad;
    AttentionCapture capture;
    ForwardContext ctx;
    ctx.capture = &capture;
    unet->forward(get(cfg, "latent_model_input"), get(f, "timestep"),
                  get(cfg, "encoder_hidden_states"), {}, {}, &ctx);
    for (const auto& layer : layer_order(f)) {
      const auto name = prefix + ".attn2." + layer;
      const auto* got = capture.find(layer);
      if (!got) {
        rep.add(failed_check(name, "layer not captured"));
        continue;
      }
      auto r = compare_tensors(name, got->probs, get(f, layer));
      if (r.passed && got->height * got->width != got->probs.size(1)) {
        r.passed = false;
        r.detail = "recorded spatial size does not match the query count";
      }
      rep.add(r);
    }
  });
}

void unet_family_checks(Report& rep, const fs::path& dir, const std::string& fam) {
  const auto cfg = open_fixture(dir, "unet_" + fam + "_cfg.safetensors");
  const auto grad = open_fixture(dir, "unet_" + fam + "_grad.safetensors");
  const auto inter = open_fixture(dir, "unet_" + fam + "_intermediates.safetensors");
  const auto attn = open_fixture(dir, "unet_" + fam + "_attn2_probs.safetensors");
  const auto folder = dir / "models" / ("unet_" + fam);
  const auto ckpt = dir / "checkpoints" / (fam + "_ldm.safetensors");
  const auto srcs = sources(folder, ckpt, Component::UNet);
  if (srcs.empty()) {
    rep.skip("unet_" + fam, "no models/unet_" + fam + " and no checkpoint");
    return;
  }
  if (!fs::exists(ckpt)) rep.skip("unet_" + fam + "[checkpoint]", "no " + ckpt.filename().string());
  for (const auto& src : srcs) {
    const auto prefix = "unet_" + fam + "[" + src.label + "]";
    UNet2DConditionModel unet{nullptr};
    try {
      unet = make_unet(src.load());
    } catch (const std::exception& e) {
      rep.add(failed_check(prefix + ".load", e.what()));
      continue;
    }
    if (cfg) unet_cfg_checks(rep, prefix, unet, cfg);
    // The deeper checks run once, on the first source (the folder when present).
    if (&src != &srcs.front()) continue;
    const auto base = "unet_" + fam;
    if (grad) unet_grad_checks(rep, base, unet, grad);
    else rep.skip(base + ".grad", "no gradient fixture");
    if (inter) unet_intermediate_checks(rep, base, unet, inter);
    else rep.skip(base + ".intermediates", "no intermediates fixture");
    if (attn) unet_attention_checks(rep, base, unet, attn, cfg);
    else rep.skip(base + ".attn2", "no attention fixture");
  }
}

// ---------------------------------------------------------------------------------------------

std::unique_ptr<NoiseSchedule> schedule_for(const fs::path& dir) {
  const auto p = find_scheduler_config(dir);
  if (p.empty()) return std::make_unique<NoiseSchedule>();  // SD 1.x / 2.x defaults
  return std::make_unique<NoiseSchedule>(SchedulerConfig::from_file(p));
}

void sds_checks(Report& rep, const fs::path& dir, const std::string& fam) {
  const auto f = open_fixture(dir, "sds_" + fam + ".safetensors");
  const auto prefix = "sds_" + fam;
  rep.guard(prefix, [&] {
    const auto folder = dir / "models" / ("unet_" + fam);
    if (!fs::exists(folder)) {
      rep.skip(prefix, "no models/unet_" + fam);
      return;
    }
    torch::NoGradGuard no_grad;
    auto unet = make_unet(load_folder(folder));
    const auto sched = schedule_for(dir);
    const auto order = batch_order(f);
    const auto ts = get(f, "timesteps");
    const auto z0 = get(f, "z0"), noise = get(f, "noise"), zt = get(f, "z_t");
    const auto ehs = get(f, "encoder_hidden_states");
    const double s = scalar(f, "guidance_scale");
    const auto acp_t = sched->alphas_cumprod().index_select(0, ts.to(torch::kLong));
    if (f->contains("alphas_cumprod_t")) rep.compare(prefix + ".alphas_cumprod_t", acp_t, get(f, "alphas_cumprod_t"));
    const auto w = sds_weight(acp_t);
    if (f->contains("w")) rep.compare(prefix + ".w", w, get(f, "w"));
    rep.compare(prefix + ".z_t", sched->add_noise(z0, noise, ts), zt);
    const auto tv = int_values(ts);
    for (size_t i = 0; i < tv.size(); ++i) {
      const auto c = prefix + ".case" + std::to_string(i);
      const auto zi = zt.slice(0, i, i + 1);
      const auto eps = unet->forward(torch::cat({zi, zi}, 0), torch::tensor(tv[i]), ehs);
      const auto [text, uncond] = split_cfg_batch(eps, order);
      rep.compare(c + ".eps_text", text, get(f, "case" + std::to_string(i) + ".eps_text"));
      rep.compare(c + ".eps_uncond", uncond, get(f, "case" + std::to_string(i) + ".eps_uncond"));
      const auto eps_hat = guided_eps_sds(text, uncond, s);
      rep.compare(c + ".eps_hat", eps_hat, get(f, "case" + std::to_string(i) + ".eps_hat"), Tolerance::guided());
      const auto g = sds_gradient(eps_hat, noise.slice(0, i, i + 1), w.slice(0, i, i + 1));
      rep.compare(c + ".grad", g, get(f, "case" + std::to_string(i) + ".grad"), Tolerance::guided());
    }
  });
}

// ---------------------------------------------------------------------------------------------

void ip2p_checks(Report& rep, const fs::path& dir) {
  const auto f = open_fixture(dir, "ip2p.safetensors");
  if (!f) {
    rep.skip("ip2p", "no fixtures/ip2p.safetensors");
    return;
  }
  const auto srcs = sources(dir / "models" / "unet_ip2p", dir / "checkpoints" / "ip2p_ldm.safetensors",
                            Component::UNet);
  if (srcs.empty()) {
    rep.skip("ip2p", "no models/unet_ip2p and no checkpoint");
    return;
  }
  torch::NoGradGuard no_grad;
  rep.guard("ip2p.inputs", [&] {
    const auto sched = schedule_for(dir);
    const auto img_lat = get(f, "image_latents_mode");
    if (fs::exists(dir / "models" / "vae")) {
      auto vae = make_vae(load_folder(dir / "models" / "vae"));
      rep.compare("ip2p.image_latents_mode", vae->encode(get(f, "image")).mode(), img_lat);
    }
    if (f->contains("image_latents_batch")) {
      const auto b = ip2p_model_input(torch::zeros_like(img_lat), img_lat).slice(1, img_lat.size(1));
      rep.compare("ip2p.image_latents_batch", b, get(f, "image_latents_batch"));
    }
    for (const auto t : int_values(get(f, "timesteps"))) {
      const auto g = "t" + std::to_string(t);
      rep.compare("ip2p." + g + ".z_t",
                  sched->add_noise(get(f, "z0"), get(f, "noise"), torch::tensor({t})), get(f, g + ".z_t"));
      rep.compare("ip2p." + g + ".model_input", ip2p_model_input(get(f, g + ".z_t"), img_lat),
                  get(f, g + ".model_input"));
    }
  });
  const double s_t = scalar(f, "text_guidance_scale"), s_i = scalar(f, "image_guidance_scale");
  for (const auto& src : srcs) {
    const auto prefix = "ip2p[" + src.label + "]";
    rep.guard(prefix, [&] {
      auto unet = make_unet(src.load());
      const auto ehs = get(f, "encoder_hidden_states");
      for (const auto t : int_values(get(f, "timesteps"))) {
        const auto g = "t" + std::to_string(t);
        const auto eps = unet->forward(get(f, g + ".model_input"), torch::tensor(t), ehs);
        rep.compare(prefix + "." + g + ".eps", eps, get(f, g + ".eps"));
        rep.compare(prefix + "." + g + ".eps_guided", guided_eps_ip2p(eps, s_t, s_i),
                    get(f, g + ".eps_guided"), Tolerance::guided());
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------

void controlnet_checks(Report& rep, const fs::path& dir, const std::string& fam) {
  const auto f = open_fixture(dir, "controlnet_" + fam + ".safetensors");
  const auto unet_folder = dir / "models" / ("unet_" + fam);
  const auto ckpt = first_matching(dir / "checkpoints",
                                   std::regex("controlnet_" + fam + ".*\\.safetensors"));
  const auto srcs = sources(dir / "models" / ("controlnet_" + fam), ckpt, Component::ControlNet);
  const auto base = "controlnet_" + fam;
  if (srcs.empty() || !fs::exists(unet_folder)) {
    rep.skip(base, "ControlNet or its UNet (models/unet_" + fam + ") absent");
    return;
  }
  if (ckpt.empty()) rep.skip(base + "[checkpoint]", "no controlnet_" + fam + "*.safetensors checkpoint");
  torch::NoGradGuard no_grad;
  UNet2DConditionModel unet{nullptr};
  try {
    unet = make_unet(load_folder(unet_folder));
  } catch (const std::exception& e) {
    rep.add(failed_check(base + ".unet_load", e.what()));
    return;
  }
  const auto x = get(f, "latent_model_input");
  const auto ehs = get(f, "encoder_hidden_states");
  const auto cond = get(f, "controlnet_cond");
  const double scale = f->contains("conditioning_scale") ? scalar(f, "conditioning_scale") : 1.0;
  for (const auto& src : srcs) {
    const auto prefix = base + "[" + src.label + "]";
    rep.guard(prefix, [&] {
      auto cn = make_controlnet(src.load());
      for (const auto t : int_values(get(f, "timesteps"))) {
        const auto g = "t" + std::to_string(t);
        std::map<std::string, torch::Tensor> acts;
        ForwardContext ctx;
        ctx.activations = &acts;
        const auto out = cn->forward(x, torch::tensor(t), ehs, cond, scale, &ctx);
        for (size_t i = 0; i < out.down_residuals.size(); ++i) {
          const auto key = g + ".down_block_res_samples." + std::to_string(i);
          if (f->contains(key)) rep.compare(prefix + "." + key, out.down_residuals[i], get(f, key));
        }
        const auto extra = g + ".down_block_res_samples." + std::to_string(out.down_residuals.size());
        if (f->contains(extra)) rep.add(failed_check(prefix + "." + extra, "fixture has more residuals than the model"));
        if (f->contains(g + ".mid_block_res_sample"))
          rep.compare(prefix + "." + g + ".mid_block_res_sample", out.mid_residual, get(f, g + ".mid_block_res_sample"));
        const auto inter = g + ".intermediate.";
        for (const auto& name : f->names()) {
          if (name.rfind(inter, 0) != 0) continue;
          const auto it = acts.find(name.substr(inter.size()));
          if (it == acts.end()) rep.add(failed_check(prefix + "." + name, "module output not recorded"));
          else rep.compare(prefix + "." + name, it->second, get(f, name));
        }
        if (f->contains(g + ".eps_with_control"))
          rep.compare(prefix + "." + g + ".eps_with_control",
                      unet->forward(x, torch::tensor(t), ehs, out.down_residuals, out.mid_residual),
                      get(f, g + ".eps_with_control"));
        if (&src == &srcs.front() && f->contains(g + ".eps_without_control"))
          rep.compare(base + "." + g + ".eps_without_control", unet->forward(x, torch::tensor(t), ehs),
                      get(f, g + ".eps_without_control"));
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------

void vae_checks(Report& rep, const fs::path& dir) {
  const auto f = open_fixture(dir, "vae.safetensors");
  const auto fi = open_fixture(dir, "vae_intermediates.safetensors");
  if (!f) {
    rep.skip("vae", "no fixtures/vae.safetensors");
    return;
  }
  if (!fs::exists(dir / "models" / "vae")) {
    rep.skip("vae", "no models/vae");
    return;
  }
  AutoencoderKL vae{nullptr};
  try {
    vae = make_vae(load_folder(dir / "models" / "vae"));
  } catch (const std::exception& e) {
    rep.add(failed_check("vae.load", e.what()));
    return;
  }
  const auto image = get(f, "image");
  rep.guard("vae.forward", [&] {
    torch::NoGradGuard no_grad;
    std::map<std::string, torch::Tensor> acts;
    ForwardContext ctx;
    ctx.activations = &acts;
    rep.compare("vae.moments", vae->moments(image), get(f, "moments"));
    const auto post = vae->encode(image, &ctx);
    rep.compare("vae.posterior_mean", post.mean, get(f, "posterior_mean"));
    rep.compare("vae.posterior_logvar", post.logvar, get(f, "posterior_logvar"));
    rep.compare("vae.posterior_std", post.std(), get(f, "posterior_std"));
    rep.compare("vae.posterior_sample", post.sample(get(f, "sample_eps")), get(f, "posterior_sample"));
    rep.compare("vae.decoded", vae->decode(get(f, "latents"), &ctx), get(f, "decoded"));
    if (f->contains("scaling_factor"))
      rep.compare("vae.scaling_factor", torch::tensor(vae->scaling_factor()), get(f, "scaling_factor"));
    if (f->contains("image_128") && f->contains("posterior_mean_128"))
      rep.compare("vae.posterior_mean_128", vae->encode(get(f, "image_128")).mean,
                  get(f, "posterior_mean_128"));
    if (fi) {
      for (const auto& name : fi->names()) {
        const auto it = acts.find(name);
        if (it == acts.end()) rep.add(failed_check("vae.intermediates." + name, "module output not recorded"));
        else rep.compare("vae.intermediates." + name, it->second.slice(0, 0, 1), get(fi, name));
      }
    }
  });
  rep.guard("vae.grad", [&] {
    const auto r_mean = get(f, "R_mean");
    {
      auto img = image.clone().requires_grad_(true);
      const auto loss = (vae->encode(img).mean * r_mean).sum();
      loss.backward();
      rep.compare("vae.loss_mean", loss.detach(), get(f, "loss_mean"));
      rep.compare("vae.grad_image_mean", img.grad(), get(f, "grad_image_mean"));
    }
    {
      auto img = image.clone().requires_grad_(true);
      const auto loss = (vae->encode(img).sample(get(f, "sample_eps")) * r_mean).sum();
      loss.backward();
      rep.compare("vae.loss_sample", loss.detach(), get(f, "loss_sample"));
      rep.compare("vae.grad_image_sample", img.grad(), get(f, "grad_image_sample"));
    }
    {
      auto lat = get(f, "latents").requires_grad_(true);
      const auto loss = (vae->decode(lat) * get(f, "R_decoded")).sum();
      loss.backward();
      rep.compare("vae.loss_decode", loss.detach(), get(f, "loss_decode"));
      rep.compare("vae.grad_latents_decode", lat.grad(), get(f, "grad_latents_decode"));
    }
  });
  // The VAE inside each single-file checkpoint must convert to the same numbers.
  if (fs::exists(dir / "checkpoints")) {
    std::vector<fs::path> ckpts;
    for (const auto& e : fs::directory_iterator(dir / "checkpoints"))
      if (std::regex_match(e.path().filename().string(), std::regex(".*_ldm\\.safetensors")))
        ckpts.push_back(e.path());
    std::sort(ckpts.begin(), ckpts.end());
    for (const auto& p : ckpts) {
      const auto name = "vae[" + p.filename().string() + "].moments";
      rep.guard(name, [&] {
        torch::NoGradGuard no_grad;
        auto v = make_vae(load_component(p, Component::VAE, torch::kFloat));
        rep.compare(name, v->moments(image), get(f, "moments"));
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------

void scheduler_checks(Report& rep, const fs::path& dir) {
  const auto f = open_fixture(dir, "scheduler_ddim.safetensors");
  if (!f) {
    rep.skip("scheduler", "no fixtures/scheduler_ddim.safetensors");
    return;
  }
  rep.guard("scheduler", [&] {
    SchedulerConfig cfg;
    const auto m = meta(f, "config");
    const auto file = find_scheduler_config(dir);
    if (!m.empty()) cfg = SchedulerConfig::from_json(nlohmann::json::parse(m), "scheduler_ddim metadata config");
    else if (!file.empty()) cfg = SchedulerConfig::from_file(file);
    NoiseSchedule sched(cfg);
    for (const char* n : {"betas", "alphas", "alphas_cumprod"}) {
      if (!f->contains(n)) continue;
      const auto& mine = std::string(n) == "betas" ? sched.betas()
                         : std::string(n) == "alphas" ? sched.alphas() : sched.alphas_cumprod();
      rep.compare(std::string("scheduler.") + n, mine, get(f, n));
    }
    if (f->contains("final_alpha_cumprod"))
      rep.compare("scheduler.final_alpha_cumprod", sched.final_alpha_cumprod(), get(f, "final_alpha_cumprod"));
    std::map<std::int64_t, torch::Tensor> spacings;
    const std::regex ts_re("timesteps_(\\d+)");
    for (const auto& n : f->names()) {
      std::smatch mm;
      if (!std::regex_match(n, mm, ts_re)) continue;
      const auto steps = std::stoll(mm[1].str());
      sched.set_timesteps(steps);
      spacings[steps] = get(f, n);
      rep.compare("scheduler." + n, sched.timesteps(), spacings[steps]);  // exact (int64)
    }
    if (f->contains("add_noise.noisy"))
      rep.compare("scheduler.add_noise", sched.add_noise(get(f, "add_noise.original"), get(f, "add_noise.noise"),
                                                         get(f, "add_noise.timesteps")),
                  get(f, "add_noise.noisy"));

    // step.<prediction>.t<T>.eta<E>.<prev_sample|pred_original_sample>
    const std::regex step_re("step\\.([a-z_]+)\\.t(\\d+)\\.eta(.+)\\.(prev_sample|pred_original_sample)");
    for (const auto& n : f->names()) {
      std::smatch mm;
      if (!std::regex_match(n, mm, step_re)) continue;
      const auto pred = mm[1].str();
      const auto t = std::stoll(mm[2].str());
      const double eta = std::stod(mm[3].str());
      const bool want_prev = mm[4].str() == "prev_sample";
      auto c = cfg;
      c.prediction_type = pred;
      NoiseSchedule s(c);
      // Inference step count: diffusers' default 50 when its spacing holds t, otherwise the
      // timesteps_N tensor of the set that holds it.
      std::vector<std::int64_t> counts{50};
      for (const auto& kv : spacings) counts.push_back(kv.first);
      std::int64_t steps = 0;
      for (auto cand : counts) {
        s.set_timesteps(cand);
        const auto tv = int_values(s.timesteps());
        if (std::find(tv.begin(), tv.end(), t) != tv.end()) {
          steps = cand;
          break;
        }
      }
      if (steps == 0) {
        rep.add(failed_check("scheduler." + n, "no inference step count has timestep " + std::to_string(t)));
        continue;
      }
      const auto out = s.ddim_step(get(f, "step.model_output"), t, get(f, "step.sample"), eta,
                                   f->contains("step.variance_noise") ? get(f, "step.variance_noise")
                                                                      : torch::Tensor());
      rep.compare("scheduler." + n, want_prev ? out.prev_sample : out.pred_original_sample, get(f, n));
    }
  });
}

}  // namespace

std::vector<CheckResult> model_checks(const std::filesystem::path& dir) {
  Report rep;
  if (!fs::exists(dir / "fixtures")) {
    rep.add(failed_check("fixtures", "no fixtures/ folder in " + dir.string()));
    return rep.results;
  }
  auto section = [&](const std::string& name, const std::function<void()>& fn) { rep.guard(name, fn); };
  section("scheduler", [&] { scheduler_checks(rep, dir); });
  for (const auto& fam : fixture_families(dir, std::regex("unet_(.+)_cfg\\.safetensors")))
    section("unet_" + fam, [&] { unet_family_checks(rep, dir, fam); });
  for (const auto& fam : fixture_families(dir, std::regex("sds_(.+)\\.safetensors")))
    section("sds_" + fam, [&] { sds_checks(rep, dir, fam); });
  section("ip2p", [&] { ip2p_checks(rep, dir); });
  for (const auto& fam : fixture_families(dir, std::regex("controlnet_(.+)\\.safetensors")))
    section("controlnet_" + fam, [&] { controlnet_checks(rep, dir, fam); });
  section("vae", [&] { vae_checks(rep, dir); });
  return rep.results;
}

std::vector<CheckResult> run_fixture_checks(const std::filesystem::path& dir) {
  std::vector<CheckResult> all;
  auto append = [&](const char* group, const std::function<std::vector<CheckResult>()>& fn) {
    try {
      auto r = fn();
      all.insert(all.end(), r.begin(), r.end());
    } catch (const std::exception& e) {
      all.push_back(failed_check(group, e.what()));
    }
  };
  append("tokenizer", [&] { return tokenizer_checks(dir); });
  append("text_encoder", [&] { return text_encoder_checks(dir); });
  append("models", [&] { return model_checks(dir); });
  return all;
}

}  // namespace faceg2e::diffusion
