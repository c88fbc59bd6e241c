// Rows on the wire: storage Values into the coral.v1.Row / Value messages that
// the agent's QueryTable and the colony's QuerySql answer with (an unset
// Value is NULL; timestamps travel as microseconds).
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <vector>

#include "coral/v1/agent.pb.h"
#include "storage/value.h"

namespace coral::storage {

void AppendProtoRows(const std::vector<std::vector<Value>>& rows,
                     google::protobuf::RepeatedPtrField<coral::v1::Row>* out);

}  // namespace coral::storage
