#pragma once
// The few Unicode properties the CLIP tokenizer needs (letter / number classes of its regex,
// Python's whitespace and lower-casing), from tables generated with Python's unicodedata.
#include <cstdint>
#include <string>
#include <vector>

namespace faceg2e::diffusion::unicode {

bool is_letter(char32_t cp);  // general category L*
bool is_number(char32_t cp);  // general category N*
bool is_space(char32_t cp);   // Python str.isspace()
void append_lower(char32_t cp, std::u32string& out);  // Python str.lower() (may add 2-3 code points)

// Lenient UTF-8 decoding: an invalid byte decodes as U+FFFD, like Python's errors="replace".
std::u32string decode_utf8(const std::string& s);
std::string encode_utf8(const std::u32string& s);
void append_utf8(char32_t cp, std::string& out);

}  // namespace faceg2e::diffusion::unicode
