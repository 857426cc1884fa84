#include "core/face/regions.h"

#include "core/util/atomic_file.h"
#include "core/util/data_paths.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace faceg2e::face {

int RegionLabels::find(const std::string& name) const {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<int>(i);
  return -1;
}

std::vector<float> RegionLabels::vertex_colors() const {
  std::vector<float> out(vertex_labels.size() * 3);
  for (std::size_t v = 0; v < vertex_labels.size(); ++v)
    for (int k = 0; k < 3; ++k) out[3 * v + k] = colors[vertex_labels[v]][k] / 255.0f;
  return out;
}

RegionLabels load_regions(const std::filesystem::path& dir, int num_vertices) {
  RegionLabels r;
  const auto json_path = dir / "regions.json";
  const nlohmann::json j = read_json_file(json_path);
  try {
    const auto& labels = j.at("labels");
    const auto& colors = j.at("colors");
    if (!labels.is_array() || !colors.is_array() || labels.size() != colors.size() ||
        labels.empty() || labels.size() > 256)
      throw FormatError(json_path.string(),
                        "'labels' and 'colors' must be lists of equal length (1..256)");
    for (std::size_t i = 0; i < labels.size(); ++i) {
      r.names.push_back(labels[i].get<std::string>());
      const auto& c = colors[i];
      if (!c.is_array() || c.size() != 3)
        throw FormatError(json_path.string(), "colour " + std::to_string(i) + " is not [r,g,b]");
      std::array<std::uint8_t, 3> rgb{};
      for (int k = 0; k < 3; ++k) {
        const int x = c[k].get<int>();
        if (x < 0 || x > 255)
          throw FormatError(json_path.string(), "colour " + std::to_string(i) + " out of 0..255");
        rgb[k] = static_cast<std::uint8_t>(x);
      }
      r.colors.push_back(rgb);
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(json_path.string(), std::string("bad field: ") + e.what());
  }

  const auto bin_path = dir / "regions_vertex_labels.bin";
  const std::string bin = read_file(bin_path);
  if (bin.size() != static_cast<std::size_t>(num_vertices))
    throw FormatError(bin_path.string(), std::to_string(bin.size()) +
                                             " bytes, expected one per vertex (" +
                                             std::to_string(num_vertices) + ")");
  r.vertex_labels.assign(bin.begin(), bin.end());
  for (std::size_t v = 0; v < r.vertex_labels.size(); ++v)
    if (r.vertex_labels[v] >= r.names.size())
      throw FormatError(bin_path.string(), "vertex " + std::to_string(v) + " has label " +
                                               std::to_string(r.vertex_labels[v]) +
                                               ", beyond the " + std::to_string(r.names.size()) +
                                               " labels");

  const auto png_path = dir / "regions_uv_labels_1024.png";
  if (std::filesystem::exists(png_path)) {
    r.uv_labels = read_image(png_path, 1);
    for (std::uint8_t l : r.uv_labels.pixels)
      if (l >= r.names.size())
        throw FormatError(png_path.string(),
                          "label " + std::to_string(l) + " beyond the label count");
  }
  return r;
}

std::filesystem::path find_regions_dir(const FaceModel& model) {
  const auto beside = model.source.parent_path();
  if (!beside.empty() && std::filesystem::exists(beside / "regions.json")) return beside;
  const auto shared = shared_dir() / "data" / "ict-facekit";
  if (std::filesystem::exists(shared / "regions.json")) return shared;
  return {};
}

}  // namespace faceg2e::face
