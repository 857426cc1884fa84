#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "core/diffusion/safetensors.h"
#include "core/diffusion/state_dict.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/common/scratch_dir.h"

namespace fs = std::filesystem;
using namespace faceg2e;
using namespace faceg2e::diffusion;

namespace {

fs::path temp_dir() { return faceg2e::testing::scratch_dir("st_test"); }

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream os(p, std::ios::binary | std::ios::trunc);
  os.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Builds a file by hand (independent of save_safetensors) from a header JSON and a data size.
std::string make_file(const std::string& header, std::size_t data_bytes, char fill = 0) {
  std::string out(8, '\0');
  std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += header;
  out += std::string(data_bytes, fill);
  return out;
}

void expect_format_error(const std::string& bytes, const std::string& label) {
  const auto p = temp_dir() / "bad.safetensors";
  write_bytes(p, bytes);
  try {
    auto f = SafetensorsFile::open(p);
    ADD_FAILURE() << label << ": accepted";
  } catch (const FormatError&) {
  } catch (const std::exception& e) {
    ADD_FAILURE() << label << ": wrong exception: " << e.what();
  }
}

}  // namespace

TEST(Safetensors, RoundTripAllDtypesAndMetadata) {
  std::map<std::string, torch::Tensor> t;
  t["a.f32"] = torch::randn({3, 4});
  t["b.f16"] = torch::randn({5}).to(torch::kHalf);
  t["c.bf16"] = torch::randn({2, 2}).to(torch::kBFloat16);
  t["d.f64"] = torch::randn({7}, torch::kDouble);
  t["e.i64"] = torch::arange(6, torch::kLong).reshape({2, 3});
  t["f.i32"] = torch::arange(5, torch::kInt);
  t["g.i16"] = torch::arange(3, torch::kShort);
  t["h.i8"] = torch::arange(-3, 3, torch::kChar);
  t["i.u8"] = torch::arange(9, torch::kByte);
  t["j.bool"] = torch::tensor({true, false, true});
  t["k.empty"] = torch::zeros({0, 3});
  t["l.scalar"] = torch::tensor(3.5f);
  const auto p = temp_dir() / "rt.safetensors";
  save_safetensors(p, t, {{"format", "pt"}, {"note", "x"}});
  auto f = SafetensorsFile::open(p);
  EXPECT_EQ(f->metadata().at("format"), "pt");
  EXPECT_EQ(f->metadata().at("note"), "x");
  EXPECT_EQ(f->names().size(), t.size());
  for (const auto& kv : t) {
    ASSERT_TRUE(f->contains(kv.first));
    const auto stored = f->load(kv.first, kv.second.scalar_type());
    EXPECT_EQ(stored.scalar_type(), kv.second.scalar_type()) << kv.first;
    EXPECT_TRUE(torch::equal(stored, kv.second)) << kv.first;
  }
  // Default: float tensors come out as float32, integers keep their type.
  EXPECT_EQ(f->load("b.f16").scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(f->load("b.f16"), t["b.f16"].to(torch::kFloat)));
  EXPECT_EQ(f->load("e.i64").scalar_type(), torch::kLong);
  EXPECT_EQ(f->info("a.f32").dtype, StDtype::F32);
  EXPECT_THROW(f->info("nope"), FormatError);
  // Loaded tensors own their memory: they survive the file object.
  auto keep = f->load("a.f32");
  f.reset();
  EXPECT_TRUE(torch::equal(keep, t["a.f32"]));
}

TEST(Safetensors, HandMadeFileReadsValues) {
  // 2 float32 values 1.0 and -2.0, little-endian, written without save_safetensors.
  std::string data = std::string("\x00\x00\x80\x3f", 4) + std::string("\x00\x00\x00\xc0", 4);
  std::string bytes = make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 0) + data;
  const auto p = temp_dir() / "hand.safetensors";
  write_bytes(p, bytes);
  auto f = SafetensorsFile::open(p);
  const auto x = f->load("x");
  EXPECT_FLOAT_EQ(x[0].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(x[1].item<float>(), -2.0f);
}

TEST(Safetensors, RejectsBadHeaders) {
  const std::string ok = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  expect_format_error(std::string(3, '\0'), "short file");
  {
    std::string b = make_file(ok, 8);
    b[0] = '\xff';  // header length far beyond the file
    expect_format_error(b, "length beyond file");
  }
  {
    std::string b = make_file(ok, 8);
    for (int i = 0; i < 8; ++i) b[i] = '\xff';
    expect_format_error(b, "length 2^64-1");
  }
  expect_format_error(make_file("{not json", 8), "bad json");
  expect_format_error(make_file("[1,2]", 8), "not an object");
  expect_format_error(make_file(R"({"x":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", 8), "unknown dtype");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "negative shape");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}})", 8), "end beyond data");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[4,0]}})", 8), "begin > end");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 12), "size mismatch");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[-1,8]}})", 8), "negative offset");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8), "one offset");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":"2","data_offsets":[0,8]}})", 8), "shape string");
  expect_format_error(make_file(R"({"x":{"shape":[2],"data_offsets":[0,8]}})", 8), "no dtype");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8), "float dim");
  expect_format_error(make_file(R"({"x":5})", 8), "entry not object");
  expect_format_error(make_file(R"({"__metadata__":{"a":1}})", 0), "metadata non-string");
  expect_format_error(
      make_file(R"({"x":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", 8),
      "element count overflow");
  expect_format_error(
      make_file(R"({"x":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})", 8),
      "byte size overflow");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                12),
                      "overlap");
  expect_format_error(make_file(R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                R"("y":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})",
                                8),
                      "identical ranges");
}

