// The colony's summaries: per service per minute, per host per minute, and
// service-to-service edges per minute, computed from the raw agent tables in
// the store itself (INSERT ... SELECT, so raw rows never travel to the
// colony process) and kept longer than the raw rows.
//
//   service_minutes          server spans by start minute: requests, errors
//                            (status error), sum/max and p50/p95/p99 in ms
//   service_latency_minutes  the same spans counted per latency bucket, so a
//                            window of minutes has percentiles too
//   service_latency_histograms  those buckets as text "bucket:requests ...",
//                            a row per service per minute (minutes = 1) and
//                            per 10-minute block (minutes = 10, minute_us its
//                            first minute): a window reads its whole blocks
//                            and the minutes at its edges, a few rows per
//                            service rather than one per bucket
//   operation_minutes        the same spans per operation (span name):
//                            requests, errors, sum/max ms (a row per
//                            operation, not per latency bucket too: 1/40 of
//                            the rows, so evidence reads an hour in ms)
//   error_minutes            server spans with status error, per message
//   host_minutes             per agent: CPU (total), memory, load 1m, the
//                            fullest disk, disk and network throughput
//   topology_minutes         edges source -> target: via "span" (a client
//                            span whose child server span is in another
//                            service) with calls, errors and latency; via
//                            "tcp" (a connection from a service's process to
//                            a port another service listens on) with calls =
//                            distinct connections
//
// Percentiles, as defined here: the nearest rank — p of n sorted values is
// the ceil(p * n)-th (1-based). Per minute they are exact. Over a window they
// come from the latency buckets: bucket b holds durations d (microseconds)
// with floor(8 * log2(max(d, 1))) = b, and the window's percentile is the
// upper edge 2^((b+1)/8) µs of the bucket holding the nearest-rank value, but
// never more than the window's maximum: at most 9% above the exact figure.
//
// Which minutes to (re)compute: before the poller writes a batch of a table
// that feeds a summary, it notes the batch's time range here (persisted in
// summary_dirty before the rows are written); after the write it says so.
// Run() recomputes every minute touched by a noted range whose write has
// finished, then records how far it got (summary_progress). A colony killed
// anywhere in between recomputes those minutes again after its restart, and
// recomputing a minute gives the same rows: nothing is counted twice or lost.
// DuckDB replaces a minute's rows in one transaction; ClickHouse gets rows
// with a newer gen that replace the old ones on merge (readers use FINAL).
// The histograms of the recomputed minutes, and of the 10-minute blocks they
// touch (summed again from the minute rows), follow in the same transaction.
//
// Retention: Prune() deletes raw rows older than raw_retention and summary
// rows older than summary_retention (rounded down to a 10-minute block, so a
// block and its minutes go together).
//
// Thread-safety: all methods may be called from any thread; runs are
// serialized.
#pragma once

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "base/clock.h"
#include "base/status.h"
#include "storage/store.h"

namespace coral::analysis {

constexpr int64_t kMinuteUs = 60'000'000;
constexpr int64_t kLatencyBlockUs = 10 * kMinuteUs;  // service_latency_histograms

// Start of the minute, or of the 10-minute block, holding `us`.
inline int64_t FloorMinute(int64_t us) { return us - ((us % kMinuteUs) + kMinuteUs) % kMinuteUs; }
inline int64_t FloorLatencyBlock(int64_t us) {
  return us - ((us % kLatencyBlockUs) + kLatencyBlockUs) % kLatencyBlockUs;
}

// The SQL pieces that differ between the backends.
class SummaryDialect {
 public:
  explicit SummaryDialect(std::string_view backend) : clickhouse_(backend == "clickhouse") {}
  bool clickhouse() const { return clickhouse_; }
  // Start of the minute holding the microsecond time `col`.
  std::string Minute(const std::string& col) const;
  // Start of the unit_us-long span (from the epoch) holding `col`.
  std::string Floor(const std::string& col, int64_t unit_us) const;
  // Nearest-rank percentile p of the non-NULL integer column `col`, / 1e6.
  std::string PercentileMs(const std::string& col, double p) const;
  // The latency bucket of a duration in nanoseconds (see above).
  std::string Bucket(const std::string& ns_col) const;
  // A summary table to read from: ClickHouse reads the merged view.
  std::string Read(const std::string& table) const;
  // An aggregate: the text of a latency histogram, "bucket:requests ...".
  std::string HistogramText(const std::string& bucket_col, const std::string& requests_col) const;

