// A real clickhouse-server for tests: started as a child process on free
// loopback ports with everything (data, tmp, logs, users) in a temp folder
// and the time zone set to UTC; killed and removed when the object goes away,
// whether the test passed or not.
//
//   auto server = ClickHouseTestServer::Start();
//   if (!server.ok() && server.status().code() == StatusCode::kNotFound)
//     GTEST_SKIP() << server.status().message();
//   auto store = OpenStore((*server)->NewDatabaseUrl());
//
// Users: `default` without a password, and `coral` with a random password
// (for tests of authentication). Both may connect from 127.0.0.1 only.
//
// Thread-safety: Start and the destructor from one thread; the accessors
// from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "base/status.h"
#include "base/subprocess.h"
#include "base/temp_dir.h"

namespace coral::storage {

class ClickHouseTestServer {
 public:
  // NotFound (with what to install) when there is no clickhouse-server
  // binary; tests skip on it. Other failures (it did not start or answer
  // within 30 s) say why, with the end of the server's error log.
  static Result<std::unique_ptr<ClickHouseTestServer>> Start();
  // One server per process, started on first use and killed at exit; the
  // same Status on every call when it could not start. Tests share it and
  // keep apart with NewDatabaseUrl().
  static Result<ClickHouseTestServer*> Shared();
  ~ClickHouseTestServer() = default;

  int http_port() const { return http_port_; }
  // clickhouse://127.0.0.1:PORT/DB for the `default` user.
  std::string Url(const std::string& database = "default") const;
  // The same URL with a database name no other call returned (created by
  // OpenStore), so tests sharing one server do not see each other's tables.
  std::string NewDatabaseUrl();
  // User `coral` and its password, for authentication tests.
  const std::string& password() const { return password_; }
  std::string UrlWithPassword(const std::string& database, const std::string& password) const;
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  ClickHouseTestServer() = default;

  TempDir dir_{"coral-clickhouse"};  // destroyed after process_ (declared first)
  std::unique_ptr<Subprocess> process_;
  int http_port_ = 0;
  std::string password_;
  std::atomic<int> next_database_{0};
};

}  // namespace coral::storage
