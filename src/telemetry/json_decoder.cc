#include "telemetry/json_decoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "telemetry/json_text.h"

namespace coral::telemetry {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using nlohmann::json;

namespace {

std::string_view TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "an integer";
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

// OTLP/JSON's one departure from the protobuf mapping: ids are hex, not base64.
bool IsHexIdField(const FieldDescriptor* f) {
  return f->name() == "trace_id" || f->name() == "span_id" || f->name() == "parent_span_id";
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class JsonReader {
 public:
  explicit JsonReader(const DecodeLimits& limits) : limits_(limits) {}

  Status ReadMessage(const json& j, Message* msg, int depth) {
    if (!j.is_object())
      return Error(std::string("expected an object, got ") + std::string(TypeName(j)));
    // Protobuf nests AnyValue inside itself; bound it before the stack is.
    if (depth > 4 * limits_.max_depth + 16) {
      return Error("nested more than " + std::to_string(4 * limits_.max_depth + 16) + " deep");
    }
    const Descriptor* desc = msg->GetDescriptor();
    for (const auto& [key, value] : j.items()) {
      const FieldDescriptor* f = desc->FindFieldByCamelcaseName(key);
      if (f == nullptr) f = desc->FindFieldByName(key);
      if (f == nullptr || value.is_null()) continue;  // unknown fields are ignored per spec
      size_t mark = path_.size();
      Append(f->camelcase_name());
      Status s =
          f->is_repeated() ? ReadRepeated(value, msg, f, depth) : ReadSingle(value, msg, f, depth);
      if (!s.ok()) return s;
      path_.resize(mark);
    }
    return Status::Ok();
  }

 private:
  void Append(std::string_view field) {
    if (!path_.empty()) path_ += '.';
    path_ += field;
  }

  Status Error(std::string_view what) const {
    return InvalidArgument((path_.empty() ? std::string("request") : path_) + ": " +
                           std::string(what));
  }

  Status Expected(std::string_view what, const json& got) const {
    return Error("expected " + std::string(what) + ", got " + std::string(TypeName(got)));
  }

  Status ReadRepeated(const json& v, Message* msg, const FieldDescriptor* f, int depth) {
    if (!v.is_array()) return Expected("an array", v);
    for (size_t i = 0; i < v.size(); ++i) {
      size_t mark = path_.size();
      path_ += '[';
      AppendJsonUint(path_, i);
      path_ += ']';
      CORAL_TRY(ReadValue(v[i], msg, f, depth, Repetition::kAdd));
      path_.resize(mark);
    }
    return Status::Ok();
  }

  Status ReadSingle(const json& v, Message* msg, const FieldDescriptor* f, int depth) {
    return ReadValue(v, msg, f, depth, Repetition::kSet);
  }

  enum class Repetition { kSet, kAdd };

  Result<int64_t> ReadInt(const json& v, int64_t lo, int64_t hi) {
    int64_t out = 0;
    if (v.is_number_unsigned()) {
      uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(hi))
        return Error("integer " + std::to_string(u) + " out of range");
      out = static_cast<int64_t>(u);
    } else if (v.is_number_integer()) {
      out = v.get<int64_t>();
    } else if (v.is_number_float()) {
      double d = v.get<double>();
      if (d != std::floor(d) || d < -9.2e18 || d > 9.2e18)
        return Error("expected an integer, got " + v.dump());
      out = static_cast<int64_t>(d);
    } else if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
        return Error("expected an integer or a string of digits, got \"" + s.substr(0, 40) + "\"");
      }
    } else {
      return Expected("an integer", v);
    }
    if (out < lo || out > hi) return Error("integer " + std::to_string(out) + " out of range");
    return out;
  }

