// The colony's REST API (rest_api.h) as a client on the network drives it:
// the first line of the input is "METHOD /api/v1/route?query", the rest the
// body; an input whose first byte has bit 0x20 clear (an upper-case letter)
// carries a viewer's token. Behind it: a DuckDB colony store with demo spans,
// real tokens, policy and audit log.
//
// Invariants: every request gets one of the API's statuses; a 200 carries a
// JSON object; nothing a request says writes to the telemetry store.
#include <set>

#include "analysis/rest_api.h"
#include "fuzz_colony.h"
#include "fuzz_target.h"

int CoralFuzzTarget(const uint8_t* data, size_t size) {
  using namespace coral;
  auto& w = analysis::TheWorld();
  static analysis::RestApi api(*w.view, *w.door, "fuzz");
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t eol = in.find('\n');
  std::string_view line = in.substr(0, eol);
  net::HttpRequest req;
  req.body = eol == std::string_view::npos ? "" : std::string(in.substr(eol + 1));
  size_t space = line.find(' ');
  req.method = std::string(line.substr(0, space));
  req.target = space == std::string_view::npos ? "" : std::string(line.substr(space + 1));
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.query = q == std::string::npos ? "" : req.target.substr(q + 1);
  if (size > 0 && (data[0] & 0x20) == 0)
    req.headers.push_back({"Authorization", "Bearer " + w.token});
  if (!analysis::RestApi::Handles(req.path)) return 0;
  net::HttpResponse r = api.Handle(req);
  static const std::set<int> kStatuses = {200, 400, 401, 403, 404, 405, 413, 503, 504};
  CORAL_CHECK(kStatuses.contains(r.status), "status " + std::to_string(r.status) + ": " + r.body);
  auto body = nlohmann::json::parse(r.body, nullptr, false);
  CORAL_CHECK(body.is_object(), "not a JSON object: " + r.body.substr(0, 200));
  CORAL_CHECK(analysis::CountSpans(*w.telemetry) == w.spans, "a request changed the store");
  return 0;
}

std::vector<std::vector<uint8_t>> CoralFuzzSeeds() { return {}; }
