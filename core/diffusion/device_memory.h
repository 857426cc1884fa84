#pragma once
// Peak memory for benchmarks: the CUDA caching allocator's peak when LibTorch has CUDA, the
// process's peak resident set (VmHWM) on CPU.
#include <torch/types.h>

#include <cstdint>
#include <string>

namespace faceg2e::diffusion {

struct PeakMemory {
  std::int64_t bytes = -1;  // -1: unknown
  std::string what;         // "CUDA allocated (peak)", "CPU peak RSS (VmHWM, whole process)"
};

// Resets the peak counter where that is possible (CUDA); a no-op on CPU (VmHWM is monotonic).
void reset_peak_memory(torch::Device device);
PeakMemory peak_memory(torch::Device device);

}  // namespace faceg2e::diffusion
