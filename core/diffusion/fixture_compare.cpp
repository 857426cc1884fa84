#include <torch/torch.h>

#include <sstream>

#include "core/diffusion/fixture_checks.h"

namespace faceg2e::diffusion {

CheckResult compare_tensors(const std::string& name, const torch::Tensor& out,
                            const torch::Tensor& ref, Tolerance tol) {
  CheckResult r;
  r.name = name;
  if (!out.defined() || !ref.defined()) {
    r.detail = "missing tensor";
    return r;
  }
  if (out.sizes() != ref.sizes()) {
    std::ostringstream ss;
    ss << "shape " << out.sizes() << " != reference " << ref.sizes();
    r.detail = ss.str();
    return r;
  }
  const bool integral = !at::isFloatingType(ref.scalar_type()) && !at::isFloatingType(out.scalar_type());
  if (integral) {
    const auto diff = (out.to(torch::kCPU, torch::kLong) - ref.to(torch::kCPU, torch::kLong)).abs();
    r.max_abs = diff.numel() ? diff.max().item<double>() : 0.0;
    r.max_rel = r.max_abs;
    r.passed = r.max_abs == 0.0;
    if (!r.passed) r.detail = std::to_string(diff.ne(0).sum().item<long>()) + " values differ";
    return r;
  }
  const auto o = out.detach().to(torch::kCPU, torch::kDouble);
  const auto f = ref.detach().to(torch::kCPU, torch::kDouble);
  if (!torch::isfinite(o).all().item<bool>()) {
    r.detail = "output has NaN or Inf";
    r.max_abs = std::numeric_limits<double>::infinity();
    r.max_rel = r.max_abs;
    return r;
  }
  const double ref_max = f.numel() ? f.abs().max().item<double>() : 0.0;
  r.max_abs = o.numel() ? (o - f).abs().max().item<double>() : 0.0;
  r.max_rel = ref_max > 0 ? r.max_abs / ref_max : r.max_abs;
  r.passed = r.max_abs <= tol.rel * ref_max + tol.abs;
  return r;
}

CheckResult failed_check(const std::string& name, const std::string& why) {
  CheckResult r;
  r.name = name;
  r.passed = false;
  r.detail = why;
  return r;
}

}  // namespace faceg2e::diffusion
