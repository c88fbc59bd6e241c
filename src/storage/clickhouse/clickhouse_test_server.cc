#include "storage/clickhouse/clickhouse_test_server.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "base/files.h"
#include "base/ids.h"
#include "net/http_client.h"
#include "tests/free_port.h"

namespace coral::storage {

namespace {

using namespace std::chrono_literals;

constexpr auto kReadyTimeout = 30s;
constexpr int kAttempts = 3;  // a free port may be taken before the server binds it

// clickhouse-server lives in /usr/sbin, which a non-root PATH may lack.
std::string FindBinary() {
  std::string path = getenv("PATH") != nullptr ? getenv("PATH") : "";
  path += ":/usr/sbin:/usr/bin:/usr/local/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? colon : colon - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/clickhouse-server";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return "";
}

std::string Config(const std::filesystem::path& dir, int http_port, int tcp_port) {
  std::string d = dir.string();
  return R"(<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>)" +
         d + R"(/log/server.log</log>
    <errorlog>)" +
         d + R"(/log/server.err.log</errorlog>
    <size>10M</size>
    <count>1</count>
  </logger>
  <http_port>)" +
         std::to_string(http_port) + R"(</http_port>
  <tcp_port>)" +
         std::to_string(tcp_port) + R"(</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>)" +
         d + R"(/data/</path>
  <tmp_path>)" +
         d + R"(/tmp/</tmp_path>
  <user_files_path>)" +
         d + R"(/user_files/</user_files_path>
  <format_schema_path>)" +
         d + R"(/format_schemas/</format_schema_path>
  <users_config>)" +
         d + R"(/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
  <mlock_executable>false</mlock_executable>
</yandex>
)";
}

std::string Users(const std::string& password) {
  std::string user = R"(<networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile><quota>default</quota>)";
  return R"(<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default><password></password>)" +
         user + R"(</default>
    <coral><password>)" +
         password + "</password>" + user + R"(</coral>
  </users>
  <quotas><default></default></quotas>
</yandex>
)";
}

std::string Tail(const std::filesystem::path& file) {
  std::string text = ReadFile(file).value_or("");
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

Result<std::unique_ptr<ClickHouseTestServer>> ClickHouseTestServer::Start() {
  std::string binary = FindBinary();
  if (binary.empty()) {
    return NotFound(
        "clickhouse-server is not installed (Debian package clickhouse-server; scripts/setup.sh "
        "installs it)");
  }
  std::string last_error;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::unique_ptr<ClickHouseTestServer> server(new ClickHouseTestServer());
    server->password_ = RandomHex(12);
    const auto& dir = server->dir_.path();
    CORAL_TRY(MakeDirs(dir / "log", FileMode::kPrivate));
    int http_port = FreePort();
    int tcp_port = FreePort();
    CORAL_TRY(
        WriteFileAtomic(dir / "config.xml", Config(dir, http_port, tcp_port), FileMode::kPrivate));
    CORAL_TRY(WriteFileAtomic(dir / "users.xml", Users(server->password_), FileMode::kPrivate));
    SubprocessOptions options;
    options.argv = {binary, "--config-file=" + (dir / "config.xml").string()};
    options.working_dir = dir.string();
    options.stdout_mode = Capture::kDiscard;  // it logs to files in dir
    options.stderr_mode = Capture::kDiscard;
    auto process = Subprocess::Start(options);
    if (!process.ok()) return process.status().WithContext("clickhouse test server");
    server->process_ = std::make_unique<Subprocess>(std::move(process).value());
    server->http_port_ = http_port;

    auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
    net::HttpClientRequest ping;
    ping.url = "http://127.0.0.1:" + std::to_string(http_port) + "/?query=SELECT%201";
    ping.timeout = 2s;
    ping.connect_timeout = 1s;
    while (std::chrono::steady_clock::now() < deadline && server->process_->Running()) {
      auto response = net::HttpFetch(ping);
      if (response.ok() && response->status == 200 && response->body == "1\n") return server;
      std::this_thread::sleep_for(50ms);
    }
    std::string log = Tail(dir / "log" / "server.err.log");
    last_error = server->process_->Running()
                     ? "did not answer SELECT 1 on port " + std::to_string(http_port) + " within " +
                           std::to_string(kReadyTimeout.count()) + " s"
                     : "exited during start-up";
    last_error += "; its error log ends with:\n" + log;
    if (log.find("Address already in use") == std::string::npos) break;
  }
  return Unavailable("clickhouse test server: " + last_error);
}

Result<ClickHouseTestServer*> ClickHouseTestServer::Shared() {
  static Result<std::unique_ptr<ClickHouseTestServer>> server = Start();
  if (!server.ok()) return server.status();
  return server->get();
}

std::string ClickHouseTestServer::Url(const std::string& database) const {
  return "clickhouse://127.0.0.1:" + std::to_string(http_port_) + "/" + database;
}

std::string ClickHouseTestServer::NewDatabaseUrl() {
  return Url("test_" + std::to_string(next_database_++) + "_" + RandomHex(4));
}

std::string ClickHouseTestServer::UrlWithPassword(const std::string& database,
                                                  const std::string& password) const {
  return Url(database) + "?user=coral&password=" + password;
}

}  // namespace coral::storage
