#include "core/util/error.h"

namespace faceg2e {

FormatError::FormatError(const std::string& file, const std::string& what)
    : Error(file + ": " + what) {}

}  // namespace faceg2e
