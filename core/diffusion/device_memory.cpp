#include "core/diffusion/device_memory.h"

#include <torch/torch.h>

#include <fstream>
#include <sstream>

#if defined(FACEG2E_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace faceg2e::diffusion {

void reset_peak_memory(torch::Device device) {
#if defined(FACEG2E_TORCH_CUDA)
  if (device.is_cuda()) {
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
  }
#else
  (void)device;
#endif
}

PeakMemory peak_memory(torch::Device device) {
  PeakMemory out;
#if defined(FACEG2E_TORCH_CUDA)
  if (device.is_cuda()) {
    const auto stats =
        c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    out.bytes = stats.allocated_bytes[static_cast<size_t>(c10::cuda::CUDACachingAllocator::StatType::AGGREGATE)].peak;
    out.what = "CUDA allocated (peak)";
    return out;
  }
#endif
  if (device.is_cuda()) {
    out.what = "unknown (LibTorch built without CUDA allocator stats)";
    return out;
  }
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      std::istringstream ss(line.substr(6));
      std::int64_t kb = 0;
      ss >> kb;
      out.bytes = kb * 1024;
    }
  }
  out.what = "CPU peak RSS (VmHWM, whole process)";
  return out;
}

}  // namespace faceg2e::diffusion
