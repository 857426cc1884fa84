#include <gtest/gtest.h>

#include <string>

#include "core/util/error.h"
#include "core/util/utf8.h"

using faceg2e::find_invalid_utf8;

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_FALSE(find_invalid_utf8(""));
  EXPECT_FALSE(find_invalid_utf8("a photo of a face"));
  EXPECT_FALSE(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_FALSE(find_invalid_utf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
  EXPECT_FALSE(find_invalid_utf8("\xED\x9F\xBF"));                               // U+D7FF
}

TEST(Utf8, FindsTheFirstBadByte) {
  EXPECT_EQ(find_invalid_utf8("ab\xFF\xFE"), 2u);
  EXPECT_EQ(find_invalid_utf8("\x80"), 0u);              // continuation without a lead
  EXPECT_EQ(find_invalid_utf8("x\xC3"), 1u);             // truncated at the end
  EXPECT_EQ(find_invalid_utf8("x\xC3(y"), 1u);           // bad continuation
  EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(find_invalid_utf8("\xE0\x80\xAF"), 0u);      // overlong, 3 bytes
  EXPECT_EQ(find_invalid_utf8("\xF0\x80\x80\xAF"), 0u);  // overlong, 4 bytes
  EXPECT_EQ(find_invalid_utf8("ok\xED\xA0\x80"), 2u);    // surrogate U+D800
  EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("\xF5\x80\x80\x80"), 0u);
  EXPECT_EQ(find_invalid_utf8("caf\xC3\xA9\xFF"), 5u);  // offset in bytes, after a 2-byte char
}

TEST(Utf8, MessageNamesTheInputTheByteAndTheOffset) {
  try {
    faceg2e::require_valid_utf8("a red face \xFF\xFE", "--prompt");
    FAIL() << "no error";
  } catch (const faceg2e::Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("--prompt"), std::string::npos) << m;
    EXPECT_NE(m.find("0xFF"), std::string::npos) << m;
    EXPECT_NE(m.find("offset 11"), std::string::npos) << m;
    EXPECT_NE(m.find("a red face"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(faceg2e::require_valid_utf8("fine", "--prompt"));
}
