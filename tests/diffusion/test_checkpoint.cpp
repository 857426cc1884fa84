#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "core/diffusion/checkpoint.h"
#include "core/diffusion/safetensors.h"
#include "core/util/error.h"
#include "tests/common/scratch_dir.h"
#include "tests/common/shared_dir.h"

namespace fs = std::filesystem;
using namespace faceg2e;
using namespace faceg2e::diffusion;

namespace {

fs::path ref_dir() {
  return faceg2e::testing::shared_dir() / "fixtures/sd-reference";
}
fs::path ckpt(const std::string& n) { return ref_dir() / "checkpoints" / n; }
fs::path model(const std::string& n) { return ref_dir() / "models" / n; }

fs::path temp_dir() { return faceg2e::testing::scratch_dir("ckpt_test"); }

// Names, shapes and values all equal (values exactly: the conversions only rename/split).
void expect_same_tensors(const StateDict& got, const StateDict& want, const std::string& what) {
  std::vector<std::string> missing, extra, differ;
  for (const auto& kv : want) {
    const auto it = got.find(kv.first);
    if (it == got.end()) missing.push_back(kv.first);
    else if (it->second.sizes() != kv.second.sizes() || !torch::equal(it->second, kv.second)) differ.push_back(kv.first);
  }
  for (const auto& kv : got)
    if (!want.count(kv.first)) extra.push_back(kv.first);
  EXPECT_TRUE(missing.empty()) << what << ": " << missing.size() << " missing, e.g. " << (missing.empty() ? "" : missing[0]);
  EXPECT_TRUE(extra.empty()) << what << ": " << extra.size() << " unexpected, e.g. " << (extra.empty() ? "" : extra[0]);
  EXPECT_TRUE(differ.empty()) << what << ": " << differ.size() << " differ, e.g. " << (differ.empty() ? "" : differ[0]);
  EXPECT_GT(want.size(), 10u);
}

void expect_same_fields(const nlohmann::json& got, const nlohmann::json& want, const std::vector<std::string>& keys,
                        const std::string& what) {
  for (const auto& k : keys) {
    ASSERT_TRUE(want.contains(k)) << "reference config lacks " << k;
    ASSERT_TRUE(got.contains(k)) << what << ": inferred config lacks " << k;
    EXPECT_EQ(got[k], want[k]) << what << ": field " << k;
  }
}

const std::vector<std::string> kUNetFields = {
    "block_out_channels", "layers_per_block", "attention_head_dim", "cross_attention_dim", "use_linear_projection",
    "upcast_attention", "in_channels", "out_channels", "down_block_types", "up_block_types", "mid_block_type",
    "transformer_layers_per_block", "norm_num_groups", "flip_sin_to_cos", "freq_shift", "sample_size"};
const std::vector<std::string> kVaeFields = {"block_out_channels", "layers_per_block", "latent_channels", "in_channels",
                                             "out_channels", "down_block_types", "up_block_types", "norm_num_groups",
                                             "scaling_factor", "sample_size"};
const std::vector<std::string> kTextFields = {"hidden_size", "intermediate_size", "num_hidden_layers",
                                              "num_attention_heads", "hidden_act", "max_position_embeddings",
                                              "vocab_size", "eos_token_id", "layer_norm_eps"};
const std::vector<std::string> kControlFields = {
    "block_out_channels", "layers_per_block", "attention_head_dim", "cross_attention_dim", "use_linear_projection",
    "in_channels", "down_block_types", "conditioning_channels", "conditioning_embedding_out_channels",
    "transformer_layers_per_block"};

struct Case {
  const char* file;
  const char* unet;
  const char* text;
};
const Case kCases[] = {{"sd1_ldm.safetensors", "unet_sd1", "text_encoder_sd1"},
                       {"sd2_ldm.safetensors", "unet_sd2", "text_encoder_sd2"},
                       {"ip2p_ldm.safetensors", "unet_ip2p", "text_encoder_sd1"}};

}  // namespace