TEST(Safetensors, RejectsMissingFile) {
  EXPECT_THROW(SafetensorsFile::open(temp_dir() / "does_not_exist.safetensors"), NotFoundError);
}

TEST(Safetensors, TruncatedFilesAreRejected) {
  std::map<std::string, torch::Tensor> t{{"w", torch::randn({4, 4})}, {"b", torch::randn({4})}};
  const auto p = temp_dir() / "full.safetensors";
  save_safetensors(p, t);
  const std::string bytes = read_file(p);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut)
    expect_format_error(bytes.substr(0, cut), "cut at " + std::to_string(cut));
}

TEST(Safetensors, RandomCorruptionNeverCrashes) {
  std::map<std::string, torch::Tensor> t{{"w", torch::randn({3, 5})},
                                         {"h", torch::randn({6}).to(torch::kHalf)},
                                         {"i", torch::arange(4, torch::kLong)}};
  const auto p = temp_dir() / "src.safetensors";
  save_safetensors(p, t, {{"k", "v"}});
  const std::string bytes = read_file(p);
  std::uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[i]);
  std::mt19937 rng(1234);
  std::uniform_int_distribution<std::size_t> pos(0, 8 + header_len - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> nflips(1, 4);
  const auto q = temp_dir() / "fuzz.safetensors";
  int rejected = 0;
  for (int it = 0; it < 1500; ++it) {
    std::string b = bytes;
    const int n = nflips(rng);
    for (int k = 0; k < n; ++k) b[pos(rng)] = static_cast<char>(byte(rng));
    write_bytes(q, b);
    try {
      auto f = SafetensorsFile::open(q);
      for (const auto& name : f->names()) (void)f->load(name);
    } catch (const FormatError&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "iteration " << it << ": non-format exception " << e.what();
    }
  }
  EXPECT_GT(rejected, 500);  // most header corruption must be detected
}

namespace {
struct Tiny : torch::nn::Module {
  Tiny() {
    lin = register_module("lin", torch::nn::Linear(3, 2));
    norm = register_module("norm", torch::nn::BatchNorm1d(2));
  }
  torch::nn::Linear lin{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};
}  // namespace

TEST(LoadInto, CopiesParametersAndBuffersByName) {
  Tiny m;
  StateDict sd;
  for (const auto& p : m.named_parameters()) sd[p.key()] = torch::randn(p.value().sizes(), torch::kDouble);
  for (const auto& b : m.named_buffers())
    sd[b.key()] = b.value().is_floating_point() ? torch::rand(b.value().sizes()) : torch::full(b.value().sizes(), 7, torch::kLong);
  load_into(m, sd, "tiny");
  for (const auto& p : m.named_parameters()) {
    EXPECT_EQ(p.value().scalar_type(), torch::kFloat);
    EXPECT_TRUE(torch::allclose(p.value().to(torch::kDouble), sd[p.key()], 0, 1e-6)) << p.key();
  }
  EXPECT_EQ(m.norm->num_batches_tracked.item<long>(), 7);
  EXPECT_TRUE(torch::equal(m.norm->running_var, sd["norm.running_var"]));
}

TEST(LoadInto, ReportsMissingUnexpectedAndShapeMismatchByName) {
  Tiny m;
  StateDict sd;
  for (const auto& p : m.named_parameters()) sd[p.key()] = torch::zeros(p.value().sizes());
  for (const auto& b : m.named_buffers()) sd[b.key()] = torch::zeros(b.value().sizes(), b.value().dtype());
  {
    auto bad = sd;
    bad.erase("lin.bias");
    try {
      load_into(m, bad, "tiny-model");
      FAIL();
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("lin.bias"), std::string::npos) << msg;
      EXPECT_NE(msg.find("missing"), std::string::npos) << msg;
      EXPECT_NE(msg.find("tiny-model"), std::string::npos) << msg;
    }
  }
  {
    auto bad = sd;
    bad["extra.weight"] = torch::zeros({1});
    try {
      load_into(m, bad, "tiny");
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("extra.weight"), std::string::npos);
    }
  }
  {
    auto bad = sd;
    bad["lin.weight"] = torch::zeros({3, 2});
    const auto before = m.lin->weight.clone();
    try {
      load_into(m, bad, "tiny");
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("lin.weight"), std::string::npos);
    }
    EXPECT_TRUE(torch::equal(before, m.lin->weight));  // nothing copied on failure
  }
}

TEST(Safetensors, AnotherKindOfFileIsNamedAsSuch) {
  // A diffusers config.json given where a checkpoint belongs: its first 8 bytes read as a
  // huge header length; the message says what the file is instead.
  const auto p = temp_dir() / "config.json";
  write_bytes(p, "{\n  \"_class_name\": \"UNet2DConditionModel\",\n  \"in_channels\": 4\n}\n");
  try {
    auto f = SafetensorsFile::open(p);
    FAIL() << "accepted a JSON file";
  } catch (const FormatError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("not a safetensors file"), std::string::npos) << m;
    EXPECT_NE(m.find("JSON"), std::string::npos) << m;
    EXPECT_NE(m.find("config.json"), std::string::npos) << m;
  }
  write_bytes(p, "hello");
  try {
    auto f = SafetensorsFile::open(p);
    FAIL() << "accepted a 5-byte file";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("not a safetensors file"), std::string::npos) << e.what();
  }
}