  Result<uint64_t> ReadUint(const json& v, uint64_t hi) {
    uint64_t out = 0;
    if (v.is_number_unsigned()) {
      out = v.get<uint64_t>();
    } else if (v.is_number_integer()) {
      int64_t i = v.get<int64_t>();
      if (i < 0) return Error("expected an unsigned integer, got " + std::to_string(i));
      out = static_cast<uint64_t>(i);
    } else if (v.is_number_float()) {
      double d = v.get<double>();
      if (d != std::floor(d) || d < 0 || d > 1.8e19)
        return Error("expected an unsigned integer, got " + v.dump());
      out = static_cast<uint64_t>(d);
    } else if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
        return Error("expected an unsigned integer or a string of digits, got \"" +
                     s.substr(0, 40) + "\"");
      }
    } else {
      return Expected("an unsigned integer", v);
    }
    if (out > hi) return Error("integer " + std::to_string(out) + " out of range");
    return out;
  }

  Result<double> ReadDouble(const json& v) {
    if (v.is_number()) return v.get<double>();
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
      if (s == "Infinity") return std::numeric_limits<double>::infinity();
      if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
      double d = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
      if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return d;
      return Error("expected a number, got \"" + s.substr(0, 40) + "\"");
    }
    return Expected("a number", v);
  }

  Result<std::string> ReadBytes(const json& v, const FieldDescriptor* f) {
    if (!v.is_string()) return Expected("a string", v);
    const std::string& s = v.get_ref<const std::string&>();
    std::string out;
    if (IsHexIdField(f)) {
      size_t want = f->name() == "trace_id" ? 32 : 16;
      if (s.empty()) return out;  // an absent id, e.g. a root span's parentSpanId
      if (s.size() != want) {
        return Error("expected " + std::to_string(want) + " hex characters, got " +
                     std::to_string(s.size()));
      }
      out.resize(want / 2);
      for (size_t i = 0; i < want / 2; ++i) {
        int hi = HexDigit(s[2 * i]);
        int lo = HexDigit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
          return Error("expected " + std::to_string(want) + " hex characters, got \"" + s + "\"");
        }
        out[i] = static_cast<char>(hi << 4 | lo);
      }
      return out;
    }
    if (!DecodeBase64(s, out)) return Error("expected base64");
    return out;
  }

  Status ReadValue(const json& v, Message* msg, const FieldDescriptor* f, int depth,
                   Repetition rep) {
    const Reflection* r = msg->GetReflection();
    const bool add = rep == Repetition::kAdd;
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* child = add ? r->AddMessage(msg, f) : r->MutableMessage(msg, f);
        return ReadMessage(v, child, depth + 1);
      }
      case FieldDescriptor::CPPTYPE_STRING: {
        std::string s;
        if (f->type() == FieldDescriptor::TYPE_BYTES) {
          s = CORAL_TRY(ReadBytes(v, f));
        } else {
          if (!v.is_string()) return Expected("a string", v);
          s = v.get<std::string>();
        }
        add ? r->AddString(msg, f, std::move(s)) : r->SetString(msg, f, std::move(s));
        return Status::Ok();
      }
      case FieldDescriptor::CPPTYPE_BOOL:
        if (!v.is_boolean()) return Expected("true or false", v);
        add ? r->AddBool(msg, f, v.get<bool>()) : r->SetBool(msg, f, v.get<bool>());
        return Status::Ok();
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t i = CORAL_TRY(
            ReadInt(v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
        add ? r->AddInt64(msg, f, i) : r->SetInt64(msg, f, i);
        return Status::Ok();
      }
      case FieldDescriptor::CPPTYPE_INT32: {
        int64_t i = CORAL_TRY(
            ReadInt(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
        add ? r->AddInt32(msg, f, static_cast<int32_t>(i))
            : r->SetInt32(msg, f, static_cast<int32_t>(i));
        return Status::Ok();
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t u = CORAL_TRY(ReadUint(v, std::numeric_limits<uint64_t>::max()));
        add ? r->AddUInt64(msg, f, u) : r->SetUInt64(msg, f, u);
        return Status::Ok();
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint64_t u = CORAL_TRY(ReadUint(v, std::numeric_limits<uint32_t>::max()));
        add ? r->AddUInt32(msg, f, static_cast<uint32_t>(u))
            : r->SetUInt32(msg, f, static_cast<uint32_t>(u));
        return Status::Ok();
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double d = CORAL_TRY(ReadDouble(v));
        add ? r->AddDouble(msg, f, d) : r->SetDouble(msg, f, d);
        return Status::Ok();
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double d = CORAL_TRY(ReadDouble(v));
        add ? r->AddFloat(msg, f, static_cast<float>(d))
            : r->SetFloat(msg, f, static_cast<float>(d));
        return Status::Ok();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        int number = 0;
        if (v.is_string()) {
          // OTLP/JSON says integers; names are what the generic protobuf
          // mapping writes, so take them too.
          const auto* value = f->enum_type()->FindValueByName(v.get<std::string>());
          if (value == nullptr) {
            return Error("expected an integer enum value, got \"" + v.get<std::string>() + "\"");
          }
          number = value->number();
        } else {
          number = static_cast<int>(CORAL_TRY(ReadInt(v, std::numeric_limits<int32_t>::min(),
                                                      std::numeric_limits<int32_t>::max())));
        }
        add ? r->AddEnumValue(msg, f, number) : r->SetEnumValue(msg, f, number);
        return Status::Ok();
      }
    }
    return Error("unsupported field type");
  }

  const DecodeLimits& limits_;
  std::string path_;
};

template <typename Request, typename Batch, typename Decode>
Status DecodeJson(std::string_view text, const DecodeLimits& limits, Request* scratch, Batch* out,
                  Decode decode) {
  out->Clear();
  CORAL_TRY(ParseOtlpJson(text, limits, scratch));
  return decode(*scratch, limits, out);
}

}  // namespace

Status ParseOtlpJson(std::string_view text, const DecodeLimits& limits, Message* request) {
  request->Clear();
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // nlohmann's message names the byte offset and what was wrong (including
    // ill-formed UTF-8).
    return InvalidArgument(std::string("invalid JSON: ") + e.what());
  }
  JsonReader reader(limits);
  return reader.ReadMessage(doc, request, 0);
}

Status DecodeTracesJson(std::string_view json, const DecodeLimits& limits,
                        ExportTraceRequest* scratch, SpanBatch* out) {
  return DecodeJson(json, limits, scratch, out,
                    [](const ExportTraceRequest& r, const DecodeLimits& l, SpanBatch* b) {
                      return DecodeTraces(r, l, b);
                    });
}

Status DecodeMetricsJson(std::string_view json, const DecodeLimits& limits,
                         ExportMetricsRequest* scratch, MetricBatch* out) {
  return DecodeJson(json, limits, scratch, out,
                    [](const ExportMetricsRequest& r, const DecodeLimits& l, MetricBatch* b) {
                      return DecodeMetrics(r, l, b);
                    });
}

Status DecodeLogsJson(std::string_view json, const DecodeLimits& limits, ExportLogsRequest* scratch,
                      LogBatch* out) {
  return DecodeJson(json, limits, scratch, out,
                    [](const ExportLogsRequest& r, const DecodeLimits& l, LogBatch* b) {
                      return DecodeLogs(r, l, b);
                    });
}

}  // namespace coral::telemetry
