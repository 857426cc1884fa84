#include "core/raster/tensor_checks.h"

#include <torch/torch.h>

#include <sstream>

#include "core/util/error.h"

namespace faceg2e::raster::detail {

std::string shape_string(const torch::Tensor& t) {
  if (!t.defined()) return "(undefined)";
  std::ostringstream s;
  s << "[";
  for (int64_t i = 0; i < t.dim(); ++i) s << (i ? ", " : "") << t.size(i);
  s << "] " << t.dtype() << " on " << t.device();
  return s.str();
}

namespace {
[[noreturn]] void fail(const char* op, const std::string& what) {
  throw Error(std::string("raster::") + op + ": " + what);
}
}  // namespace

void check_defined(const torch::Tensor& t, const char* op, const char* name) {
  if (!t.defined()) fail(op, std::string(name) + " is required but was not given");
}

void check_floating(const torch::Tensor& t, const char* op, const char* name) {
  check_defined(t, op, name);
  if (t.scalar_type() != torch::kFloat32 && t.scalar_type() != torch::kFloat64)
    fail(op, std::string(name) + " must be float32 or float64, got " + shape_string(t));
}

void check_index_dtype(const torch::Tensor& t, const char* op, const char* name) {
  check_defined(t, op, name);
  if (t.scalar_type() != torch::kInt32 && t.scalar_type() != torch::kInt64)
    fail(op, std::string(name) + " must be int32 or int64, got " + shape_string(t));
}

void check_same_device(const torch::Tensor& a, const char* a_name, const torch::Tensor& b,
                       const char* b_name, const char* op) {
  if (a.device() != b.device())
    fail(op, std::string(a_name) + " and " + b_name + " must be on the same device, got " +
                 shape_string(a) + " and " + shape_string(b));
}

void check_dims(const torch::Tensor& t, std::vector<int64_t> dims, const char* op, const char* name,
                const char* expected) {
  check_defined(t, op, name);
  for (int64_t d : dims)
    if (t.dim() == d) return;
  fail(op, std::string(name) + " must be " + expected + ", got " + shape_string(t));
}

void check_size(const torch::Tensor& t, int64_t dim, int64_t size, const char* op, const char* name,
                const char* expected) {
  if (t.size(dim) != size)
    fail(op, std::string(name) + " must be " + expected + ", got " + shape_string(t));
}

void check_index_range(const torch::Tensor& indices, int64_t count, const char* op,
                       const char* name, const char* count_name) {
  if (indices.numel() == 0) return;
  auto mm = torch::aminmax(indices);
  const int64_t lo = std::get<0>(mm).item<int64_t>();
  const int64_t hi = std::get<1>(mm).item<int64_t>();
  if (lo < 0 || hi >= count)
    fail(op, std::string(name) + " has indices in [" + std::to_string(lo) + ", " +
                 std::to_string(hi) + "], outside [0, " + std::to_string(count) + ") (" +
                 count_name + ")");
}

}  // namespace faceg2e::raster::detail
