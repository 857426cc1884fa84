#include "core/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/util/error.h"

namespace faceg2e {
namespace fs = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

fs::path temp_path_for(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  return path.parent_path() /
         ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
          std::to_string(counter++));
}

void fsync_path(const fs::path& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) {
    if (directory) return;  // Some filesystems refuse to open folders; the data is still synced.
    throw Error("cannot open " + path.string() + " to sync: " + errno_text());
  }
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (rc != 0 && !directory) {
    errno = saved;
    throw Error("cannot sync " + path.string() + ": " + errno_text());
  }
}

void commit(const fs::path& tmp, const fs::path& path) {
  fsync_path(tmp, false);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    std::error_code ec;
    fs::remove(tmp, ec);
    throw Error("cannot rename " + tmp.string() + " to " + path.string() + ": " + why);
  }
  fsync_path(path.parent_path().empty() ? fs::path(".") : path.parent_path(), true);
}

}  // namespace

void write_file_atomic(const fs::path& path,
                       const std::function<void(std::ostream&)>& writer) {
  const fs::path tmp = temp_path_for(path);
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw Error("cannot create " + tmp.string() + ": " + errno_text());
      writer(out);
      out.flush();
      if (!out) throw Error("cannot write " + tmp.string() + " (disk full?)");
    }
    commit(tmp, path);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  write_file_atomic(path, [&](std::ostream& out) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  });
}

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw NotFoundError("file not found: " + path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open " + path.string() + ": " + errno_text());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("cannot read " + path.string());
  return ss.str();
}

}  // namespace faceg2e
