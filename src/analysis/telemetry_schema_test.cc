#include "analysis/telemetry_schema.h"

#include <gtest/gtest.h>

#include "base/temp_dir.h"
#include "storage/store.h"

namespace coral::analysis {
namespace {

TEST(TelemetryStoreUrl, ADuckDbFileGetsTheColonyDefaultsUnlessItSaysOtherwise) {
  std::string memory = "memory_limit=" + DefaultStoreMemoryLimit();
  EXPECT_EQ(TelemetryStoreUrl("duckdb:///var/lib/coral/telemetry.duckdb"),
            "duckdb:///var/lib/coral/telemetry.duckdb?enable_external_access=false&"
            "checkpoint_threshold=128MB&" +
                memory);
  EXPECT_EQ(TelemetryStoreUrl("duckdb:///t.duckdb?threads=2&checkpoint_threshold=1GB"),
            "duckdb:///t.duckdb?threads=2&checkpoint_threshold=1GB&enable_external_access=false&" +
                memory);
  EXPECT_EQ(TelemetryStoreUrl("duckdb:///t.duckdb?memory_limit=8GB"),
            "duckdb:///t.duckdb?memory_limit=8GB&enable_external_access=false&"
            "checkpoint_threshold=128MB");
  // A quarter of this machine's memory, within 256 MB and 2 GB.
  int mb = std::stoi(DefaultStoreMemoryLimit());
  EXPECT_GE(mb, 256);
  EXPECT_LE(mb, 2048);
  EXPECT_EQ(TelemetryStoreUrl("clickhouse://127.0.0.1:8123/coral"),
            "clickhouse://127.0.0.1:8123/coral");
}

TEST(TelemetryStoreUrl, DuckDbTakesTheSettings) {
  TempDir dir("coral-telemetry-url");
  auto store =
      storage::OpenStore(TelemetryStoreUrl("duckdb://" + (dir.path() / "t.duckdb").string()));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto rows = (*store)->Query(
      "SELECT current_setting('checkpoint_threshold'), current_setting('enable_external_access')");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(std::get<std::string>(rows->rows[0][0]), "122.0 MiB");  // 128e6 bytes
  EXPECT_FALSE(std::get<bool>(rows->rows[0][1]));
}

}  // namespace
}  // namespace coral::analysis
