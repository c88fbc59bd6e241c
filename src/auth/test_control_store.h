// For auth tests: a DuckDB control store with the tokens and audit tables.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "auth/audit.h"
#include "auth/tokens.h"
#include "storage/store.h"

namespace coral::auth {

inline std::unique_ptr<storage::Store> OpenTestControlStore() {
  static const std::vector<storage::Migration> kMigrations = {
      {1, "auth", std::string(TokensTableSql()) + std::string(AuditTableSql()), ""}};
  auto store = storage::OpenStore("duckdb://:memory:");
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  Status migrated = (*store)->Migrate(kMigrations);
  EXPECT_TRUE(migrated.ok()) << migrated.ToString();
  return std::move(*store);
}

}  // namespace coral::auth
