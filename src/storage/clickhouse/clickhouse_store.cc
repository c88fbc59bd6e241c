#include "storage/clickhouse/clickhouse_store.h"

#include <cctype>
#include <charconv>

#include "base/ids.h"
#include "crypto/keys.h"
#include "net/http_client.h"
#include "storage/clickhouse/clickhouse_sql.h"
#include "storage/sql_guard.h"

namespace coral::storage {

using clickhouse::BindParams;
using clickhouse::ChType;
using clickhouse::QuoteIdentifier;
using clickhouse::SplitSql;

namespace {

using namespace std::chrono_literals;

// Execute and Append have no caller-given limit; this one only keeps a hung
// server from holding a thread forever.
constexpr std::chrono::milliseconds kStatementTimeout = 10min;
constexpr std::chrono::milliseconds kConnectTimeout = 10s;

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<std::string> PercentDecode(std::string_view s, std::string_view what) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return InvalidArgument("storage URL: " + std::string(what) +
                               " has a '%' that is not followed by two hex digits");
      }
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::string Shown(std::string_view sql) {
  std::string_view shown = sql.substr(0, 200);
  return " [in: " + std::string(shown) + (sql.size() > shown.size() ? "..." : "") + "]";
}

// The first word of a statement, upper-cased, skipping blanks and comments.
std::string FirstKeyword(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i);
      if (i != std::string_view::npos) i += 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < sql.size() && std::isalpha(static_cast<unsigned char>(sql[i]))) {
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i++]))));
  }
  return word;
}

bool ChangesTables(std::string_view sql) {
  std::string word = FirstKeyword(sql);
  return word == "ALTER" || word == "CREATE" || word == "DROP" || word == "RENAME" ||
         word == "ATTACH" || word == "DETACH";
}

}  // namespace

