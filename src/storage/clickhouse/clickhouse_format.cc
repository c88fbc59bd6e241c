#include "storage/clickhouse/clickhouse_format.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>

namespace coral::storage::clickhouse {

static_assert(std::endian::native == std::endian::little,
              "ClickHouse's binary formats are little-endian; this code copies integers as is");

namespace {

using Kind = ChType::Kind;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// "Name(args)" -> args, when s has that form.
bool Unwrap(std::string_view s, std::string_view name, std::string_view* args) {
  if (s.size() < name.size() + 2 || s.substr(0, name.size()) != name || s[name.size()] != '(' ||
      s.back() != ')') {
    return false;
  }
  *args = s.substr(name.size() + 1, s.size() - name.size() - 2);
  return true;
}

Result<int> ParseInt(std::string_view s, std::string_view type_name) {
  s = Trim(s);
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return InvalidArgument("clickhouse: cannot read the number '" + std::string(s) + "' in type " +
                           std::string(type_name));
  }
  return v;
}

// Enum8('a' = 1, 'b\'c' = -2) arguments -> (name, code) pairs.
Status ParseEnum(std::string_view args, std::string_view type_name, ChType* t) {
  size_t i = 0;
  auto bad = [&] {
    return InvalidArgument("clickhouse: cannot read the enum type " + std::string(type_name));
  };
  while (true) {
    while (i < args.size() && args[i] == ' ') ++i;
    if (i >= args.size() || args[i] != '\'') return bad();
    std::string name;
    ++i;
    while (i < args.size() && args[i] != '\'') {
      if (args[i] == '\\' && i + 1 < args.size()) ++i;
      name.push_back(args[i++]);
    }
    if (i >= args.size()) return bad();
    ++i;
    size_t eq = args.find('=', i);
    if (eq == std::string_view::npos) return bad();
    size_t comma = args.find(',', eq);
    std::string_view number = args.substr(
        eq + 1, comma == std::string_view::npos ? std::string_view::npos : comma - eq - 1);
    int code = CORAL_TRY(ParseInt(number, type_name));
    t->enum_values.emplace_back(std::move(name), code);
    if (comma == std::string_view::npos) return Status::Ok();
    i = comma + 1;
  }
}

// Reads little-endian values and varint-prefixed strings from a body.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  template <typename T>
  bool Read(T* out) {
    if (data_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(out, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool ReadVarUInt(uint64_t* out) {
    *out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      *out |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool ReadBytes(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool ReadString(std::string* out) {
    uint64_t n = 0;
    std::string_view bytes;
    if (!ReadVarUInt(&n) || !ReadBytes(n, &bytes)) return false;
    out->assign(bytes);
    return true;
  }
  size_t pos() const { return pos_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

double PowerOfTen(int n) {
  double d = 1;
  for (int i = 0; i < n; ++i) d *= 10;
  return d;
}

template <typename T>
Status ReadInts(Reader& r, size_t n, std::vector<Value>* out) {
  for (size_t i = 0; i < n; ++i) {
    T v;
    if (!r.Read(&v)) return Corruption("clickhouse: result ends inside a column");
    (*out)[i] = static_cast<int64_t>(v);
  }
  return Status::Ok();
}

// Reads n values of a non-Nullable type.
Status ReadValues(Reader& r, const ChType& t, std::string_view column, size_t n,
                  std::vector<Value>* out) {
  auto short_read = [&] {
    return Corruption("clickhouse: result ends inside column '" + std::string(column) + "'");
  };
  switch (t.kind) {
    case Kind::kInt8:
      return ReadInts<int8_t>(r, n, out);
    case Kind::kInt16:
      return ReadInts<int16_t>(r, n, out);
    case Kind::kInt32:
      return ReadInts<int32_t>(r, n, out);
    case Kind::kInt64:
      return ReadInts<int64_t>(r, n, out);
    case Kind::kUInt8:
      return ReadInts<uint8_t>(r, n, out);
    case Kind::kUInt16:
      return ReadInts<uint16_t>(r, n, out);
    case Kind::kUInt32:
      return ReadInts<uint32_t>(r, n, out);
    case Kind::kUInt64:
      for (size_t i = 0; i < n; ++i) {
        uint64_t v;
        if (!r.Read(&v)) return short_read();
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return InvalidArgument("clickhouse: column '" + std::string(column) + "' holds " +
                                 std::to_string(v) +
                                 ", more than an int64 holds; cast it in the query (toInt64 "
                                 "wraps, toFloat64 rounds, toString keeps every digit)");
        }
        (*out)[i] = static_cast<int64_t>(v);
      }
      return Status::Ok();
    case Kind::kFloat32:
      for (size_t i = 0; i < n; ++i) {
        float v;
        if (!r.Read(&v)) return short_read();
        (*out)[i] = static_cast<double>(v);
      }
      return Status::Ok();
    case Kind::kFloat64:
      for (size_t i = 0; i < n; ++i) {
        double v;
        if (!r.Read(&v)) return short_read();
        (*out)[i] = v;
      }
      return Status::Ok();
    case Kind::kDecimal32:
    case Kind::kDecimal64:
    case Kind::kDecimal128: {
      double divisor = PowerOfTen(t.scale);
      for (size_t i = 0; i < n; ++i) {
        double raw;
        if (t.kind == Kind::kDecimal32) {
          int32_t v;
          if (!r.Read(&v)) return short_read();
          raw = static_cast<double>(v);
        } else if (t.kind == Kind::kDecimal64) {
          int64_t v;
          if (!r.Read(&v)) return short_read();
          raw = static_cast<double>(v);
        } else {
          __int128 v;
          if (!r.Read(&v)) return short_read();
          raw = static_cast<double>(v);
        }
        (*out)[i] = raw / divisor;
      }
      return Status::Ok();
    }
    case Kind::kString:
      for (size_t i = 0; i < n; ++i) {
        std::string s;
        if (!r.ReadString(&s)) return short_read();
        (*out)[i] = std::move(s);
      }
      return Status::Ok();
    case Kind::kFixedString:
      for (size_t i = 0; i < n; ++i) {
        std::string_view s;
        if (!r.ReadBytes(t.fixed_size, &s)) return short_read();
        (*out)[i] = std::string(s);
      }
      return Status::Ok();
    case Kind::kEnum8:
    case Kind::kEnum16:
      for (size_t i = 0; i < n; ++i) {
        int code;
        if (t.kind == Kind::kEnum8) {
          int8_t v;
          if (!r.Read(&v)) return short_read();
          code = v;
        } else {
          int16_t v;
          if (!r.Read(&v)) return short_read();
          code = v;
        }
        const std::string* name = nullptr;
        for (const auto& [n_, c] : t.enum_values) {
          if (c == code) name = &n_;
        }
        if (name == nullptr) {
          return Corruption("clickhouse: column '" + std::string(column) + "' holds enum code " +
                            std::to_string(code) + " that its type " + t.name + " does not name");
        }
        (*out)[i] = *name;
      }
      return Status::Ok();
    case Kind::kDate:
      for (size_t i = 0; i < n; ++i) {
        uint16_t days;
        if (!r.Read(&days)) return short_read();
        (*out)[i] = Timestamp{int64_t{days} * 86'400'000'000};
      }
      return Status::Ok();
    case Kind::kDateTime:
      for (size_t i = 0; i < n; ++i) {
        uint32_t seconds;
        if (!r.Read(&seconds)) return short_read();
        (*out)[i] = Timestamp{int64_t{seconds} * 1'000'000};
      }
      return Status::Ok();
    case Kind::kNothing:
      // One placeholder byte per row.
      for (size_t i = 0; i < n; ++i) {
        uint8_t b;
        if (!r.Read(&b)) return short_read();
      }
      return Status::Ok();
  }
  CORAL_PANIC("unknown ChType kind");
}

template <typename T>
void Put(T v, std::string* out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out->append(bytes, sizeof(T));
}

void PutVarUInt(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

const char* ValueTypeName(const Value& v) {
  constexpr const char* kNames[] = {"NULL", "bool", "int64", "double", "string", "Timestamp"};
  return kNames[v.index()];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Result<ChType> ParseType(std::string_view name, std::string_view column) {
  ChType t;
  t.name = std::string(name);
  std::string_view s = Trim(name);
  std::string_view args;
  if (Unwrap(s, "Nullable", &args)) {
    t.nullable = true;
    s = Trim(args);
  }
  struct Simple {
    std::string_view name;
    Kind kind;
  };
  static constexpr Simple kSimple[] = {
      {"Int8", Kind::kInt8},         {"Int16", Kind::kInt16},     {"Int32", Kind::kInt32},
      {"Int64", Kind::kInt64},       {"UInt8", Kind::kUInt8},     {"UInt16", Kind::kUInt16},
      {"UInt32", Kind::kUInt32},     {"UInt64", Kind::kUInt64},   {"Float32", Kind::kFloat32},
      {"Float64", Kind::kFloat64},   {"String", Kind::kString},   {"Date", Kind::kDate},
      {"DateTime", Kind::kDateTime}, {"Nothing", Kind::kNothing},
  };
  for (const auto& simple : kSimple) {
    if (s == simple.name) {
      t.kind = simple.kind;
      return t;
    }
  }
  if (Unwrap(s, "DateTime", &args)) {  // DateTime('Europe/Berlin'): still Unix seconds
    t.kind = Kind::kDateTime;
    return t;
  }
  if (Unwrap(s, "FixedString", &args)) {
    t.kind = Kind::kFixedString;
    t.fixed_size = static_cast<size_t>(CORAL_TRY(ParseInt(args, name)));
    return t;
  }
  if (Unwrap(s, "Enum8", &args) || Unwrap(s, "Enum16", &args)) {
    t.kind = s.substr(0, 5) == "Enum8" ? Kind::kEnum8 : Kind::kEnum16;
    CORAL_TRY(ParseEnum(args, name, &t));
    return t;
  }
  if (Unwrap(s, "Decimal", &args)) {
    size_t comma = args.find(',');
    if (comma == std::string_view::npos) {
      return InvalidArgument("clickhouse: cannot read the type " + std::string(name));
    }
    int precision = CORAL_TRY(ParseInt(args.substr(0, comma), name));
    t.scale = CORAL_TRY(ParseInt(args.substr(comma + 1), name));
    t.kind = precision <= 9    ? Kind::kDecimal32
             : precision <= 18 ? Kind::kDecimal64
                               : Kind::kDecimal128;
    return t;
  }
  for (auto [prefix, kind] :
       {std::pair{"Decimal32", Kind::kDecimal32}, std::pair{"Decimal64", Kind::kDecimal64},
        std::pair{"Decimal128", Kind::kDecimal128}}) {
    if (Unwrap(s, prefix, &args)) {
      t.kind = kind;
      t.scale = CORAL_TRY(ParseInt(args, name));
      return t;
    }
  }
  return InvalidArgument("clickhouse: column '" + std::string(column) + "' has type " +
                         std::string(name) +
                         " that Coral does not read (arrays, tuples, UUID, LowCardinality ...); "
                         "cast it in the query, e.g. toString(col)");
}

ColumnType CoralType(const ChType& type) {
  switch (type.kind) {
    case Kind::kInt8:
    case Kind::kInt16:
    case Kind::kInt32:
    case Kind::kInt64:
    case Kind::kUInt8:
    case Kind::kUInt16:
    case Kind::kUInt32:
    case Kind::kUInt64:
      return ColumnType::kInt64;
    case Kind::kFloat32:
    case Kind::kFloat64:
    case Kind::kDecimal32:
    case Kind::kDecimal64:
    case Kind::kDecimal128:
      return ColumnType::kDouble;
    case Kind::kString:
    case Kind::kFixedString:
    case Kind::kEnum8:
    case Kind::kEnum16:
      return ColumnType::kString;
    case Kind::kDate:
    case Kind::kDateTime:
      return ColumnType::kTimestamp;
    case Kind::kNothing:
      return ColumnType::kNull;
  }
  CORAL_PANIC("unknown ChType kind");
}

Status DecodeNative(std::string_view body, size_t max_rows, size_t max_bytes, RowSet* rows) {
  CORAL_CHECK(rows->columns.empty(), "DecodeNative fills an empty RowSet");
  Reader r(body);
  std::vector<ChType> types;
  bool first = true;
  size_t bytes = 0;
  while (!r.done()) {
    uint64_t ncols = 0, nrows = 0;
    if (!r.ReadVarUInt(&ncols) || !r.ReadVarUInt(&nrows)) {
      return Corruption("clickhouse: result ends inside a block header");
    }
    if (!first && ncols != types.size()) {
      return Corruption("clickhouse: result block has " + std::to_string(ncols) +
                        " columns, the first had " + std::to_string(types.size()));
    }
    size_t keep = nrows;
    if (max_rows != 0) {
      size_t room = max_rows - rows->rows.size();
      if (nrows > room) {
        keep = room;
        rows->truncated = true;
      }
    }
    std::vector<std::vector<Value>> columns(ncols);
    for (size_t c = 0; c < ncols; ++c) {
      std::string name, type_name;
      if (!r.ReadString(&name) || !r.ReadString(&type_name)) {
        return Corruption("clickhouse: result ends inside a column header");
      }
      if (first) {
        types.push_back(CORAL_TRY(ParseType(type_name, name)));
        rows->columns.push_back({name, CoralType(types.back())});
      } else if (type_name != types[c].name) {
        return Corruption("clickhouse: column '" + name + "' changed type between blocks");
      }
      const ChType& t = types[c];
      std::string_view null_map;
      if (t.nullable && !r.ReadBytes(nrows, &null_map)) {
        return Corruption("clickhouse: result ends inside the NULL map of '" + name + "'");
      }
      columns[c].resize(nrows);
      CORAL_TRY(ReadValues(r, t, name, nrows, &columns[c]));
      for (size_t i = 0; i < null_map.size(); ++i) {
        if (null_map[i] != 0) columns[c][i] = std::monostate{};
      }
    }
    first = false;
    for (size_t i = 0; i < keep; ++i) {
      if (max_bytes != 0 && bytes >= max_bytes) {
        rows->truncated = true;
        break;
      }
      std::vector<Value> row(ncols);
      for (size_t c = 0; c < ncols; ++c) {
        bytes += ValueBytes(columns[c][i]);
        row[c] = std::move(columns[c][i]);
      }
      rows->rows.push_back(std::move(row));
    }
    if (rows->truncated) break;
  }
  return Status::Ok();
}

Status EncodeRowBinary(const ChType& t, const Value& v, std::string* out) {
  auto mismatch = [&](std::string_view why = "") {
    return InvalidArgument("a " + std::string(ValueTypeName(v)) + " value (" + ValueToText(v) +
                           ") does not fit a " + t.name + " column" +
                           (why.empty() ? "" : ": " + std::string(why)));
  };
  if (std::holds_alternative<std::monostate>(v)) {
    if (!t.nullable) return mismatch("the column is not Nullable");
    out->push_back(1);
    return Status::Ok();
  }
  if (t.nullable) out->push_back(0);

  // Integer columns take int64 and bool; Int64/UInt64 also take Timestamps as
  // microseconds since the epoch.
  auto integer = [&](int64_t lo, uint64_t hi) -> Result<int64_t> {
    int64_t n;
    bool is_unsigned_64 = t.kind == Kind::kUInt64;
    if (auto* i = std::get_if<int64_t>(&v)) {
      n = *i;
    } else if (auto* b = std::get_if<bool>(&v)) {
      n = *b ? 1 : 0;
    } else if (auto* ts = std::get_if<Timestamp>(&v);
               ts != nullptr && (t.kind == Kind::kInt64 || is_unsigned_64)) {
      n = ts->micros;
    } else {
      return mismatch();
    }
    if (n < lo || (n >= 0 && static_cast<uint64_t>(n) > hi)) return mismatch("out of range");
    return n;
  };
  switch (t.kind) {
    case Kind::kInt8:
      Put(static_cast<int8_t>(CORAL_TRY(integer(INT8_MIN, INT8_MAX))), out);
      return Status::Ok();
    case Kind::kInt16:
      Put(static_cast<int16_t>(CORAL_TRY(integer(INT16_MIN, INT16_MAX))), out);
      return Status::Ok();
    case Kind::kInt32:
      Put(static_cast<int32_t>(CORAL_TRY(integer(INT32_MIN, INT32_MAX))), out);
      return Status::Ok();
    case Kind::kInt64:
      Put(CORAL_TRY(integer(INT64_MIN, INT64_MAX)), out);
      return Status::Ok();
    case Kind::kUInt8:
      Put(static_cast<uint8_t>(CORAL_TRY(integer(0, UINT8_MAX))), out);
      return Status::Ok();
    case Kind::kUInt16:
      Put(static_cast<uint16_t>(CORAL_TRY(integer(0, UINT16_MAX))), out);
      return Status::Ok();
    case Kind::kUInt32:
      Put(static_cast<uint32_t>(CORAL_TRY(integer(0, UINT32_MAX))), out);
      return Status::Ok();
    case Kind::kUInt64:
      Put(static_cast<uint64_t>(CORAL_TRY(integer(0, INT64_MAX))), out);
      return Status::Ok();
    case Kind::kFloat32:
    case Kind::kFloat64: {
      double d;
      if (auto* p = std::get_if<double>(&v)) {
        d = *p;
      } else if (auto* i = std::get_if<int64_t>(&v)) {
        d = static_cast<double>(*i);
      } else {
        return mismatch();
      }
      if (t.kind == Kind::kFloat32) {
        Put(static_cast<float>(d), out);
      } else {
        Put(d, out);
      }
      return Status::Ok();
    }
    case Kind::kString:
    case Kind::kFixedString: {
      auto* s = std::get_if<std::string>(&v);
      if (s == nullptr) return mismatch();
      if (t.kind == Kind::kString) {
        PutVarUInt(s->size(), out);
        out->append(*s);
      } else {
        if (s->size() > t.fixed_size) return mismatch("longer than the column");
        out->append(*s);
        out->append(t.fixed_size - s->size(), '\0');
      }
      return Status::Ok();
    }
    case Kind::kEnum8:
    case Kind::kEnum16: {
      auto* s = std::get_if<std::string>(&v);
      if (s == nullptr) return mismatch();
      for (const auto& [name, code] : t.enum_values) {
        if (name == *s) {
          if (t.kind == Kind::kEnum8) {
            Put(static_cast<int8_t>(code), out);
          } else {
            Put(static_cast<int16_t>(code), out);
          }
          return Status::Ok();
        }
      }
      return mismatch("not one of the enum's names");
    }
    case Kind::kDate:
    case Kind::kDateTime: {
      auto* ts = std::get_if<Timestamp>(&v);
      if (ts == nullptr) return mismatch();
      if (t.kind == Kind::kDate) {
        int64_t days = FloorDiv(ts->micros, 86'400'000'000);
        if (days < 0 || days > UINT16_MAX) return mismatch("outside Date's range");
        Put(static_cast<uint16_t>(days), out);
      } else {
        int64_t seconds = FloorDiv(ts->micros, 1'000'000);
        if (seconds < 0 || seconds > int64_t{UINT32_MAX}) {
          return mismatch("outside DateTime's range (1970-01-01 to 2106-02-07)");
        }
        Put(static_cast<uint32_t>(seconds), out);
      }
      return Status::Ok();
    }
    case Kind::kDecimal32:
    case Kind::kDecimal64:
    case Kind::kDecimal128:
      return mismatch("Coral appends no Decimal columns; use Float64");
    case Kind::kNothing:
      return mismatch();
  }
  CORAL_PANIC("unknown ChType kind");
}

std::string UnescapeTsv(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out.push_back(field[i]);
      continue;
    }
    char c = field[++i];
    switch (c) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case '0':
        out.push_back('\0');
        break;
      default:
        out.push_back(c);
        break;
    }
  }
  return out;
}

}  // namespace coral::storage::clickhouse
