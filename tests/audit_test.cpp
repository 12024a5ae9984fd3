#include "pipeline/audit/audit_log.h"

#include <gtest/gtest.h>

#include "pipeline/core/hash.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::ReadAll;
using testing::TempDir;
using testing::WriteAll;

TEST(AuditLog, ChainsLinesAndContinuesAcrossRuns) {
  TempDir dir;
  std::string path = dir / "audit.jsonl";
  {
    auto log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append({{"event", "run_start"}}).ok());
    ASSERT_TRUE((*log)->Append({{"event", "document"}, {"text", "caf\xC3\xA9"}}).ok());
  }
  {
    auto log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append({{"event", "run_end"}}).ok());
  }
  ChainCheck c = VerifyAuditChain(path);
  EXPECT_TRUE(c.intact) << c.message;
  EXPECT_EQ(c.lines, 3u);
  std::string data = ReadAll(path);
  std::string first = data.substr(0, data.find('\n'));
  auto j = nlohmann::json::parse(first);
  EXPECT_EQ(j["prev"], kGenesisHash);
  EXPECT_EQ(j["seq"], 1);
  auto second = nlohmann::json::parse(
      data.substr(data.find('\n') + 1, data.find('\n', data.find('\n') + 1) - data.find('\n') - 1));
  EXPECT_EQ(second["prev"], Sha256Hex(first));
}

TEST(AuditLog, KeptRecordsAreWhatTheFileHolds) {
  TempDir dir;
  std::string path = dir / "audit.jsonl";
  {
    auto log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append({{"event", "run_start"}, {"n", 1}}).ok());
  }
  auto log = AuditLog::Open(path, Env::Default(), /*keep_records=*/true);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append({{"event", "document"}, {"pages", 3}, {"x", 0.25}}).ok());
  ASSERT_TRUE((*log)->Append({{"event", "run_end"}}).ok());
  // The run before this one's record, read from the file, then this run's two.
  std::vector<nlohmann::json> from_file;
  ASSERT_TRUE(VerifyAuditChain(path, &from_file).intact);
  const std::vector<nlohmann::json> kept = (*log)->TakeRecords();
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept, from_file);
  EXPECT_EQ(kept[2]["seq"], 3);
  EXPECT_TRUE((*log)->TakeRecords().empty());  // taken
  // Without keep_records nothing is held.
  auto plain = AuditLog::Open(path);
  ASSERT_TRUE(plain.ok());
  ASSERT_TRUE((*plain)->Append({{"event", "run_start"}}).ok());
  EXPECT_TRUE((*plain)->TakeRecords().empty());
}

TEST(AuditLog, AnyEditedByteBreaksTheChainAtThatLine) {
  TempDir dir;
  std::string path = dir / "audit.jsonl";
  auto log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE((*log)->Append({{"event", "document"}, {"n", i}}).ok());
  const std::string original = ReadAll(path);
  // Flip one byte in every position of line 2 (except the newline): each must be caught.
  size_t start = original.find('\n') + 1;
  size_t end = original.find('\n', start);
  for (size_t pos = start; pos < end; ++pos) {
    std::string tampered = original;
    tampered[pos] = tampered[pos] == 'x' ? 'y' : 'x';
    WriteAll(path, tampered);
    ChainCheck c = VerifyAuditChain(path);
    EXPECT_FALSE(c.intact) << "byte " << pos;
    // An edit to line 2 is seen on line 2 itself (bad JSON, bad seq) or on line 3 (its hash).
    EXPECT_TRUE(c.bad_line == 2 || c.bad_line == 3) << "byte " << pos << ": " << c.message;
  }
}

TEST(AuditLog, RemovedLineIsDetected) {
  TempDir dir;
  std::string path = dir / "audit.jsonl";
  auto log = AuditLog::Open(path);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*log)->Append({{"n", i}}).ok());
  std::string data = ReadAll(path);
  size_t a = data.find('\n') + 1, b = data.find('\n', a) + 1;
  WriteAll(path, data.substr(0, a) + data.substr(b));
  ChainCheck c = VerifyAuditChain(path);
  EXPECT_FALSE(c.intact);
  EXPECT_EQ(c.bad_line, 2u);
}

TEST(AuditLog, RefusesToExtendABrokenLog) {
  TempDir dir;
  std::string path = dir / "audit.jsonl";
  WriteAll(path, "{\"not\":\"chained\"}\n");
  auto log = AuditLog::Open(path);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), Status::Code::kTampered);  // not an I/O error
  EXPECT_NE(log.status().message().find("does not verify"), std::string::npos);
}

}  // namespace
}  // namespace redact
