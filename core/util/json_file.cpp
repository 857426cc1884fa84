#include "core/util/json_file.h"

#include <string>

#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace faceg2e {

nlohmann::json read_json_file(const std::filesystem::path& path) {
  const std::string text = read_file(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path.string(), std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace faceg2e
