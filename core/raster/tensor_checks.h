#pragma once
// Input validation shared by the raster ops: every failure throws faceg2e::Error naming the op
// and the argument, so a caller sees "raster::interpolate: attributes must be ..." and not a
// torch stack trace.
#include <torch/types.h>

#include <string>
#include <vector>

namespace faceg2e::raster::detail {

std::string shape_string(const torch::Tensor& t);

void check_defined(const torch::Tensor& t, const char* op, const char* name);
// float32 or float64.
void check_floating(const torch::Tensor& t, const char* op, const char* name);
// int32 or int64.
void check_index_dtype(const torch::Tensor& t, const char* op, const char* name);
void check_same_device(const torch::Tensor& a, const char* a_name, const torch::Tensor& b,
                       const char* b_name, const char* op);
// Throws unless t.dim() is one of `dims`.
void check_dims(const torch::Tensor& t, std::vector<int64_t> dims, const char* op, const char* name,
                const char* expected);
// Throws unless t.size(dim) == size.
void check_size(const torch::Tensor& t, int64_t dim, int64_t size, const char* op, const char* name,
                const char* expected);
// All values in [0, count): one reduction, so it syncs once on a GPU.
void check_index_range(const torch::Tensor& indices, int64_t count, const char* op,
                       const char* name, const char* count_name);

}  // namespace faceg2e::raster::detail
