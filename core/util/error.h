#pragma once
// Errors thrown inside core. They carry a message meant for the user; the worker boundary and
// the command-line tools catch them and report the message.
#include <stdexcept>
#include <string>

namespace faceg2e {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// A file that exists but cannot be used: bad magic, sizes that do not fit, indices out of range.
// The message names the file and the field.
class FormatError : public Error {
 public:
  FormatError(const std::string& file, const std::string& what);
};

// A file or model that is not where it was looked for.
class NotFoundError : public Error {
 public:
  using Error::Error;
};

// An operation stopped by its cancel flag. Not a failure: callers report it as "cancelled".
class Cancelled : public Error {
 public:
  Cancelled() : Error("cancelled") {}
};

}  // namespace faceg2e

// Throws faceg2e::Error with the failed condition and file:line, for internal invariants.
#define FACEG2E_CHECK(cond, msg)                                                          \
  do {                                                                                    \
    if (!(cond))                                                                          \
      throw ::faceg2e::Error(std::string(msg) + " [" #cond " failed at " __FILE__ ":" +    \
                             std::to_string(__LINE__) + "]");                             \
  } while (0)
