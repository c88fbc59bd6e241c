#include "storage/column_journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/files.h"
#include "base/temp_dir.h"

namespace coral::storage {
namespace {

// Three rows of every column type, with NULLs in some.
ColumnBatch Sample(int64_t first) {
  ColumnBatch b{"spans", {}};
  b.columns.reserve(5);
  auto& seq = b.columns.emplace_back("seq", ColumnType::kInt64);
  auto& ts = b.columns.emplace_back("ts", ColumnType::kTimestamp);
  auto& name = b.columns.emplace_back("name", ColumnType::kString);
  auto& ratio = b.columns.emplace_back("ratio", ColumnType::kDouble);
  auto& ok = b.columns.emplace_back("ok", ColumnType::kBool);
  for (int64_t i = 0; i < 3; ++i) {
    seq.AddInt(first + i);
    ts.AddTimestamp(Timestamp{1'700'000'000'000'000 + i});
    if (i == 1) {
      name.AddNull();
      ratio.AddNull();
    } else {
      name.AddString(i == 0 ? "GET /cart" : "");
      ratio.AddDouble(0.25 * static_cast<double>(i));
    }
    ok.AddBool(i != 2);
  }
  return b;
}

std::string Payload(const std::string& record) { return record.substr(12); }

TEST(ColumnJournalTest, RecordsDecodeToTheSameRowsAndAppendToOneBatch) {
  std::string a = EncodeJournalRecord(Sample(1)), b = EncodeJournalRecord(Sample(4));
  std::string pa = Payload(a), pb = Payload(b);
  ColumnBatch out;
  ASSERT_TRUE(DecodeJournalPayload(pa, &out).ok()) << DecodeJournalPayload(pa, &out).ToString();
  ASSERT_TRUE(DecodeJournalPayload(pb, &out).ok());
  ASSERT_EQ(out.table, "spans");
  ASSERT_EQ(out.rows(), 6u);
  ColumnBatch want = Sample(1), want2 = Sample(4);
  for (size_t c = 0; c < want.columns.size(); ++c) {
    EXPECT_EQ(out.columns[c].name(), want.columns[c].name());
    EXPECT_EQ(out.columns[c].type(), want.columns[c].type());
    for (size_t r = 0; r < 3; ++r) {
      EXPECT_EQ(out.columns[c].ValueAt(r), want.columns[c].ValueAt(r)) << c << "/" << r;
      EXPECT_EQ(out.columns[c].ValueAt(r + 3), want2.columns[c].ValueAt(r)) << c << "/" << r;
    }
  }
}

TEST(ColumnJournalTest, Crc32cIsTheSameWithAndWithoutTheCpuInstruction) {
  // Check values from RFC 3720 B.4 and the usual "123456789".
  const std::pair<std::string, uint32_t> kKnown[] = {
      {"123456789", 0xE3069283u},
      {std::string(32, '\0'), 0x8A9136AAu},
      {std::string(32, '\xFF'), 0x62A8AB43u},
      {"", 0u},
  };
  for (const auto& [bytes, crc] : kKnown) {
    EXPECT_EQ(Crc32cPortable(bytes), crc) << bytes.size();
    EXPECT_EQ(Crc32c(bytes), crc) << bytes.size();
  }
  // Every length around the 8-byte steps of the instruction, every alignment.
  std::string noise;
  uint64_t x = 0x9E3779B97F4A7C15u;
  for (int i = 0; i < 4096; ++i) {
    x = x * 6364136223846793005u + 1442695040888963407u;
    noise.push_back(static_cast<char>(x >> 56));
  }
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t n = 0; n < 40; ++n) {
      std::string_view part(noise.data() + offset, n);
      ASSERT_EQ(Crc32c(part), Crc32cPortable(part)) << offset << " " << n;
    }
  }
  EXPECT_EQ(Crc32c(noise), Crc32cPortable(noise));
}

TEST(ColumnJournalTest, RecordsCarryTheCrc32cOfTheirPayload) {
  std::string record = EncodeJournalRecord(Sample(1));
  ASSERT_EQ(record.substr(0, 4), "CJ1\n");
  ASSERT_EQ(record.size(), 12 + static_cast<size_t>(static_cast<uint8_t>(record[4]) |
                                                    static_cast<uint8_t>(record[5]) << 8 |
                                                    static_cast<uint8_t>(record[6]) << 16));
  // The CRC-32C check value (RFC 3720 B.4): "123456789" -> 0xE3069283. A
  // record made of a payload of exactly those bytes must carry it.
  std::string payload = "123456789";
  std::string framed = record.substr(0, 4);
  uint32_t size = 9, crc = 0xE3069283u;
  framed.append(reinterpret_cast<const char*>(&size), 4);
  framed.append(reinterpret_cast<const char*>(&crc), 4);
  framed += payload;
  TempDir dir;
  {
    auto journal = *ColumnJournal::Open(dir.path(), "check");
    ASSERT_TRUE(journal->Write(framed).ok());
  }
  auto journal = *ColumnJournal::Open(dir.path(), "check");
  std::string seen;
  auto r = journal->ReadSegment(1, 0, [&](uint64_t, std::unique_ptr<std::string> p) -> Result<bool> {
    seen = *p;
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(seen, payload);  // read back: the checksum matched
}

TEST(ColumnJournalTest, DamagedOrMismatchedPayloadsAreRefused) {
  std::string p = Payload(EncodeJournalRecord(Sample(1)));
  for (size_t cut : {size_t{1}, size_t{10}, p.size() / 2, p.size() - 1}) {
    ColumnBatch out;
    Status s = DecodeJournalPayload(std::string_view(p).substr(0, cut), &out);
    EXPECT_EQ(s.code(), StatusCode::kCorruption) << cut;
  }
  ColumnBatch other{"logs", {}};
  other.columns.emplace_back("seq", ColumnType::kInt64).AddInt(1);
  std::string q = Payload(EncodeJournalRecord(other));
  ColumnBatch out;
  ASSERT_TRUE(DecodeJournalPayload(p, &out).ok());
  EXPECT_EQ(DecodeJournalPayload(q, &out).code(), StatusCode::kCorruption);
  EXPECT_EQ(out.rows(), 3u);
}

TEST(ColumnJournalTest, SegmentsSurviveReopenAndATornTailIsSkipped) {
  TempDir dir;
  {
    auto journal = *ColumnJournal::Open(dir.path(), "staged");
    ASSERT_TRUE(journal->Write(EncodeJournalRecord(Sample(1))).ok());
    ASSERT_EQ(*journal->Rotate(), 1u);
    ASSERT_TRUE(journal->Write(EncodeJournalRecord(Sample(4))).ok());
    ASSERT_TRUE(journal->Write(EncodeJournalRecord(Sample(7))).ok());
  }
  // A crash in the middle of a third record in segment 2.
  std::string torn = EncodeJournalRecord(Sample(10));
  std::ofstream(dir / "staged.00000002.journal", std::ios::app)
      << torn.substr(0, torn.size() / 2);
  auto journal = *ColumnJournal::Open(dir.path(), "staged");
  EXPECT_EQ(journal->ClosedSegments(), (std::vector<uint64_t>{1, 2}));
  // The first sequence of each record read back from a segment.
  std::vector<uint64_t> offsets;
  auto firsts = [&](uint64_t id, int64_t* skipped, uint64_t start = 0) {
    std::vector<int64_t> out;
    auto r = journal->ReadSegment(id, start, [&](uint64_t offset,
                                                 std::unique_ptr<std::string> payload) -> Result<bool> {
      ColumnBatch b;
      CORAL_TRY(DecodeJournalPayload(*payload, &b));
      out.push_back(b.columns[0].ints()[0]);
      offsets.push_back(offset);
      return true;
    });
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    *skipped = r.ok() ? *r : -1;
    return out;
  };
  int64_t skipped = 0;
  EXPECT_EQ(firsts(1, &skipped), (std::vector<int64_t>{1}));
  EXPECT_EQ(skipped, 0);
  EXPECT_EQ(firsts(2, &skipped), (std::vector<int64_t>{4, 7}));
  EXPECT_EQ(skipped, static_cast<int64_t>(torn.size() / 2));
  // Reading can start at a record's offset.
  ASSERT_EQ(offsets.size(), 3u);
  EXPECT_EQ(offsets[1], 0u);
  EXPECT_EQ(firsts(2, &skipped, offsets[2]), (std::vector<int64_t>{7}));

  // A flipped byte fails the checksum and ends the segment there.
  std::string bytes = *ReadFile(dir / "staged.00000002.journal");
  bytes[bytes.size() - torn.size() / 2 - 3] ^= 0x40;  // in the record of 7
  ASSERT_TRUE(WriteFileAtomic(dir / "staged.00000002.journal", bytes, FileMode::kPrivate).ok());
  EXPECT_EQ(firsts(2, &skipped), (std::vector<int64_t>{4}));
  EXPECT_GT(skipped, static_cast<int64_t>(torn.size() / 2));

  // An error from the reader's function stops the reading and comes back.
  auto stopped = journal->ReadSegment(2, 0, [](uint64_t, std::unique_ptr<std::string>)
                                          -> Result<bool> { return Internal("stop"); });
  EXPECT_EQ(stopped.status().code(), StatusCode::kInternal);
  int calls = 0;
  auto once = journal->ReadSegment(2, 0, [&](uint64_t, std::unique_ptr<std::string>)
                                       -> Result<bool> { return ++calls > 1; });
  EXPECT_TRUE(once.ok());
  EXPECT_EQ(calls, 1);

  // Removing what was stored leaves only the segment being written.
  ASSERT_TRUE(journal->RemoveThrough(2).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "staged.00000001.journal"));
  EXPECT_FALSE(std::filesystem::exists(dir / "staged.00000002.journal"));
  EXPECT_TRUE(std::filesystem::exists(dir / "staged.00000003.journal"));
  EXPECT_TRUE(journal->ClosedSegments().empty());
}

}  // namespace
}  // namespace coral::storage
