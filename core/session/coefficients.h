#pragma once
// Coefficient lists as people write them (JSON files for `new`, sidecars) and their check
// against a face model.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/face/face_model.h"

namespace faceg2e::session {

// Checks coefficient counts against a model: more coefficients than modes is an error (fewer
// is fine: missing modes are 0). Throws faceg2e::Error naming `what`.
void check_coefficients(const face::FaceCoefficients& coeffs, const face::FaceModel& model,
                        const std::string& what);

// A coefficient list from JSON: a bare array of numbers, or an object with "coefficients".
// Throws FormatError naming `file` when malformed or non-finite.
std::vector<float> parse_coefficients(const nlohmann::json& j, const std::string& file);
std::vector<float> read_coefficients_file(const std::filesystem::path& path);

// The face-model name recorded in projects and exports: the model file's stem.
std::string face_model_name(const face::FaceModel& model);

}  // namespace faceg2e::session
