#pragma once
// SHA-256 (FIPS 180-4), torch-free: history entries record the hash of every model file they
// used, so an edit can be traced to exact weights.
#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace faceg2e {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // The digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> finish();
  std::string finish_hex();  // 64 lowercase hex digits

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buf_{};
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

std::string sha256_hex(std::string_view bytes);

// Streams the file. NotFoundError / Error naming the path.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace faceg2e
