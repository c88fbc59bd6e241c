#include "config/colony_config.h"

#include "base/ids.h"

namespace coral::config {

Status ColonyConfig::Validate() const {
  auto id_parsed = ParseColonyId(id);
  if (!id_parsed.ok()) return id_parsed.status().WithContext("key 'id'");
  if (id_parsed->app != app || id_parsed->env != env) {
    return InvalidArgument("key 'id': '" + id + "' does not match app '" + app + "' and env '" +
                           env + "'");
  }
  if (storage_url.rfind("duckdb://", 0) != 0 && storage_url.rfind("clickhouse://", 0) != 0) {
    return InvalidArgument("key 'storage.url': '" + storage_url +
                           "' is not a duckdb:///path or clickhouse://host:port/db URL");
  }
  return Status::Ok();
}

}  // namespace coral::config
