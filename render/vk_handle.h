#pragma once
// A move-only owner of one device-level Vulkan handle: destroyed exactly once, with the device
// that created it. Every Vulkan object of the renderer lives in one of these (or in a class that
// owns them), so an exception halfway through building a pipeline leaks nothing.
#include <vulkan/vulkan.h>

#include <utility>

namespace faceg2e::render {

template <typename Handle>
class VkOwner {
 public:
  using Destroy = void (*)(VkDevice, Handle, const VkAllocationCallbacks*);

  VkOwner() = default;
  VkOwner(VkDevice device, Handle handle, Destroy destroy)
      : device_(device), handle_(handle), destroy_(destroy) {}
  ~VkOwner() { reset(); }

  VkOwner(const VkOwner&) = delete;
  VkOwner& operator=(const VkOwner&) = delete;
  VkOwner(VkOwner&& other) noexcept { *this = std::move(other); }
  VkOwner& operator=(VkOwner&& other) noexcept {
    if (this != &other) {
      reset();
      device_ = std::exchange(other.device_, VK_NULL_HANDLE);
      handle_ = std::exchange(other.handle_, Handle(VK_NULL_HANDLE));
      destroy_ = std::exchange(other.destroy_, nullptr);
    }
    return *this;
  }

  Handle get() const { return handle_; }
  explicit operator bool() const { return handle_ != Handle(VK_NULL_HANDLE); }

  void reset() {
    if (handle_ != Handle(VK_NULL_HANDLE) && destroy_) destroy_(device_, handle_, nullptr);
    handle_ = Handle(VK_NULL_HANDLE);
  }

 private:
  VkDevice device_ = VK_NULL_HANDLE;
  Handle handle_ = Handle(VK_NULL_HANDLE);
  Destroy destroy_ = nullptr;
};

}  // namespace faceg2e::render
