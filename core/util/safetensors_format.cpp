#include "core/util/safetensors_format.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e::safetensors {
namespace {

// A header larger than this is not a real checkpoint (the spec's reference reader uses the same
// bound) and would only make us allocate for garbage.
constexpr std::uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

struct DtypeDesc {
  const char* name;
  Dtype dtype;
  std::size_t item_size;
};

constexpr DtypeDesc kDtypes[] = {
    {"F32", Dtype::F32, 4},   {"F16", Dtype::F16, 2}, {"BF16", Dtype::BF16, 2},
    {"F64", Dtype::F64, 8},   {"I64", Dtype::I64, 8}, {"I32", Dtype::I32, 4},
    {"I16", Dtype::I16, 2},   {"I8", Dtype::I8, 1},   {"U8", Dtype::U8, 1},
    {"BOOL", Dtype::BOOL, 1},
};

const DtypeDesc& desc_of(Dtype d) {
  for (const auto& x : kDtypes)
    if (x.dtype == d) return x;
  throw Error("unknown safetensors dtype enum");
}

// Why a file that fails the header checks is not a safetensors file, in words a user can act
// on: what its first bytes look like.
std::string not_safetensors_reason(const unsigned char* bytes, std::uint64_t size) {
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, 24));
  std::string head;
  bool text = true;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c = bytes[i];
    if (c == '\n' || c == '\r' || c == '\t') {
      head += ' ';
    } else if (c >= 0x20 && c < 0x7F) {
      head += static_cast<char>(c);
    } else {
      text = false;
      head += '.';
    }
  }
  std::size_t first = 0;
  while (first < n && std::isspace(bytes[first])) ++first;
  std::string kind;
  if (n >= 2 && bytes[0] == 'P' && bytes[1] == 'K')
    kind = "a zip archive (a PyTorch .ckpt/.pt?)";
  else if (n >= 1 && bytes[0] == 0x80)
    kind = "a Python pickle";
  else if (first < n && (bytes[first] == '{' || bytes[first] == '['))
    kind = "JSON text";
  else if (text)
    kind = "a text file";
  else
    kind = "binary data of another format";
  return "not a safetensors file: it looks like " + kind + " (it starts with \"" + head +
         "\"); a safetensors file starts with an 8-byte header length followed by a JSON header";
}

std::uint64_t read_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

TensorInfo parse_tensor_entry(const std::string& name, const nlohmann::json& v,
                              std::uint64_t data_size, const std::string& file) {
  const std::string where = "tensor '" + name + "'";
  if (!v.is_object()) throw FormatError(file, where + " entry is not an object");
  const auto dt = v.find("dtype");
  const auto sh = v.find("shape");
  const auto off = v.find("data_offsets");
  if (dt == v.end() || !dt->is_string())
    throw FormatError(file, where + ": missing or non-string 'dtype'");
  if (sh == v.end() || !sh->is_array())
    throw FormatError(file, where + ": missing or non-array 'shape'");
  if (off == v.end() || !off->is_array() || off->size() != 2)
    throw FormatError(file, where + ": 'data_offsets' must be an array of two integers");

  TensorInfo info{};
  const std::string dts = dt->get<std::string>();
  const DtypeDesc* desc = nullptr;
  for (const auto& x : kDtypes)
    if (dts == x.name) desc = &x;
  if (!desc) throw FormatError(file, where + ": unknown dtype '" + dts + "'");
  info.dtype = desc->dtype;

  std::uint64_t numel = 1;
  for (const auto& d : *sh) {
    if (!d.is_number_integer()) throw FormatError(file, where + ": shape entries must be integers");
    if (d.is_number_unsigned()) {
      const auto u = d.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw FormatError(file, where + ": shape dimension too large");
      info.shape.push_back(static_cast<std::int64_t>(u));
    } else {
      const auto s = d.get<std::int64_t>();
      if (s < 0) throw FormatError(file, where + ": negative shape dimension");
      info.shape.push_back(s);
    }
    const auto dim = static_cast<std::uint64_t>(info.shape.back());
    if (dim != 0 && numel > std::numeric_limits<std::uint64_t>::max() / dim)
      throw FormatError(file, where + ": element count overflows");
    numel *= dim;
  }
  if (numel > std::numeric_limits<std::uint64_t>::max() / desc->item_size)
    throw FormatError(file, where + ": byte size overflows");
  const std::uint64_t nbytes = numel * desc->item_size;

  for (int i = 0; i < 2; ++i)
    if (!(*off)[i].is_number_unsigned() &&
        !((*off)[i].is_number_integer() && (*off)[i].get<std::int64_t>() >= 0))
      throw FormatError(file, where + ": data_offsets must be non-negative integers");
  info.begin = (*off)[0].get<std::uint64_t>();
  info.end = (*off)[1].get<std::uint64_t>();
  if (info.begin > info.end) throw FormatError(file, where + ": data_offsets begin > end");
  if (info.end > data_size)
    throw FormatError(file, where + ": data_offsets end " + std::to_string(info.end) +
                                " beyond the data section (" + std::to_string(data_size) +
                                " bytes)");
  if (info.end - info.begin != nbytes)
    throw FormatError(file, where + ": data_offsets span " + std::to_string(info.end - info.begin) +
                                " bytes but shape and dtype need " + std::to_string(nbytes));
  return info;
}

}  // namespace

