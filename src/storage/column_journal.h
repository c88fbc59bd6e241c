// ColumnJournal: an append-only log of ColumnBatch records on disk, for rows a
// writer has promised to keep but has not yet written to its store. The agent
// answers an OTLP request once the request's rows are here, and writes them
// to DuckDB later, many requests at a time (see AgentStore::StageColumns).
//
// The journal is a folder of segment files, `<name>.<id>.journal`, ids
// increasing. Writes go to the newest segment and are synced (fdatasync)
// before Write returns, as a database commit would be. Rotate() starts a new
// segment; once the rows of the older segments are in the store,
// RemoveThrough(id) deletes them. ReadSegment() streams a closed segment's
// records back, for the store and, after a crash, for the replay.
//
// Record: "CJ1\n" | u32 payload size | u32 crc32c(payload) | payload, little
// endian. A record cut short or with a wrong checksum (a crash in the middle
// of a write) ends its segment: it and anything after it are skipped and
// counted, never half-read.
//
// Payload: u16 table length, table, u16 columns, u32 rows, then per column:
// u16 name length, name, u8 type, u8 has_nulls, [rows bytes of null flags],
// then the values: 8 bytes a row for ints, timestamps, bools and doubles; for
// strings, u32 lengths for every row followed by the text back to back.
//
// Thread-safety: Sync() is safe from any thread; the owner serializes every
// other call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/unique_fd.h"
#include "storage/column_batch.h"

namespace coral::storage {

// CRC-32C (Castagnoli) of bytes: by the SSE4.2 instruction where the CPU has
// it, else by Crc32cPortable (a table), which gives the same value anywhere.
uint32_t Crc32c(std::string_view bytes);
uint32_t Crc32cPortable(std::string_view bytes);

// The framed record (header and payload) for a batch.
std::string EncodeJournalRecord(const ColumnBatch& batch);

// The payload of a record from EncodeJournalRecord().
std::string_view JournalPayloadOf(std::string_view record);

// Appends the rows of one record's payload to `into`, whose strings then point
// into `payload` (which must outlive it). `into` must be empty or have the
// record's table and columns; anything else is Corruption. When `into` is
// empty, its columns are sized for reserve_rows (the rows still to come).
Status DecodeJournalPayload(std::string_view payload, ColumnBatch* into, size_t reserve_rows = 0);

class ColumnJournal {
 public:
  // Opens the folder (created if missing, owner only). Segments already there
  // stay for ReadSegment(); writes go to a new segment after them.
  static Result<std::unique_ptr<ColumnJournal>> Open(const std::filesystem::path& dir,
                                                     const std::string& name);

  // The segments before the one being written, oldest first.
  std::vector<uint64_t> ClosedSegments() const;
  // Calls fn with each record of a closed segment from byte `start` (0 or an
  // offset fn was given), in order, with its offset and payload, while fn
  // returns true. Returns the bytes at the end that are not a whole record (a
  // write cut short by a crash), or fn's first error.
  using RecordFn =
      std::function<Result<bool>(uint64_t offset, std::unique_ptr<std::string> payload)>;
  Result<int64_t> ReadSegment(uint64_t id, uint64_t start, const RecordFn& fn) const;

  // Where a record ends: ordered by segment, then offset.
  struct Position {
    uint64_t segment = 0;
    uint64_t offset = 0;
    auto operator<=>(const Position&) const = default;
  };
  // Appends a record from EncodeJournalRecord() (not yet synced).
  Result<Position> Append(std::string_view record);
  // Returns once everything up to `upto` is on disk. Safe to call from many
  // threads at once, alongside Append and Rotate: one fdatasync covers every
  // record appended before it, so concurrent writers share syncs.
  Status Sync(Position upto);
  // Append and Sync.
  Status Write(std::string_view record);
  // Syncs and closes the current segment and starts the next; returns the
  // closed id.
  Result<uint64_t> Rotate();
  // Deletes every segment with an id up to `id` (not the one being written).
  Status RemoveThrough(uint64_t id);

  const std::filesystem::path& dir() const { return dir_; }

 private:
  ColumnJournal(std::filesystem::path dir, std::string name)
      : dir_(std::move(dir)), name_(std::move(name)) {}
  std::filesystem::path SegmentPath(uint64_t id) const;
  Status OpenSegment(uint64_t id);
  std::vector<uint64_t> SegmentIds() const;

  std::filesystem::path dir_;
  std::string name_;
  std::mutex mutex_;  // guards what follows; Append and Rotate also hold it briefly
  uint64_t current_ = 0;            // the segment being written
  uint64_t size_ = 0;               // its size after the last whole record
  std::shared_ptr<UniqueFd> fd_;    // shared with a Sync in progress
  Position synced_;                 // everything up to here is on disk
  std::mutex sync_mutex_;           // one fdatasync at a time
};

}  // namespace coral::storage
