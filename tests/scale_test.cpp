// Scaling out: one document's pages in parallel, --deterministic, --shard K/N + audit merge.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/test_util.h"

namespace redact::testing {
namespace {

using nlohmann::json;

// Relative path -> bytes of every file under `dir`.
std::map<std::string, std::string> Tree(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = ReadAll(e.path());
  }
  return files;
}

// The document records of an audit log by input, without the chain fields.
std::map<std::string, json> Documents(const std::string& audit_jsonl) {
  std::map<std::string, json> docs;
  std::istringstream in(ReadAll(audit_jsonl));
  std::string line;
  while (std::getline(in, line)) {
    json r = json::parse(line);
    if (r["event"] != "document") continue;
    for (const char* k : {"seq", "prev", "source_log", "source_seq"}) r.erase(k);
    docs[r["input"].get<std::string>()] = r;
  }
  return docs;
}

TEST(Scale, PagesInParallelGiveByteIdenticalReleasesAndAuditRecords) {
  TempDir tmp;
  fs::create_directories(tmp / "in");
  std::string cmd = "qpdf --empty --pages";
  for (int i = 0; i < 15; ++i) cmd += " " + Quote(Sample("police-remote-devices-draft.pdf"));
  ASSERT_EQ(RunCommand(cmd + " -- " + Quote(tmp / "in/long.pdf")).exit_code, 0);
  for (const char* jobs : {"1", "2"}) {
    CommandResult r =
        Redact("batch " + Quote(tmp / "in") + " -o " + Quote(tmp / ("out" + std::string(jobs))) +
               " --deterministic --no-report -q --jobs " + jobs);
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  EXPECT_EQ(Tree(tmp / "out1/release"), Tree(tmp / "out2/release"));
  const std::string a = ReadAll(tmp / "out1/release/long.pdf");
  EXPECT_GT(a.size(), 1000u);
  auto d1 = Documents(tmp / "out1/audit/audit.jsonl"),
       d2 = Documents(tmp / "out2/audit/audit.jsonl");
  ASSERT_EQ(d1.size(), 1u);
  EXPECT_EQ(d1["long.pdf"]["pages"], 30);
  EXPECT_EQ(d1["long.pdf"]["time"], "1970-01-01T00:00:00Z");
  for (auto& [stage, secs] : d1["long.pdf"]["seconds"].items()) EXPECT_EQ(secs, 0) << stage;
  EXPECT_EQ(d1["long.pdf"].dump(), d2["long.pdf"].dump());
}

TEST(Scale, ThreeShardsMergedEqualOneRun) {
  TempDir tmp;
  const std::string in = tmp / "in";
  fs::copy(kSourceDir + "/samples", in, fs::copy_options::recursive);
  for (int i = 0; i < 9; ++i) {
    WriteAll(in + "/notes/n" + std::to_string(i) + ".txt",
             "Note " + std::to_string(i) + ": the VPN gateway is 192.0.2." + std::to_string(i) +
                 " and uses AES-256.\n");
  }
  WriteAll(in + "/broken.pdf", "%PDF-1.7\nnot really\n");
  CommandResult one = Redact("batch " + Quote(in) + " -o " + Quote(tmp / "one") +
                             " --deterministic --no-report -q");
  ASSERT_EQ(one.exit_code, 2) << one.out;  // broken.pdf is quarantined

  std::vector<std::string> logs;
  std::set<std::string> seen;
  size_t total = 0;
  fs::create_directories(tmp / "merged/release");
  for (int k = 1; k <= 3; ++k) {
    const std::string out = tmp / ("shard" + std::to_string(k));
    CommandResult r = Redact("batch " + Quote(in) + " -o " + Quote(out) + " --shard " +
                             std::to_string(k) + "/3 --deterministic --no-report -q");
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 2) << r.out;
    for (auto& [input, doc] : Documents(out + "/audit/audit.jsonl")) {
      EXPECT_TRUE(seen.insert(input).second) << input << " is in two shards";
      ++total;
    }
    fs::copy(out + "/release", tmp / "merged/release",
             fs::copy_options::recursive | fs::copy_options::skip_existing);
    logs.push_back(Quote(out + "/audit/audit.jsonl"));
  }
  EXPECT_EQ(total, 13u);
  std::string merge = "audit merge";
  for (const std::string& l : logs) merge += " " + l;
  CommandResult m = Redact(merge + " -o " + Quote(tmp / "merged/audit.jsonl"));
  ASSERT_EQ(m.exit_code, 0) << m.out;
  EXPECT_EQ(Redact("audit verify " + Quote(tmp / "merged/audit.jsonl")).exit_code, 0);

  EXPECT_EQ(Tree(tmp / "one/release"), Tree(tmp / "merged/release"));
  auto whole = Documents(tmp / "one/audit/audit.jsonl");
  auto merged = Documents(tmp / "merged/audit.jsonl");
  ASSERT_EQ(whole.size(), merged.size());
  for (auto& [input, doc] : whole) {
    ASSERT_TRUE(merged.count(input)) << input;
    EXPECT_EQ(doc["findings"].dump(), merged[input]["findings"].dump()) << input;
    EXPECT_EQ(doc["status"], merged[input]["status"]) << input;
    EXPECT_EQ(doc["outputs"].dump(), merged[input]["outputs"].dump()) << input;
  }
  // Shards that got nothing still say which shard they were.
  json start = json::parse(ReadAll(tmp / "shard2/audit/audit.jsonl")
                               .substr(0, ReadAll(tmp / "shard2/audit/audit.jsonl").find('\n')));
  EXPECT_EQ(start["shard"], "2/3");
  EXPECT_EQ(start["documents_all_shards"], 13);
}

TEST(Scale, ShardArgumentIsChecked) {
  TempDir tmp;
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "2/3x"}) {
    CommandResult r =
        Redact("batch " + Quote(Sample("council")) + " -o " + Quote(tmp / "o") + " --shard " + bad);
    EXPECT_EQ(r.exit_code, 1) << bad << ": " << r.out;
    EXPECT_NE(r.out.find("--shard"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace redact::testing
