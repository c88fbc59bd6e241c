// Machine and human output for every command: -o table | json | yaml | csv.
// Commands build JSON values and hand them here; nothing else prints results.
// Results go to stdout; logs and errors go to stderr.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace coral::cli {

enum class Format { kTable, kJson, kYaml, kCsv };

Result<Format> ParseFormat(std::string_view name);

using Json = nlohmann::ordered_json;

class Output {
 public:
  Output(Format format, std::ostream& out) : format_(format), out_(out) {}

  Format format() const { return format_; }

  // A list of records (a JSON array of objects); `columns` are the keys shown
  // in table and CSV form, in order. `empty_note` is what a table says when
  // there are no rows.
  void List(const std::vector<std::string>& columns, const Json& records,
            std::string_view empty_note) const;

  // One record (a JSON object).
  void Object(const Json& record) const;

  // Text as it is, for parts of a table view that are not rows (a tree, a
  // list of findings). Only for Format::kTable.
  void Text(std::string_view text) const;

 private:
  void Write(const std::vector<std::string>& columns, const Json& records,
             std::string_view empty_note) const;
  void WriteObject(const Json& record) const;

  Format format_;
  std::ostream& out_;
};

// Text for a JSON value in a table or CSV cell.
std::string CellText(const Json& value);
// RFC 4180 quoting for one CSV field.
std::string CsvField(std::string_view text);

}  // namespace coral::cli