TEST(Checkpoint, SingleFileUNetsEqualTheDiffusersFolders) {
  for (const auto& c : kCases) {
    const auto got = load_component(ckpt(c.file), Component::UNet);
    const auto want = load_component(model(c.unet), Component::UNet);
    expect_same_tensors(got.tensors, want.tensors, c.file);
    expect_same_fields(got.config, want.config, kUNetFields, c.file);
  }
}

TEST(Checkpoint, SingleFileVaesEqualTheDiffusersFolder) {
  const auto want = load_component(model("vae"), Component::VAE);
  for (const auto& c : kCases) {
    const auto got = load_component(ckpt(c.file), Component::VAE);
    expect_same_tensors(got.tensors, want.tensors, c.file);
    expect_same_fields(got.config, want.config, kVaeFields, c.file);
  }
}

TEST(Checkpoint, SingleFileTextEncodersEqualTheTransformersFolders) {
  for (const auto& c : kCases) {
    const auto got = load_component(ckpt(c.file), Component::TextEncoder);
    const auto want = load_component(model(c.text), Component::TextEncoder);
    expect_same_tensors(got.tensors, want.tensors, c.file);
    expect_same_fields(got.config, want.config, kTextFields, c.file);
  }
}

TEST(Checkpoint, LllyasvielControlNetEqualsTheDiffusersFolder) {
  const auto want = load_component(model("controlnet_sd1"), Component::ControlNet);
  const auto got = load_component(ckpt("controlnet_sd1_lllyasviel.safetensors"), Component::ControlNet);
  expect_same_tensors(got.tensors, want.tensors, "lllyasviel");
  expect_same_fields(got.config, want.config, kControlFields, "lllyasviel");

  // The same weights with the "control_model." prefix (the cldm training layout), no yaml beside.
  const auto src = SafetensorsFile::open(ckpt("controlnet_sd1_lllyasviel.safetensors"));
  std::map<std::string, torch::Tensor> prefixed;
  for (const auto& n : src->names()) prefixed["control_model." + n] = src->load(n, torch::kHalf);
  const auto p = temp_dir() / "prefixed" / "control_prefixed.safetensors";
  fs::create_directories(p.parent_path());
  save_safetensors(p, prefixed);
  const auto got2 = load_component(p, Component::ControlNet);
  expect_same_tensors(got2.tensors, want.tensors, "control_model. prefix");
  EXPECT_EQ(got2.config["attention_head_dim"], 8);  // SD1 default without a yaml
  EXPECT_EQ(inspect_model(p).kind, "controlnet");
}

TEST(Checkpoint, WithoutYamlSd1DefaultsApply) {
  const auto dir = temp_dir() / "noyaml";
  fs::create_directories(dir);
  const auto p = dir / "model.safetensors";
  fs::copy_file(ckpt("sd1_ldm.safetensors"), p, fs::copy_options::overwrite_existing);
  const auto info = inspect_model(p);
  EXPECT_EQ(info.kind, "sd1");
  EXPECT_NE(info.notes.find("no yaml"), std::string::npos);
  const auto got = load_component(p, Component::UNet);
  const auto want = load_component(model("unet_sd1"), Component::UNet);
  expect_same_tensors(got.tensors, want.tensors, "sd1 without yaml");
  EXPECT_EQ(got.config["attention_head_dim"], 8);
}

