#include "core/session/coefficients.h"

#include <cmath>

#include "core/util/error.h"
#include "core/util/json_file.h"

namespace faceg2e::session {

std::string face_model_name(const face::FaceModel& model) {
  const std::string stem = model.source.stem().string();
  return stem.empty() ? "unknown" : stem;
}

std::vector<float> parse_coefficients(const nlohmann::json& j, const std::string& file) {
  const nlohmann::json* list = &j;
  if (j.is_object()) {
    auto it = j.find("coefficients");
    if (it == j.end()) throw FormatError(file, "no 'coefficients' list");
    list = &*it;
  }
  if (!list->is_array()) throw FormatError(file, "'coefficients' is not a list");
  std::vector<float> out;
  out.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const auto& v = (*list)[i];
    if (!v.is_number())
      throw FormatError(file, "coefficient " + std::to_string(i) + " is not a number");
    const double d = v.get<double>();
    if (!std::isfinite(d) || std::abs(d) > 1e6)
      throw FormatError(file, "coefficient " + std::to_string(i) + " is not a finite, sane value");
    out.push_back(static_cast<float>(d));
  }
  return out;
}

std::vector<float> read_coefficients_file(const std::filesystem::path& path) {
  return parse_coefficients(read_json_file(path), path.string());
}

void check_coefficients(const face::FaceCoefficients& c, const face::FaceModel& m,
                        const std::string& what) {
  if (c.identity.size() > std::size_t(m.num_identity))
    throw Error(what + ": " + std::to_string(c.identity.size()) +
                " identity coefficients, but the face model " + m.source.string() + " has " +
                std::to_string(m.num_identity) + " identity modes");
  if (c.expression.size() > std::size_t(m.num_expression))
    throw Error(what + ": " + std::to_string(c.expression.size()) +
                " expression coefficients, but the face model " + m.source.string() + " has " +
                std::to_string(m.num_expression) + " expressions");
}

}  // namespace faceg2e::session
