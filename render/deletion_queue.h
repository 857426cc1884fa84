#pragma once
// Keeps replaced GPU resources alive until the frames that may still read them have finished.
// A resource retired while frame serial S is being recorded is released once the renderer
// reports serial S complete (its fence signalled). Resources are type-erased shared_ptrs, so a
// texture, its descriptor set and its staging buffer can all go in as they are.
#include <cstdint>
#include <deque>
#include <memory>
#include <utility>

namespace faceg2e::render {

class DeletionQueue {
 public:
  void retire(std::uint64_t serial, std::shared_ptr<void> resource) {
    if (resource) pending_.push_back({serial, std::move(resource)});
  }

  // Releases everything retired at or before `completed_serial`.
  void collect(std::uint64_t completed_serial) {
    while (!pending_.empty() && pending_.front().serial <= completed_serial) pending_.pop_front();
  }

  void clear() { pending_.clear(); }
  std::size_t size() const { return pending_.size(); }

 private:
  struct Entry {
    std::uint64_t serial;
    std::shared_ptr<void> resource;
  };
  std::deque<Entry> pending_;  // serials are non-decreasing
};

}  // namespace faceg2e::render
