#include "cli/output.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <ostream>

#include "base/json_text.h"

namespace coral::cli {

namespace {

void EmitYaml(YAML::Emitter& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [k, item] : v.items()) {
        out << YAML::Key << k << YAML::Value;
        EmitYaml(out, item);
      }
      out << YAML::EndMap;
      break;
    case Json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& item : v) EmitYaml(out, item);
      out << YAML::EndSeq;
      break;
    case Json::value_t::string:
      out << v.get<std::string>();
      break;
    case Json::value_t::boolean:
      out << v.get<bool>();
      break;
    case Json::value_t::number_integer:
      out << v.get<int64_t>();
      break;
    case Json::value_t::number_unsigned:
      out << v.get<uint64_t>();
      break;
    case Json::value_t::number_float:
      out << v.get<double>();
      break;
    default:
      out << YAML::Null;
      break;
  }
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  return s;
}

void PrintAligned(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out << line << "\n";
  }
}

}  // namespace

Result<Format> ParseFormat(std::string_view name) {
  if (name == "table") return Format::kTable;
  if (name == "json") return Format::kJson;
  if (name == "yaml") return Format::kYaml;
  if (name == "csv") return Format::kCsv;
  return InvalidArgument("unknown output format '" + std::string(name) +
                         "'; use table, json, yaml or csv");
}

std::string CellText(const Json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  return JsonText(value);
}

std::string CsvField(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void Output::List(const std::vector<std::string>& columns, const Json& records,
                  std::string_view empty_note) const {
  Write(columns, records, empty_note);
  out_.flush();  // a long-running command (agent start --foreground) prints once, then waits
}

void Output::Write(const std::vector<std::string>& columns, const Json& records,
                   std::string_view empty_note) const {
  switch (format_) {
    case Format::kJson:
      out_ << JsonText(records, 2) << "\n";
      return;
    case Format::kYaml: {
      YAML::Emitter e;
      EmitYaml(e, records);
      out_ << e.c_str() << "\n";
      return;
    }
    case Format::kCsv: {
      std::string line;
      for (size_t i = 0; i < columns.size(); ++i) line += (i ? "," : "") + CsvField(columns[i]);
      out_ << line << "\r\n";
      for (const auto& r : records) {
        line.clear();
        for (size_t i = 0; i < columns.size(); ++i) {
          line += (i ? "," : "") + CsvField(CellText(r.value(columns[i], Json())));
        }
        out_ << line << "\r\n";
      }
      return;
    }
    case Format::kTable: {
      if (records.empty()) {
        out_ << empty_note << "\n";
        return;
      }
      std::vector<std::vector<std::string>> rows;
      std::vector<std::string> header;
      for (const auto& c : columns) header.push_back(Upper(c));
      rows.push_back(header);
      for (const auto& r : records) {
        std::vector<std::string> row;
        for (const auto& c : columns) row.push_back(CellText(r.value(c, Json())));
        rows.push_back(row);
      }
      PrintAligned(out_, rows);
      return;
    }
  }
}

void Output::Object(const Json& record) const {
  WriteObject(record);
  out_.flush();
}

void Output::Text(std::string_view text) const {
  out_ << text;
  out_.flush();
}

void Output::WriteObject(const Json& record) const {
  switch (format_) {
    case Format::kJson:
      out_ << JsonText(record, 2) << "\n";
      return;
    case Format::kYaml: {
      YAML::Emitter e;
      EmitYaml(e, record);
      out_ << e.c_str() << "\n";
      return;
    }
    case Format::kCsv: {
      std::string header, values;
      bool first = true;
      for (const auto& [k, v] : record.items()) {
        header += (first ? "" : ",") + CsvField(k);
        values += (first ? "" : ",") + CsvField(CellText(v));
        first = false;
      }
      out_ << header << "\r\n" << values << "\r\n";
      return;
    }
    case Format::kTable: {
      std::vector<std::vector<std::string>> rows;
      for (const auto& [k, v] : record.items()) rows.push_back({k + ":", CellText(v)});
      PrintAligned(out_, rows);
      return;
    }
  }
}

}  // namespace coral::cli