Result<ClickHouseStore::Endpoint> ClickHouseStore::ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "clickhouse://";
  auto bad = [&](std::string_view why) {
    return InvalidArgument("storage URL: " + std::string(why) +
                           "; use clickhouse://host:port/db[?user=NAME&password=SECRET]");
  };
  if (url.substr(0, kScheme.size()) != kScheme) return bad("not a clickhouse:// URL");
  std::string_view rest = url.substr(kScheme.size());
  Endpoint e;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      query = amp == std::string_view::npos ? "" : query.substr(amp + 1);
      size_t eq = item.find('=');
      std::string_view key = item.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
      if (key == "user") {
        e.user = CORAL_TRY(PercentDecode(value, "user"));
      } else if (key == "password") {
        e.password = CORAL_TRY(PercentDecode(value, "password"));
      } else {
        return bad("unknown setting '" + std::string(key) + "' (only user and password)");
      }
    }
  }
  std::string_view authority = rest.substr(0, rest.find('/'));
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) e.database = std::string(db);
  }
  for (char c : e.database) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return bad("database name '" + e.database + "' may hold only letters, digits and _");
    }
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unclosed [ in the host");
    e.host = std::string(authority.substr(0, close + 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("junk after the IPv6 address");
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.find(':');
    e.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (e.host.empty() || e.host == "[]") return bad("no host");
  if (!port.empty()) {
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p <= 0 || p > 65535) {
      return bad("port '" + std::string(port) + "' is not a number from 1 to 65535");
    }
    e.port = p;
  }
  return e;
}

Result<std::unique_ptr<ClickHouseStore>> ClickHouseStore::Open(std::string_view url) {
  Endpoint e = CORAL_TRY(ParseUrl(url));
  std::string display = "clickhouse://" + e.host + ":" + std::to_string(e.port) + "/" + e.database;
  if (!e.user.empty()) display += "?user=" + PercentEncode(e.user);
  std::unique_ptr<ClickHouseStore> store(new ClickHouseStore(std::move(e), std::move(display)));
  Request ping{.body = "SELECT 1", .timeout = kConnectTimeout, .use_database = false};
  Response pong = CORAL_TRY(store->Send(ping, "connect"));
  CORAL_TRY(store->Check(pong, "connect", ping.body));
  Request create{.body = "CREATE DATABASE IF NOT EXISTS " + QuoteIdentifier(store->database_),
                 .timeout = kStatementTimeout,
                 .use_database = false};
  Response created = CORAL_TRY(store->Send(create, "create the database"));
  CORAL_TRY(store->Check(created, "create the database", create.body));
  return store;
}

ClickHouseStore::ClickHouseStore(Endpoint endpoint, std::string display_url)
    : endpoint_(std::move(endpoint)),
      database_(endpoint_.database),
      display_url_(std::move(display_url)) {}

ClickHouseStore::~ClickHouseStore() { crypto::Wipe(endpoint_.password); }

Result<ClickHouseStore::Response> ClickHouseStore::Send(const Request& request,
                                                        std::string_view what) {
  net::HttpClientRequest http;
  http.method = "POST";
  http.url = "http://" + endpoint_.host + ":" + std::to_string(endpoint_.port) + "/?";
  if (request.use_database) http.url += "database=" + PercentEncode(endpoint_.database) + "&";
  if (!request.query_in_url.empty())
    http.url += "query=" + PercentEncode(request.query_in_url) + "&";
  for (const auto& [key, value] : request.settings) {
    http.url += PercentEncode(key) + "=" + PercentEncode(value) + "&";
  }
  http.url.pop_back();
  http.body = request.body;
  http.timeout = request.timeout;
  http.connect_timeout = kConnectTimeout;
  if (!endpoint_.user.empty() || !endpoint_.password.empty()) {
    http.headers.emplace_back("X-ClickHouse-User",
                              endpoint_.user.empty() ? "default" : endpoint_.user);
  }
  if (!endpoint_.password.empty())
    http.headers.emplace_back("X-ClickHouse-Key", endpoint_.password);
  Result<net::HttpClientResponse> response = net::HttpFetch(http);
  for (auto& [key, value] : http.headers) {
    if (key == "X-ClickHouse-Key") crypto::Wipe(value);
  }
  if (!response.ok()) {
    const Status& s = response.status();
    std::string context = "clickhouse: " + std::string(what) + " on " + display_url_;
    if (s.code() == StatusCode::kUnavailable) {
      return Unavailable(context + ": cannot reach the server (" + s.message() +
                         "); check that clickhouse-server runs and that host and port name its "
                         "HTTP interface (http_port, 8123 by default)");
    }
    return s.WithContext(context);
  }
  return Response{response->status, std::move(response->body)};
}

Status ClickHouseStore::Check(const Response& response, std::string_view what,
                              std::string_view sql) {
  if (response.status == 200) return Status::Ok();
  Status s = clickhouse::ServerErrorStatus(
      response.status, response.body, "clickhouse: " + std::string(what) + " on " + display_url_);
  return Status(s.code(), s.message() + Shown(sql));
}

Status ClickHouseStore::Execute(std::string_view sql, const Params& params) {
  std::vector<clickhouse::SqlStatement> statements = CORAL_TRY(SplitSql(sql));
  std::vector<std::string> bound = CORAL_TRY(BindParams(statements, params));
  for (const std::string& statement : bound) {
    Request request{.body = statement, .timeout = kStatementTimeout};
    Response response = CORAL_TRY(Send(request, "statement"));
    if (ChangesTables(statement)) {
      std::lock_guard lock(columns_mutex_);
      columns_.clear();
    }
    CORAL_TRY(Check(response, "statement", statement));
  }
  return Status::Ok();
}

Result<RowSet> ClickHouseStore::Query(std::string_view sql, const Params& params,
                                      const QueryOptions& options) {
  std::vector<clickhouse::SqlStatement> statements = CORAL_TRY(SplitSql(sql));
  if (options.statements == Statements::kSelectOnly) {
    // One statement that reads: the server enforces it too (readonly below).
    std::string head = statements.size() == 1 ? statements[0].pieces[0] : "";
    size_t start = head.find_first_not_of(" \t\r\n(");
    std::string word = start == std::string::npos ? "" : head.substr(start, 6);
    for (char& c : word) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (statements.size() != 1 || (word != "SELECT" && word.substr(0, 4) != "WITH")) {
      return PermissionDenied("only a single SELECT may run here" + Shown(sql));
    }
    CORAL_TRY(CheckUserSqlNames(sql));
  }
  if (statements.size() != 1) {
    return InvalidArgument("clickhouse: a query must be one statement, got " +
                           std::to_string(statements.size()) + "; use Execute for scripts" +
                           Shown(sql));
  }
  std::vector<std::string> bound = CORAL_TRY(BindParams(statements, params));
  return QueryOne(bound[0], options);
}

namespace {
constexpr int64_t kUserQueryMemoryBytes = int64_t{1} << 30;
}  // namespace

Result<RowSet> ClickHouseStore::QueryOne(const std::string& sql, const QueryOptions& options) {
  Request request{.body = sql, .timeout = options.timeout};
  // wait_end_of_query: an error part-way through arrives as an HTTP error,
  // not as text after rows already sent with status 200.
  request.settings = {{"default_format", "Native"}, {"wait_end_of_query", "1"}};
  // readonly=2: no writes, no DDL; our own settings below may still be set.
  if (options.statements == Statements::kSelectOnly) {
    request.settings.emplace_back("readonly", "2");
    // A user's query may not take the server's memory: it fails past this.
    request.settings.emplace_back("max_memory_usage", std::to_string(kUserQueryMemoryBytes));
  }
  if (options.max_rows != 0) {
    request.settings.emplace_back("max_result_rows", std::to_string(options.max_rows + 1));
    request.settings.emplace_back("result_overflow_mode", "break");
  }
  std::string query_id;
  if (options.timeout.count() > 0) {
    auto seconds = (options.timeout.count() + 999) / 1000;
    request.settings.emplace_back("max_execution_time", std::to_string(seconds));
    query_id = "coral-" + RandomHex(12);
    request.settings.emplace_back("query_id", query_id);
  }
  Result<Response> response = Send(request, "query");
  if (!response.ok()) {
    if (response.status().code() == StatusCode::kDeadlineExceeded && !query_id.empty()) {
      // The server keeps running a query whose client left: stop it.
      Request kill{.body = "KILL QUERY WHERE query_id = '" + query_id + "' ASYNC",
                   .timeout = kConnectTimeout,
                   .use_database = false};
      (void)Send(kill, "kill the query");
      return DeadlineExceeded("clickhouse: query on " + display_url_ +
                              " stopped after the time limit of " +
                              std::to_string(options.timeout.count()) + " ms" + Shown(sql));
    }
    return response.status();
  }
  CORAL_TRY(Check(*response, "query", sql));
  if (response->body.empty()) return HeaderOnly(sql);
  RowSet rows;
  Status decoded =
      clickhouse::DecodeNative(response->body, options.max_rows, options.max_bytes, &rows);
  if (!decoded.ok()) return decoded.WithContext("query on " + display_url_ + Shown(sql));
  return rows;
}

// Native sends nothing at all for an empty result, not even column names.
// Asks again for the header only (TSVWithNamesAndTypes), read-only so that a
// statement with side effects cannot run twice: it then has no columns.
Result<RowSet> ClickHouseStore::HeaderOnly(const std::string& sql) {
  Request request{.body = sql, .timeout = kStatementTimeout};
  request.settings = {{"readonly", "2"},
                      {"default_format", "TSVWithNamesAndTypes"},
                      {"max_result_rows", "1"},
                      {"result_overflow_mode", "break"}};
  Response response = CORAL_TRY(Send(request, "query (column names)"));
  RowSet rows;
  if (response.status != 200) {
    if (clickhouse::ParseServerError(response.body).code == 164) return rows;  // READONLY
    CORAL_TRY(Check(response, "query (column names)", sql));
  }
  std::string_view body = response.body;
  size_t nl1 = body.find('\n');
  size_t nl2 = nl1 == std::string_view::npos ? nl1 : body.find('\n', nl1 + 1);
  if (nl2 == std::string_view::npos) return rows;  // a statement without a result
  auto fields = [](std::string_view line) {
    std::vector<std::string> out;
    while (true) {
      size_t tab = line.find('\t');
      out.push_back(clickhouse::UnescapeTsv(line.substr(0, tab)));
      if (tab == std::string_view::npos) return out;
      line.remove_prefix(tab + 1);
    }
  };
  std::vector<std::string> names = fields(body.substr(0, nl1));
  std::vector<std::string> types = fields(body.substr(nl1 + 1, nl2 - nl1 - 1));
  if (names.size() != types.size()) {
    return Corruption("clickhouse: query on " + display_url_ + ": " + std::to_string(names.size()) +
                      " column names but " + std::to_string(types.size()) + " types" + Shown(sql));
  }
  for (size_t c = 0; c < names.size(); ++c) {
    ChType type = CORAL_TRY(clickhouse::ParseType(types[c], names[c]));
    rows.columns.push_back({names[c], clickhouse::CoralType(type)});
  }
  return rows;
}

Result<ClickHouseStore::ColumnTypes> ClickHouseStore::TableColumns(const std::string& table,
                                                                   bool refresh) {
  if (!refresh) {
    std::lock_guard lock(columns_mutex_);
    if (auto it = columns_.find(table); it != columns_.end()) return it->second;
  }
  std::vector<std::string> sql = CORAL_TRY(BindParams(
      CORAL_TRY(SplitSql("SELECT name, type FROM system.columns WHERE database = ? AND table = ?")),
      {database_, table}));
  RowSet rows = CORAL_TRY(QueryOne(sql[0], {}));
  ColumnTypes types;
  for (const auto& row : rows.rows) {
    types[std::get<std::string>(row[0])] = std::get<std::string>(row[1]);
  }
  if (!types.empty()) {
    std::lock_guard lock(columns_mutex_);
    columns_[table] = types;
  }
  return types;
}

Status ClickHouseStore::Append(const Batch& batch) {
  if (batch.rows.empty()) return Status::Ok();
  std::string context = "clickhouse: append to " + batch.table + " on " + display_url_;
  ColumnTypes columns = CORAL_TRY(TableColumns(batch.table, /*refresh=*/false));
  bool all_known = !columns.empty();
  for (const auto& name : batch.columns) all_known = all_known && columns.count(name) != 0;
  if (!all_known) columns = CORAL_TRY(TableColumns(batch.table, /*refresh=*/true));
  if (columns.empty()) {
    return NotFound(context + ": no such table in database " + database_ +
                    "; create it first (or run the migrations)");
  }
  std::vector<ChType> types;
  std::string insert = "INSERT INTO " + QuoteIdentifier(batch.table) + " (";
  for (size_t c = 0; c < batch.columns.size(); ++c) {
    const std::string& name = batch.columns[c];
    auto it = columns.find(name);
    if (it == columns.end()) {
      return InvalidArgument(context + ": the table has no column '" + name + "'");
    }
    Result<ChType> type = clickhouse::ParseType(it->second, name);
    if (!type.ok()) return type.status().WithContext(context);
    types.push_back(std::move(type).value());
    insert += (c == 0 ? "" : ", ") + QuoteIdentifier(name);
  }
  insert += ") FORMAT RowBinary";

  std::string body;
  body.reserve(batch.rows.size() * batch.columns.size() * 10);
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    const auto& row = batch.rows[r];
    if (row.size() != batch.columns.size()) {
      return InvalidArgument(context + ": row " + std::to_string(r) + " has " +
                             std::to_string(row.size()) + " values for " +
                             std::to_string(batch.columns.size()) + " columns");
    }
    for (size_t c = 0; c < row.size(); ++c) {
      Status s = clickhouse::EncodeRowBinary(types[c], row[c], &body);
      if (!s.ok()) {
        return s.WithContext(context + ": row " + std::to_string(r) + ", column '" +
                             batch.columns[c] + "'");
      }
    }
  }
  Request request{.body = std::move(body), .query_in_url = insert, .timeout = kStatementTimeout};
  Response response = CORAL_TRY(Send(request, "append to " + batch.table));
  Status s = Check(response, "append to " + batch.table, insert);
  if (!s.ok()) {
    std::lock_guard lock(columns_mutex_);
    columns_.erase(batch.table);  // the table may have changed under us
  }
  return s;
}

Status ClickHouseStore::Transaction(const std::function<Status(Store&)>& body) {
  return body(*this);
}

Result<std::string> ClickHouseStore::ServerVersion() {
  RowSet rows = CORAL_TRY(Query("SELECT version()"));
  if (rows.rows.size() != 1) return Internal("clickhouse: SELECT version() returned no row");
  return std::get<std::string>(rows.rows[0][0]);
}

}  // namespace coral::storage
