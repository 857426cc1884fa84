#include "core/util/utf8.h"

#include <cstdio>

#include "core/util/error.h"

namespace faceg2e {

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;  // overlong
      if (b0 == 0xED) hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;  // overlong
      if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;  // continuation byte without a lead, C0/C1 overlong leads, F5..FF
    }
    if (i + len > n) return i;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b1 < lo || b1 > hi) return i;
    for (int k = 2; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < 0x80 || b > 0xBF) return i;
    }
    i += len;
  }
  return std::nullopt;
}

void require_valid_utf8(std::string_view text, const std::string& what) {
  const auto bad = find_invalid_utf8(text);
  if (!bad) return;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X",
                static_cast<unsigned>(static_cast<unsigned char>(text[*bad])));
  // The valid text before the bad byte (at most 20 bytes, cut at a character boundary) shows
  // where it is.
  std::size_t from = *bad > 20 ? *bad - 20 : 0;
  while (from < *bad && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;
  std::string msg =
      what + " is not valid UTF-8: byte " + hex + " at offset " + std::to_string(*bad);
  if (*bad > 0) msg += " (after \"" + std::string(text.substr(from, *bad - from)) + "\")";
  msg += "; save the text as UTF-8";
  throw Error(msg);
}

}  // namespace faceg2e
