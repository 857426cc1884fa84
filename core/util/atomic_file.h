#pragma once
// Atomic saves: write to a temporary file beside the target, fsync it, rename it over the
// target, fsync the folder. A crash or a full disk leaves the old file intact.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace faceg2e {

// Writes `bytes` to `path` atomically. Throws faceg2e::Error with the path and errno text.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Streams into the temporary file through `writer`, then commits as above. If `writer` throws,
// the temporary is removed and the target is untouched.
void write_file_atomic(const std::filesystem::path& path,
                       const std::function<void(std::ostream&)>& writer);

// Reads a whole file. Throws NotFoundError / Error with the path.
std::string read_file(const std::filesystem::path& path);

}  // namespace faceg2e
