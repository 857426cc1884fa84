#pragma once
// Entries with recognisable contents for the history and project-store tests.
#include <cmath>
#include <cstring>
#include <string>

#include "core/session/history.h"

namespace faceg2e::session::testing {

// A deterministic value pattern in [0, 1) that depends on `seed`.
inline FloatImage pattern_image(int size, int channels, float seed) {
  FloatImage img;
  img.width = img.height = size;
  img.channels = channels;
  img.data.resize(std::size_t(size) * size * channels);
  for (std::size_t i = 0; i < img.data.size(); ++i) {
    const double v = std::fmod(double(i) * 0.0137 + double(seed) * 0.618, 1.0);
    img.data[i] = static_cast<float>(v < 0 ? v + 1 : v);
  }
  return img;
}

// An entry whose identity[0] is `value` and identity[1] is `parent` (so a test can check that a
// loaded history is a chain), with an albedo, W, attention, latent and thumbnail derived from
// `value`. Kind: new when parent < 0, else edit.
inline HistoryEntry make_entry(float value, float parent, int atlas = 32) {
  HistoryEntry e;
  e.kind = parent < 0 ? EntryKind::New : EntryKind::Edit;
  e.text = parent < 0 ? "" : "edit " + std::to_string(int(value));
  e.scope = parent < 0 ? "" : "texture";
  if (parent >= 0) {
    e.words = {"lips"};
    e.regions = {"lips", "skin"};
    e.seed = static_cast<std::uint64_t>(value) * 7 + 1;
    e.final_loss = 0.25 + value;
    e.params = {{"steps", 200}, {"lambda", 15000.0}};
    e.timings = {{"total_s", 1.5}};
    e.models = {{"edit", "/models/ip2p.safetensors", std::string(64, 'a')}};
    e.weights = pattern_image(atlas / 2, 1, value + 0.5f);
    e.attention = pattern_image(atlas / 2, 1, value + 0.25f);
  }
  e.state.coeffs.identity = {value, parent, 0.125f};
  e.state.coeffs.expression = {0.5f, 0.0f};
  e.state.albedo = pattern_image(atlas, 3, value);
  e.state.latent.channels = 4;
  e.state.latent.height = e.state.latent.width = atlas / 8;
  e.state.latent.data.assign(std::size_t(4) * (atlas / 8) * (atlas / 8), value * 0.001f - 0.5f);
  e.thumbnail.width = e.thumbnail.height = 8;
  e.thumbnail.channels = 3;
  e.thumbnail.pixels.assign(8 * 8 * 3, static_cast<std::uint8_t>(int(value) % 251));
  return e;
}

inline bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

inline bool same_image(const FloatImage& a, const FloatImage& b) {
  return a.width == b.width && a.height == b.height && a.channels == b.channels &&
         same_floats(a.data, b.data);
}

// Every field of two entries, floats bit for bit.
inline bool same_entry(const HistoryEntry& a, const HistoryEntry& b, std::string* why) {
  auto fail = [&](const char* what) {
    if (why) *why = what;
    return false;
  };
  if (a.id != b.id) return fail("id");
  if (a.kind != b.kind) return fail("kind");
  if (a.created != b.created) return fail("created");
  if (a.text != b.text || a.scope != b.scope) return fail("text/scope");
  if (a.words != b.words || a.regions != b.regions) return fail("words/regions");
  if (a.params != b.params || a.timings != b.timings) return fail("params/timings");
  if (a.seed != b.seed || a.final_loss != b.final_loss) return fail("seed/loss");
  if (a.models.size() != b.models.size()) return fail("models");
  for (std::size_t i = 0; i < a.models.size(); ++i)
    if (a.models[i].role != b.models[i].role || a.models[i].path != b.models[i].path ||
        a.models[i].sha256 != b.models[i].sha256)
      return fail("models");
  if (!same_floats(a.state.coeffs.identity, b.state.coeffs.identity)) return fail("identity");
  if (!same_floats(a.state.coeffs.expression, b.state.coeffs.expression)) return fail("expression");
  if (!same_image(a.state.albedo, b.state.albedo)) return fail("albedo");
  if (a.state.latent.channels != b.state.latent.channels ||
      a.state.latent.height != b.state.latent.height ||
      a.state.latent.width != b.state.latent.width ||
      !same_floats(a.state.latent.data, b.state.latent.data))
    return fail("latent");
  if (!same_image(a.weights, b.weights)) return fail("weights");
  if (!same_image(a.attention, b.attention)) return fail("attention");
  if (a.thumbnail.width != b.thumbnail.width || a.thumbnail.pixels != b.thumbnail.pixels)
    return fail("thumbnail");
  return true;
}

}  // namespace faceg2e::session::testing
