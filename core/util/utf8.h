#pragma once
// UTF-8 validation for user text (prompts, instructions) before any work starts: JSON records,
// the tokenizer and file names all need valid UTF-8, and a bad byte found at the end of a
// long run would lose the run.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace faceg2e {

// Byte offset of the first byte that does not start or continue a well-formed UTF-8 sequence
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); nullopt when valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

// Throws faceg2e::Error when `text` is not valid UTF-8: "<what> is not valid UTF-8: byte 0xFF at
// offset 12 (after "a red fa")". `what` names the input, e.g. "--prompt".
void require_valid_utf8(std::string_view text, const std::string& what);

}  // namespace faceg2e
