#pragma once
// SHA-256 (FIPS 180-4), torch-free, for pinning the model files a batch was planned with.
// TODO(lead): the history helper may add a SHA-256 to core/util; when both are in main, keep
// one and switch callers (this one has no dependencies beyond the standard library).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace faceg2e::batch {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The digest as 64 lowercase hex digits. The object is spent afterwards.
  std::string hex_digest();

 private:
  void block(const std::uint8_t* p);
  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view bytes);

// Streams the file. Throws NotFoundError / Error naming the path.
std::string sha256_file(const std::filesystem::path& path);

}  // namespace faceg2e::batch
