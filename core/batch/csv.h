#pragma once
// CSV as RFC 4180 writes it: comma-separated cells, a cell in double quotes may hold commas,
// line breaks and doubled quotes (""). LF or CRLF line ends. Blank lines are skipped.
#include <string>
#include <string_view>
#include <vector>

namespace faceg2e::batch {

struct CsvRow {
  int line = 0;  // 1-based line where the row starts
  std::vector<std::string> cells;
};

// Throws FormatError naming `file` and the line for an unterminated quote, a quote inside an
// unquoted cell, or text after a closing quote.
std::vector<CsvRow> parse_csv(std::string_view text, const std::string& file);

}  // namespace faceg2e::batch
