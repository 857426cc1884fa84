// Save and load times of a project whose entries are full size: 1024^2 float albedo, a
// 4x128x128 texture latent, and for edits a 1024^2 W map and attention map. Each save is one
// commit (entry folder + fsyncs + manifest + cleanup); the load reads and checks every entry.
// Usage: bench_project_store [DIR] [EDITS]   (DIR is created and removed; default /tmp)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/session/project_store.h"

namespace {

using namespace faceg2e::session;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

FloatImage image(int size, int channels, float v) {
  FloatImage img;
  img.width = img.height = size;
  img.channels = channels;
  img.data.assign(std::size_t(size) * size * channels, v);
  return img;
}

HistoryEntry entry(EntryKind kind, float v) {
  HistoryEntry e;
  e.kind = kind;
  e.text = "make her lips red";
  e.state.coeffs.identity.assign(100, v);
  e.state.coeffs.expression.assign(53, 0.f);
  e.state.albedo = image(1024, 3, v);
  e.state.latent.channels = 4;
  e.state.latent.height = e.state.latent.width = 128;
  e.state.latent.data.assign(4 * 128 * 128, v);
  if (kind == EntryKind::Edit) {
    e.weights = image(1024, 1, 0.5f);
    e.attention = image(1024, 1, 0.25f);
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path root = fs::path(argc > 1 ? argv[1] : "/tmp") / "bench_project_store";
  const int edits = argc > 2 ? std::stoi(argv[2]) : 10;
  fs::remove_all(root);
  auto t0 = Clock::now();
  create_project(root, "ict_facekit_full", entry(EntryKind::New, 0.f));
  const double create_ms = ms_since(t0);
  std::vector<double> saves;
  {
    auto store = ProjectStore::open(root);
    for (int i = 1; i <= edits; ++i) {
      store->history().append(entry(EntryKind::Edit, float(i) / edits));
      t0 = Clock::now();
      store->save();
      saves.push_back(ms_since(t0));
    }
  }
  std::sort(saves.begin(), saves.end());
  t0 = Clock::now();
  const Project p = read_project(root);
  const double load_ms = ms_since(t0);
  std::uintmax_t bytes = 0;
  for (const auto& f : fs::recursive_directory_iterator(root))
    if (f.is_regular_file()) bytes += f.file_size();
  std::printf("create (1 entry):            %.1f ms\n", create_ms);
  std::printf("save of one edit (median/max over %d): %.1f / %.1f ms\n", edits,
              saves[saves.size() / 2], saves.back());
  std::printf("read_project, %d entries:    %.1f ms (%.1f ms per entry)\n", p.history.size(),
              load_ms, load_ms / p.history.size());
  std::printf("on disk:                     %.1f MB (%.1f MB per edit)\n", bytes / 1e6,
              bytes / 1e6 / p.history.size());
  fs::remove_all(root);
  return 0;
}