const char* dtype_name(Dtype d) { return desc_of(d).name; }
std::size_t dtype_size(Dtype d) { return desc_of(d).item_size; }
bool is_float(Dtype d) {
  return d == Dtype::F32 || d == Dtype::F16 || d == Dtype::BF16 || d == Dtype::F64;
}

std::uint64_t TensorInfo::numel() const {
  std::uint64_t n = 1;
  for (auto d : shape) n *= static_cast<std::uint64_t>(d);
  return n;
}

Header parse_header(const unsigned char* bytes, std::uint64_t size, const std::string& file) {
  if (size < 8)
    throw FormatError(file, "not a safetensors file: it is " + std::to_string(size) +
                                " bytes, too short for the 8-byte header length");
  const std::uint64_t header_len = read_u64_le(bytes);
  // The JSON header starts right after the length: anything else is another kind of file, and
  // saying so beats reporting an absurd header length (a JSON file's first 8 bytes read as one).
  if (header_len > size - 8 || header_len < 2 || bytes[8] != '{')
    throw FormatError(file, not_safetensors_reason(bytes, size) + " (header length field " +
                                std::to_string(header_len) + ", file size " +
                                std::to_string(size) + ")");
  if (header_len > size - 8)
    throw FormatError(file, "header length " + std::to_string(header_len) +
                                " exceeds the file size " + std::to_string(size));
  if (header_len > kMaxHeaderBytes)
    throw FormatError(file, "header length " + std::to_string(header_len) + " exceeds 100 MB");
  if (header_len < 2)
    throw FormatError(file,
                      "header length " + std::to_string(header_len) + " is too short for JSON");
  Header h;
  h.data_offset = 8 + header_len;
  const std::uint64_t data_size = size - h.data_offset;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(reinterpret_cast<const char*>(bytes + 8),
                                   reinterpret_cast<const char*>(bytes + 8 + header_len));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(file, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw FormatError(file, "header is not a JSON object");

  struct Range {
    std::uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Range> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) throw FormatError(file, "__metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string())
          throw FormatError(file, "__metadata__['" + m.key() + "'] is not a string");
        h.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto ins = h.tensors.emplace(name, parse_tensor_entry(name, v, data_size, file));
    if (!ins.second) throw FormatError(file, "tensor '" + name + "' appears twice");
    ranges.push_back({ins.first->second.begin, ins.first->second.end, &ins.first->first});
  }

  // Overlapping tensors would alias each other's bytes; the spec forbids them.
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].begin < ranges[i - 1].end)
      throw FormatError(file, "tensors '" + *ranges[i - 1].name + "' and '" + *ranges[i].name +
                                  "' overlap in the data section");
  }
  return h;
}