 private:
  bool clickhouse_;
};

// Latency bucket edges, as defined above.
int64_t LatencyBucketOf(double micros);
double LatencyBucketUpperMs(int64_t bucket);

// Calls add(bucket, requests) for each "bucket:requests" of a histogram's
// text (space-separated, any order); false when the text is malformed.
template <typename Add>
bool ForEachLatencyBucket(std::string_view text, Add&& add) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    int64_t bucket = 0, requests = 0;
    auto b = std::from_chars(p, end, bucket);
    if (b.ec != std::errc() || b.ptr == end || *b.ptr != ':') return false;
    auto r = std::from_chars(b.ptr + 1, end, requests);
    if (r.ec != std::errc() || (r.ptr != end && *r.ptr != ' ')) return false;
    add(bucket, requests);
    if (r.ptr == end) break;
    p = r.ptr + 1;
    if (p == end) return false;  // a trailing space
  }
  return true;
}

struct SummarizerOptions {
  std::chrono::milliseconds interval{10'000};  // how often Run() goes by itself
  std::chrono::milliseconds raw_retention = std::chrono::hours(24);
  std::chrono::milliseconds summary_retention = std::chrono::hours(24 * 30);
  std::chrono::milliseconds prune_every = std::chrono::minutes(10);
};

class Summarizer {
 public:
  Summarizer(storage::Store& store, SummarizerOptions options,
             const Clock& clock = SystemClock::Get());
  ~Summarizer();
  Summarizer(const Summarizer&) = delete;
  Summarizer& operator=(const Summarizer&) = delete;

  // The table's column whose time places a row in a minute, or "" when the
  // table feeds no summary.
  static std::string_view TimeColumn(std::string_view table);

  // Notes that rows of times [min_us, max_us] are about to be written.
  // Returns a ticket for Written(); the note is persisted before it returns.
  Result<int64_t> Noting(int64_t min_us, int64_t max_us);
  // The same, with the note written through `in`: the transaction that
  // writes the rows, so note and rows land together (DuckDB), or the note
  // first (ClickHouse runs a transaction's writes in order).
  Result<int64_t> Noting(int64_t min_us, int64_t max_us, storage::Store& in);
  // The write of a noted batch is over (whether it landed or not).
  void Written(int64_t ticket);

  // Recomputes the minutes of every noted range whose write is over.
  Status Run();
  // Recomputes [from_us, to_us) (whole minutes) now.
  Status Recompute(int64_t from_us, int64_t to_us);
  // Deletes what is past its retention.
  Status Prune();

  // Runs Run() every interval and Prune() every prune_every until Stop().
  void Start();
  void Stop();

 private:
  Status LoadState();
  Status ServiceMinutes(storage::Store& store, int64_t from_us, int64_t to_us, int64_t gen);
  Status LatencyHistograms(storage::Store& store, int64_t from_us, int64_t to_us, int64_t gen);
  Status HostMinutes(storage::Store& store, int64_t from_us, int64_t to_us, int64_t gen);
  Status SpanEdges(storage::Store& store, int64_t from_us, int64_t to_us, int64_t gen);
  Status TcpEdges(storage::Store& store, int64_t from_us, int64_t to_us, int64_t gen);
  void Main();

  storage::Store& store_;
  const SummaryDialect dialect_;
  const SummarizerOptions options_;
  const Clock& clock_;

  std::mutex run_mu_;  // one Run/Recompute/Prune at a time

  std::mutex mu_;  // guards the fields below
  bool loaded_ = false;
  int64_t last_noted_ = 0;       // the largest noted_us handed out
  int64_t done_ = 0;             // every note up to this one is summarized
  std::set<int64_t> in_flight_;  // notes whose write is not over
  bool stopping_ = false;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace coral::analysis