TEST(Checkpoint, DetectsKindsFlavoursAndChannels) {
  const auto sd1 = inspect_model(ckpt("sd1_ldm.safetensors"));
  EXPECT_EQ(sd1.kind, "sd1");
  EXPECT_EQ(sd1.format, CheckpointFormat::LdmSingleFile);
  EXPECT_EQ(sd1.text_encoder, TextEncoderFlavour::ClipL);
  EXPECT_EQ(sd1.in_channels, 4);
  EXPECT_EQ(sd1.prediction_type, "epsilon");
  EXPECT_TRUE(sd1.has(Component::UNet) && sd1.has(Component::VAE) && sd1.has(Component::TextEncoder));

  const auto sd2 = inspect_model(ckpt("sd2_ldm.safetensors"));
  EXPECT_EQ(sd2.kind, "sd2");
  EXPECT_EQ(sd2.version, "SD 2.x");
  EXPECT_EQ(sd2.text_encoder, TextEncoderFlavour::OpenClip);

  const auto ip2p = inspect_model(ckpt("ip2p_ldm.safetensors"));
  EXPECT_EQ(ip2p.kind, "ip2p");
  EXPECT_EQ(ip2p.in_channels, 8);

  const auto cn = inspect_model(ckpt("controlnet_sd1_lllyasviel.safetensors"));
  EXPECT_EQ(cn.kind, "controlnet");
  EXPECT_EQ(cn.format, CheckpointFormat::LllyasvielControlNet);

  const auto unet2 = inspect_model(model("unet_sd2"));
  EXPECT_EQ(unet2.format, CheckpointFormat::DiffusersComponent);
  EXPECT_EQ(unet2.version, "SD 2.x");
  const auto te2 = inspect_model(model("text_encoder_sd2"));
  EXPECT_EQ(te2.text_encoder, TextEncoderFlavour::OpenClip);
  const auto sch = inspect_model(model("scheduler_ddim"));
  EXPECT_EQ(sch.prediction_type, "epsilon");
  EXPECT_THROW(load_component(ckpt("controlnet_sd1_lllyasviel.safetensors"), Component::UNet), NotFoundError);
  EXPECT_THROW(load_component(model("vae"), Component::UNet), NotFoundError);
}

TEST(Checkpoint, DiffusersPipelineFolderAndShardedWeights) {
  const auto root = temp_dir() / "pipe";
  fs::create_directories(root / "unet");
  fs::create_directories(root / "text_encoder");
  fs::create_directories(root / "scheduler");
  { std::ofstream(root / "model_index.json") << R"({"_class_name":"StableDiffusionPipeline"})"; }
  fs::copy_file(model("scheduler_ddim") / "scheduler_config.json", root / "scheduler" / "scheduler_config.json",
                fs::copy_options::overwrite_existing);
  fs::copy_file(model("text_encoder_sd1") / "config.json", root / "text_encoder" / "config.json",
                fs::copy_options::overwrite_existing);
  fs::copy_file(model("text_encoder_sd1") / "model.safetensors", root / "text_encoder" / "model.safetensors",
                fs::copy_options::overwrite_existing);
  // The UNet split over two shards with an index, as large real checkpoints are.
  fs::copy_file(model("unet_sd1") / "config.json", root / "unet" / "config.json", fs::copy_options::overwrite_existing);
  const auto src = SafetensorsFile::open(model("unet_sd1") / "diffusion_pytorch_model.safetensors");
  std::map<std::string, torch::Tensor> a, b;
  nlohmann::json map = nlohmann::json::object();
  int i = 0;
  for (const auto& n : src->names()) {
    const bool first = (i++ % 2) == 0;
    (first ? a : b)[n] = src->load(n, torch::kHalf);
    map[n] = first ? "part-1.safetensors" : "part-2.safetensors";
  }
  save_safetensors(root / "unet" / "part-1.safetensors", a);
  save_safetensors(root / "unet" / "part-2.safetensors", b);
  { std::ofstream(root / "unet" / "diffusion_pytorch_model.safetensors.index.json") << nlohmann::json{{"weight_map", map}}.dump(); }

  const auto info = inspect_model(root);
  EXPECT_EQ(info.format, CheckpointFormat::DiffusersPipeline);
  EXPECT_EQ(info.kind, "sd1");
  EXPECT_EQ(info.text_encoder, TextEncoderFlavour::ClipL);
  EXPECT_EQ(info.prediction_type, "epsilon");
  EXPECT_EQ(info.scheduler_config, root / "scheduler" / "scheduler_config.json");
  const auto got = load_component(root, Component::UNet);
  const auto want = load_component(model("unet_sd1"), Component::UNet);
  expect_same_tensors(got.tensors, want.tensors, "sharded");
  EXPECT_THROW(load_component(root, Component::VAE), NotFoundError);

  // An index naming a shard outside the folder is refused.
  const auto bad = temp_dir() / "badindex";
  fs::create_directories(bad);
  fs::copy_file(model("unet_sd1") / "config.json", bad / "config.json", fs::copy_options::overwrite_existing);
  { std::ofstream(bad / "diffusion_pytorch_model.safetensors.index.json") << R"({"weight_map":{"x":"../evil.safetensors"}})"; }
  EXPECT_THROW(load_component(bad, Component::UNet), FormatError);
}

