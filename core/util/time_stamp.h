#pragma once
// Wall-clock time stamps for files people read (projects, exports, history entries).
#include <string>

namespace faceg2e {

// Current time as ISO 8601 UTC ("2026-01-31T12:00:00Z").
std::string utc_now_iso8601();

}  // namespace faceg2e
