#include "core/batch/csv.h"

#include "core/util/error.h"

namespace faceg2e::batch {

std::vector<CsvRow> parse_csv(std::string_view text, const std::string& file) {
  std::vector<CsvRow> rows;
  std::size_t i = 0;
  int line = 1;
  // A UTF-8 byte-order mark (spreadsheet exports write one) is not part of the first name.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  auto fail = [&](int at, const std::string& what) {
    throw FormatError(file, "line " + std::to_string(at) + ": " + what);
  };
  while (i < text.size()) {
    CsvRow row;
    row.line = line;
    std::string cell;
    bool row_done = false, any_content = false;
    while (!row_done) {
      cell.clear();
      if (i < text.size() && text[i] == '"') {
        const int quote_line = line;
        ++i;
        for (;;) {
          if (i >= text.size()) fail(quote_line, "a quoted cell is not closed (missing \")");
          const char c = text[i++];
          if (c == '"') {
            if (i < text.size() && text[i] == '"') {
              cell += '"';
              ++i;
            } else {
              break;
            }
          } else {
            if (c == '\n') ++line;
            cell += c;
          }
        }
        any_content = true;
        if (i < text.size() && text[i] == '\r') ++i;
        if (i < text.size() && text[i] != ',' && text[i] != '\n')
          fail(line, "text after a closing quote (a quote inside a cell must be doubled: \"\")");
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n') {
          if (text[i] == '"')
            fail(line,
                 "a quote inside an unquoted cell (quote the whole cell and double the quote)");
          if (text[i] != '\r') cell += text[i];
          ++i;
        }
        if (!cell.empty()) any_content = true;
      }
      row.cells.push_back(cell);
      if (i >= text.size()) {
        row_done = true;
      } else if (text[i] == ',') {
        ++i;
        any_content = true;  // a line of bare commas is a row of empty cells, not a blank line
      } else {               // '\n'
        ++i;
        ++line;
        row_done = true;
      }
    }
    if (any_content) rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace faceg2e::batch