TEST(Checkpoint, PickleIsRefusedWithAnExplanation) {
  const auto dir = temp_dir() / "pickle";
  fs::create_directories(dir);
  const auto check = [&](const fs::path& p, const std::string& bytes) {
    { std::ofstream(p, std::ios::binary) << bytes; }
    try {
      inspect_model(p);
      ADD_FAILURE() << p << " accepted";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("arbitrary code"), std::string::npos) << msg;
      EXPECT_NE(msg.find("safetensors"), std::string::npos) << msg;
    }
    EXPECT_THROW(load_component(p, Component::UNet), Error);
  };
  check(dir / "model.ckpt", "anything");
  check(dir / "model.bin", "anything");
  check(dir / "model.pt", "anything");
  check(dir / "zip.safetensors", std::string("PK\x03\x04", 4) + "rest");
  check(dir / "raw.safetensors", std::string("\x80\x02", 2) + "}q\x00");
  // A folder with only pickle weights is refused too.
  fs::create_directories(dir / "unet");
  fs::copy_file(model("unet_sd1") / "config.json", dir / "unet" / "config.json", fs::copy_options::overwrite_existing);
  { std::ofstream(dir / "unet" / "diffusion_pytorch_model.bin") << "x"; }
  EXPECT_THROW(load_component(dir / "unet", Component::UNet), Error);
}

TEST(Checkpoint, UnrecognisedOrCorruptFilesAreClearErrors) {
  const auto dir = temp_dir() / "bad";
  fs::create_directories(dir);
  save_safetensors(dir / "random.safetensors", {{"foo.weight", torch::zeros({2})}});
  EXPECT_THROW(inspect_model(dir / "random.safetensors"), FormatError);
  { std::ofstream(dir / "trunc.safetensors", std::ios::binary) << std::string("\x10\x00\x00", 3); }
  EXPECT_THROW(inspect_model(dir / "trunc.safetensors"), FormatError);
  EXPECT_THROW(inspect_model(dir / "none.safetensors"), NotFoundError);
  // A folder that is not a model says what a model folder holds, and points at the checkpoint
  // inside it.
  try {
    inspect_model(dir);
    ADD_FAILURE() << "a folder of files was inspected as a model";
  } catch (const NotFoundError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("is not a model folder"), std::string::npos) << m;
    EXPECT_NE(m.find("model_index.json"), std::string::npos) << m;
    EXPECT_NE(m.find("diffusion_pytorch_model.safetensors"), std::string::npos) << m;
    EXPECT_NE(m.find(".safetensors: give that file itself"), std::string::npos) << m;
  }
  // A JSON file given as a checkpoint is named as not safetensors.
  { std::ofstream(dir / "model.json") << "{\"_class_name\": \"UNet2DConditionModel\"}"; }
  try {
    inspect_model(dir / "model.json");
    ADD_FAILURE() << "a JSON file was inspected as a model";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("not a safetensors file"), std::string::npos) << e.what();
  }
}