std::shared_ptr<const File> File::open(const std::filesystem::path& path) {
  const std::string file = path.string();
  std::shared_ptr<File> f(new File());
  f->path_ = path;

  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw NotFoundError("file not found: " + file);
    throw Error("cannot open " + file + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw Error("cannot stat " + file + ": " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw FormatError(file, "not a regular file");
  }
  const std::uint64_t size = static_cast<std::uint64_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw FormatError(file, "not a safetensors file: it is " + std::to_string(size) +
                                " bytes, too short for the 8-byte header length");
  }
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (m == MAP_FAILED) throw Error("cannot map " + file + ": " + std::strerror(map_errno));
  f->map_ = m;
  f->map_size_ = size;
  f->header_ = parse_header(static_cast<const unsigned char*>(m), size, file);
  return f;
}

File::~File() {
  if (map_) ::munmap(map_, map_size_);
}

std::vector<std::string> File::names() const {
  std::vector<std::string> out;
  out.reserve(header_.tensors.size());
  for (const auto& kv : header_.tensors) out.push_back(kv.first);
  return out;
}

const TensorInfo& File::info(const std::string& name) const {
  const auto it = header_.tensors.find(name);
  if (it == header_.tensors.end())
    throw FormatError(path_.string(), "no tensor named '" + name + "'");
  return it->second;
}

const unsigned char* File::bytes(const std::string& name) const {
  return static_cast<const unsigned char*>(map_) + header_.data_offset + info(name).begin;
}

std::vector<float> File::read_f32(const std::string& name, int expected_rank) const {
  const TensorInfo& ti = info(name);
  if (ti.dtype != Dtype::F32)
    throw FormatError(path_.string(),
                      "tensor '" + name + "': dtype " + dtype_name(ti.dtype) + ", expected F32");
  if (expected_rank >= 0 && ti.shape.size() != std::size_t(expected_rank))
    throw FormatError(path_.string(), "tensor '" + name + "': rank " +
                                          std::to_string(ti.shape.size()) + ", expected " +
                                          std::to_string(expected_rank));
  std::vector<float> out(ti.numel());
  if (!out.empty()) std::memcpy(out.data(), bytes(name), out.size() * sizeof(float));
  return out;
}

void write_file(const std::filesystem::path& path,
                const std::map<std::string, TensorBytes>& tensors,
                const std::map<std::string, std::string>& metadata) {
  const std::string file = path.string();
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) {
    nlohmann::json m = nlohmann::json::object();
    for (const auto& kv : metadata) m[kv.first] = kv.second;
    header["__metadata__"] = m;
  }
  std::vector<std::pair<const void*, std::uint64_t>> chunks;
  chunks.reserve(tensors.size());
  std::uint64_t offset = 0;
  for (const auto& kv : tensors) {
    if (kv.first == "__metadata__")
      throw FormatError(file, "tensor name '__metadata__' is reserved");
    std::uint64_t numel = 1;
    for (auto d : kv.second.shape) {
      if (d < 0) throw FormatError(file, "tensor '" + kv.first + "': negative shape dimension");
      numel *= static_cast<std::uint64_t>(d);
    }
    const std::uint64_t nbytes = numel * dtype_size(kv.second.dtype);
    if (nbytes && !kv.second.data) throw FormatError(file, "tensor '" + kv.first + "': no data");
    header[kv.first] = {{"dtype", dtype_name(kv.second.dtype)},
                        {"shape", kv.second.shape},
                        {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
    chunks.emplace_back(kv.second.data, nbytes);
  }
  std::string h = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned (allowed by the format).
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');
  write_file_atomic(path, [&](std::ostream& os) {
    unsigned char len[8];
    const std::uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
    os.write(reinterpret_cast<const char*>(len), 8);
    os.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& c : chunks)
      if (c.second)
        os.write(static_cast<const char*>(c.first), static_cast<std::streamsize>(c.second));
  });
}

}  // namespace faceg2e::safetensors
