#pragma once
// Reading a JSON file with an error that names it.
#include <filesystem>
#include <nlohmann/json.hpp>

namespace faceg2e {

// The parsed file. NotFoundError when it is missing, FormatError naming it ("invalid JSON: ...")
// when it does not parse.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace faceg2e