// layers_per_block 1 (the hidden fixture set's UNets): an LDM file written with a hand-typed
// LDM layout for lpb 1 must come back as the diffusers tensors it was made from.
TEST(Checkpoint, LayersPerBlockOneConvertsBack) {
  const std::vector<std::pair<std::string, std::string>> blocks = {
      {"conv_in", "input_blocks.0.0"},
      {"down_blocks.0.resnets.0", "input_blocks.1.0"},      {"down_blocks.0.attentions.0", "input_blocks.1.1"},
      {"down_blocks.0.downsamplers.0.conv", "input_blocks.2.0.op"},
      {"down_blocks.1.resnets.0", "input_blocks.3.0"},      {"down_blocks.1.attentions.0", "input_blocks.3.1"},
      {"down_blocks.1.downsamplers.0.conv", "input_blocks.4.0.op"},
      {"down_blocks.2.resnets.0", "input_blocks.5.0"},      {"down_blocks.2.attentions.0", "input_blocks.5.1"},
      {"down_blocks.2.downsamplers.0.conv", "input_blocks.6.0.op"},
      {"down_blocks.3.resnets.0", "input_blocks.7.0"},
      {"mid_block.resnets.0", "middle_block.0"},            {"mid_block.attentions.0", "middle_block.1"},
      {"mid_block.resnets.1", "middle_block.2"},
      {"up_blocks.0.resnets.0", "output_blocks.0.0"},       {"up_blocks.0.resnets.1", "output_blocks.1.0"},
      {"up_blocks.0.upsamplers.0.conv", "output_blocks.1.1.conv"},
      {"up_blocks.1.resnets.0", "output_blocks.2.0"},       {"up_blocks.1.attentions.0", "output_blocks.2.1"},
      {"up_blocks.1.resnets.1", "output_blocks.3.0"},       {"up_blocks.1.attentions.1", "output_blocks.3.1"},
      {"up_blocks.1.upsamplers.0.conv", "output_blocks.3.2.conv"},
      {"up_blocks.2.resnets.0", "output_blocks.4.0"},       {"up_blocks.2.attentions.0", "output_blocks.4.1"},
      {"up_blocks.2.resnets.1", "output_blocks.5.0"},       {"up_blocks.2.attentions.1", "output_blocks.5.1"},
      {"up_blocks.2.upsamplers.0.conv", "output_blocks.5.2.conv"},
      {"up_blocks.3.resnets.0", "output_blocks.6.0"},       {"up_blocks.3.attentions.0", "output_blocks.6.1"},
      {"up_blocks.3.resnets.1", "output_blocks.7.0"},       {"up_blocks.3.attentions.1", "output_blocks.7.1"},
      {"time_embedding.linear_1", "time_embed.0"},          {"time_embedding.linear_2", "time_embed.2"},
      {"conv_norm_out", "out.0"},                           {"conv_out", "out.2"}};
  const std::vector<std::pair<std::string, std::string>> resnet_leaves = {
      {"norm1.", "in_layers.0."}, {"conv1.", "in_layers.2."}, {"time_emb_proj.", "emb_layers.1."},
      {"norm2.", "out_layers.0."}, {"conv2.", "out_layers.3."}, {"conv_shortcut.", "skip_connection."}};
  const auto full = load_component(model("unet_sd1"), Component::UNet);
  StateDict want;
  std::map<std::string, torch::Tensor> ldm;
  for (const auto& kv : full.tensors) {
    const std::string& n = kv.first;
    for (const auto& [dif, old] : blocks) {
      if (n.compare(0, dif.size() + 1, dif + ".") != 0) continue;
      std::string rest = n.substr(dif.size() + 1);
      if (dif.find("resnets") != std::string::npos) {
        for (const auto& [a, b] : resnet_leaves)
          if (rest.compare(0, a.size(), a) == 0) rest = b + rest.substr(a.size());
      }
      want[n] = kv.second;
      ldm["model.diffusion_model." + old + "." + rest] = kv.second.to(torch::kHalf);
      break;
    }
  }
  ASSERT_GT(want.size(), 100u);
  const auto dir = temp_dir() / "lpb1";
  fs::create_directories(dir);
  save_safetensors(dir / "lpb1.safetensors", ldm);
  const auto got = load_component(dir / "lpb1.safetensors", Component::UNet);
  expect_same_tensors(got.tensors, want, "lpb 1");
  EXPECT_EQ(got.config["layers_per_block"], 1);
  EXPECT_EQ(got.config["block_out_channels"], full.config["block_out_channels"]);
  EXPECT_EQ(got.config["down_block_types"], full.config["down_block_types"]);
  EXPECT_EQ(got.config["up_block_types"], full.config["up_block_types"]);
}
