// Test helper for the CLI history test until `faceg2e-cli edit` exists: appends an edit entry
// (identity[0] += 1, albedo brightened, a W map) at the cursor of a project and saves.
// Usage: session_append_edit PROJECT_DIR TEXT
#include <cstdio>
#include <exception>

#include "core/session/project_store.h"
#include "tests/session/session_fixture.h"

int main(int argc, char** argv) {
  using namespace faceg2e::session;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PROJECT_DIR TEXT\n", argv[0]);
    return 2;
  }
  try {
    auto store = ProjectStore::open(argv[1]);
    const HistoryEntry& base = store->history().current();
    HistoryEntry e = testing::make_entry(float(store->history().size()), 0.f, 64);
    e.text = argv[2];
    e.state.coeffs = base.state.coeffs;
    if (e.state.coeffs.identity.empty()) e.state.coeffs.identity.push_back(0.f);
    e.state.coeffs.identity[0] += 1.0f;
    e.state.latent = {};
    store->history().append(std::move(e));
    store->save();
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "error: %s\n", ex.what());
    return 1;
  }
  return 0;
}
