#include "storage/proto_rows.h"

namespace coral::storage {

void AppendProtoRows(const std::vector<std::vector<Value>>& rows,
                     google::protobuf::RepeatedPtrField<coral::v1::Row>* out) {
  out->Reserve(out->size() + static_cast<int>(rows.size()));
  for (const auto& row : rows) {
    auto* r = out->Add();
    for (const auto& v : row) {
      auto* cell = r->add_values();
      if (auto* b = std::get_if<bool>(&v)) cell->set_bool_value(*b);
      if (auto* i = std::get_if<int64_t>(&v)) cell->set_int_value(*i);
      if (auto* d = std::get_if<double>(&v)) cell->set_double_value(*d);
      if (auto* s = std::get_if<std::string>(&v)) cell->set_string_value(*s);
      if (auto* t = std::get_if<Timestamp>(&v)) cell->set_timestamp_micros(t->micros);
    }
  }
}

}  // namespace coral::storage
