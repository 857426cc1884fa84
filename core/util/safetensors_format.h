#pragma once
// The safetensors file format, torch-free: header parsing and validation, a memory-mapped
// reader with raw byte access, and an atomic writer from raw buffers. core/diffusion wraps it
// with torch tensors (diffusion/safetensors.h); core/session stores face states with it. This
// is the one place that knows the format.
//
// Layout: u64 little-endian header length N, N bytes of JSON
//   {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"key": "string", ...}}
// then the data section; offsets are relative to it.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace faceg2e::safetensors {

enum class Dtype { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

const char* dtype_name(Dtype d);  // "F32", ...
std::size_t dtype_size(Dtype d);  // bytes per element
bool is_float(Dtype d);           // F32, F16, BF16, F64

struct TensorInfo {
  Dtype dtype = Dtype::F32;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  // byte offset relative to the data section
  std::uint64_t end = 0;
  std::uint64_t numel() const;
};

struct Header {
  std::uint64_t data_offset = 0;  // 8 + header length: where the data section starts
  std::map<std::string, TensorInfo> tensors;
  std::map<std::string, std::string> metadata;
};

// Parses and validates the header of a file of `size` bytes whose first bytes are `bytes`
// (all `size` bytes must be readable): header length within the file and under 100 MB, JSON
// object, known dtypes, non-negative shapes without overflow, offsets inside the data section
// that match shape x dtype, no overlapping tensors. Throws FormatError naming `file` and the
// tensor/field.
Header parse_header(const unsigned char* bytes, std::uint64_t size, const std::string& file);

// A validated, read-only mapping of a safetensors file.
class File {
 public:
  // Opens, maps and validates. NotFoundError when missing, FormatError when malformed.
  static std::shared_ptr<const File> open(const std::filesystem::path& path);
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::vector<std::string> names() const;  // sorted
  bool contains(const std::string& name) const { return header_.tensors.count(name) != 0; }
  // FormatError naming the file and tensor when absent.
  const TensorInfo& info(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }

  // The tensor's bytes inside the mapping (little-endian, possibly unaligned).
  const unsigned char* bytes(const std::string& name) const;

  // An F32 tensor copied out. FormatError naming the file and tensor when it is absent, not
  // F32, or (when `expected_rank` >= 0) of another rank.
  std::vector<float> read_f32(const std::string& name, int expected_rank = -1) const;

 private:
  File() = default;
  std::filesystem::path path_;
  void* map_ = nullptr;
  std::size_t map_size_ = 0;
  Header header_;
};

// One tensor to write: `data` points at numel(shape) * dtype_size(dtype) bytes, little-endian.
struct TensorBytes {
  Dtype dtype = Dtype::F32;
  std::vector<std::int64_t> shape;
  const void* data = nullptr;
};

// Writes a safetensors file atomically (temp + fsync + rename). Tensors are laid out in name
// order with an 8-byte aligned data section, so equal input gives equal bytes. Throws Error /
// FormatError naming the file.
void write_file(const std::filesystem::path& path,
                const std::map<std::string, TensorBytes>& tensors,
                const std::map<std::string, std::string>& metadata = {});

}  // namespace faceg2e::safetensors
