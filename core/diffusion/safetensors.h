#pragma once
// Safetensors as torch tensors, over the torch-free reader/writer of core/util/safetensors_format.h
// (which validates the header length, JSON, dtypes, shapes and data offsets against the file
// size before any tensor is touched; a bad file throws FormatError naming the file and field).
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/util/safetensors_format.h"

namespace faceg2e::diffusion {

// The format itself (header validation, raw access, writing) lives in core/util; these names
// stay for the torch side.
using StDtype = safetensors::Dtype;
using StTensorInfo = safetensors::TensorInfo;

class SafetensorsFile {
 public:
  // Opens and validates. Throws FormatError / NotFoundError.
  static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_->path(); }
  std::vector<std::string> names() const { return file_->names(); }  // sorted
  bool contains(const std::string& name) const { return file_->contains(name); }
  const StTensorInfo& info(const std::string& name) const { return file_->info(name); }
  const std::map<std::string, std::string>& metadata() const { return file_->metadata(); }

  // Copies one tensor out of the mapping, converted to `dtype` (default: float32 for float
  // tensors, the stored type for integers). The result owns its memory (CPU).
  torch::Tensor load(const std::string& name,
                     c10::optional<torch::ScalarType> dtype = c10::nullopt) const;

 private:
  explicit SafetensorsFile(std::shared_ptr<const safetensors::File> f) : file_(std::move(f)) {}
  std::shared_ptr<const safetensors::File> file_;
};

// Writes a safetensors file atomically (used by tests and converters). Tensors must be CPU and
// contiguous-able; metadata goes into "__metadata__".
void save_safetensors(const std::filesystem::path& path,
                      const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace faceg2e::diffusion
