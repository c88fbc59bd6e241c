// Test helper: opens a DuckDB file, prints "ready", and holds it open until
// killed (at most 60 s). Lets tests see what a second process gets.
#include <unistd.h>

#include <cstdio>

#include "storage/duckdb/duckdb_store.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: duckdb_lock_holder FILE\n");
    return 2;
  }
  auto store = coral::storage::DuckDbStore::Open(argv[1]);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  ::sleep(60);
  return 0;
}
