#include "core/diffusion/safetensors.h"

#include <torch/torch.h>

#include <cstring>

#include "core/util/error.h"

namespace faceg2e::diffusion {
namespace {

torch::ScalarType scalar_of(StDtype d) {
  switch (d) {
    case StDtype::F32:
      return torch::kFloat;
    case StDtype::F16:
      return torch::kHalf;
    case StDtype::BF16:
      return torch::kBFloat16;
    case StDtype::F64:
      return torch::kDouble;
    case StDtype::I64:
      return torch::kLong;
    case StDtype::I32:
      return torch::kInt;
    case StDtype::I16:
      return torch::kShort;
    case StDtype::I8:
      return torch::kChar;
    case StDtype::U8:
      return torch::kByte;
    case StDtype::BOOL:
      return torch::kBool;
  }
  throw Error("unknown safetensors dtype enum");
}

StDtype dtype_of_scalar(torch::ScalarType s, const std::string& file, const std::string& name) {
  for (StDtype d : {StDtype::F32, StDtype::F16, StDtype::BF16, StDtype::F64, StDtype::I64,
                    StDtype::I32, StDtype::I16, StDtype::I8, StDtype::U8, StDtype::BOOL})
    if (scalar_of(d) == s) return d;
  throw FormatError(file, "tensor '" + name + "': dtype " + std::string(c10::toString(s)) +
                              " cannot be stored in safetensors");
}

}  // namespace

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  return std::shared_ptr<SafetensorsFile>(new SafetensorsFile(safetensors::File::open(path)));
}

torch::Tensor SafetensorsFile::load(const std::string& name,
                                    c10::optional<torch::ScalarType> dtype) const {
  const StTensorInfo& ti = info(name);
  const torch::ScalarType stored = scalar_of(ti.dtype);
  const torch::ScalarType target =
      dtype ? *dtype : (safetensors::is_float(ti.dtype) ? torch::kFloat : stored);
  const unsigned char* src = file_->bytes(name);
  const std::size_t item = safetensors::dtype_size(ti.dtype);
  // from_blob views the read-only mapping; the single copy/conversion below makes it owned.
  // Safetensors data is little-endian like every platform we build for.
  if (reinterpret_cast<std::uintptr_t>(src) % item != 0) {
    // Misaligned data (legal in the format): copy bytes first.
    auto raw = torch::empty(ti.shape, torch::TensorOptions().dtype(stored));
    if (ti.end > ti.begin) std::memcpy(raw.data_ptr(), src, ti.end - ti.begin);
    return target == stored ? raw : raw.to(target);
  }
  auto view = torch::from_blob(const_cast<unsigned char*>(src), ti.shape,
                               torch::TensorOptions().dtype(stored));
  if (target == stored) return view.clone();
  return view.to(target);  // conversion allocates a new owned tensor
}

void save_safetensors(const std::filesystem::path& path,
                      const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Keeps the contiguous CPU copies alive until the bytes are written.
  std::vector<torch::Tensor> keep;
  keep.reserve(tensors.size());
  std::map<std::string, safetensors::TensorBytes> raw;
  for (const auto& kv : tensors) {
    auto t = kv.second.detach().to(torch::kCPU).contiguous();
    safetensors::TensorBytes b;
    b.dtype = dtype_of_scalar(t.scalar_type(), path.string(), kv.first);
    b.shape = t.sizes().vec();
    b.data = t.data_ptr();
    keep.push_back(std::move(t));
    raw.emplace(kv.first, std::move(b));
  }
  safetensors::write_file(path, raw, metadata);
}

}  // namespace faceg2e::diffusion
