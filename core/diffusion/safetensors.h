#pragma once
// Memory-mapped safetensors reader. The header length, JSON, dtypes, shapes and data offsets
// are validated against the file size before any tensor is touched; a bad file throws
// faceg2e::FormatError naming the file and the field, never crashes.
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace faceg2e::diffusion {

enum class StDtype { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

struct StTensorInfo {
  StDtype dtype;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // byte offset relative to the data section
  std::uint64_t end = 0;
};

class SafetensorsFile {
 public:
  // Opens and validates. Throws FormatError / NotFoundError.
  static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);
  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const;
  const StTensorInfo& info(const std::string& name) const;  // throws FormatError if absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Copies one tensor out of the mapping, converted to `dtype` (default: float32 for float
  // tensors, the stored type for integers). The result owns its memory (CPU).
  torch::Tensor load(const std::string& name,
                     c10::optional<torch::ScalarType> dtype = c10::nullopt) const;

 private:
  SafetensorsFile() = default;
  std::filesystem::path path_;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::size_t data_offset_ = 0;
  std::map<std::string, StTensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Writes a safetensors file atomically (used by tests and converters). Tensors must be CPU and
// contiguous-able; metadata goes into "__metadata__".
void save_safetensors(const std::filesystem::path& path,
                      const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace faceg2e::diffusion
