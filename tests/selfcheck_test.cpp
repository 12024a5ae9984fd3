// The self-check disagreeing with detection: what it finds in a release is redacted where the
// draft has it and the document made again; a disagreement that does not go away quarantines
// the document, saying which text, which rule and where.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;
namespace fs = std::filesystem;

// Two rules that disagree by design: a codeword is not redacted beside the word
// "provisional", and "provisional" is itself redacted, so the release reads the codeword
// without the word that kept it; a third matches a marker of the release itself, which no
// draft holds.
const char* const kRules = R"toml(
[ruleset]
id = "forced-disagreement"
description = "Rules whose release reads differently from their draft"

[[rule]]
id = "test.codeword"
description = "A project codeword, unless the sentence calls it provisional"
pattern = '''\bKESTREL-\d+\b'''
exemption = "s.31(1)(a)"
context.forbid = ["provisional"]
context.before = 40
context.after = 40

[[rule]]
id = "test.provisional"
description = "The word provisional"
pattern = '''\bprovisional\b'''
exemption = "s.36(2)(c)"

[[rule]]
id = "test.after-a-box"
description = "A word 'approved' right after a redaction marker"
pattern = '''REDACTED[^\]\n]*\]\s+approved'''
exemption = "s.36(2)(c)"
enabled = ENABLED
)toml";

std::string Rules(const std::string& dir, bool marker_rule) {
  std::string toml = kRules;
  toml.replace(toml.find("ENABLED"), 7, marker_rule ? "true" : "false");
  fs::create_directories(dir);
  WriteAll(dir + "/forced.toml", toml);
  return dir;
}

TEST(SelfCheck, WhatTheReleaseStillShowsIsRedactedAndTheDocumentMadeAgain) {
  TempDir dir;
  WriteAll(dir / "in/plan.txt",
           "The provisional name KESTREL-7 was agreed in March.\n"
           "The annual report is published on the website.\n");
  auto r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --rules " +
                  Quote(Rules(dir / "rules", false)) + " -q --no-report");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string release = ReadAll(dir / "out/release/plan.txt");
  EXPECT_EQ(release.find("KESTREL"), std::string::npos) << release;
  EXPECT_EQ(release.find("provisional"), std::string::npos) << release;
  EXPECT_NE(release.find("The annual report is published on the website."), std::string::npos);
  const auto records = AuditRecords(dir / "out");
  bool found = false;
  for (const auto& rec : records) {
    if (rec.value("event", "") != "document") continue;
    found = true;
    EXPECT_EQ(rec["status"], "released");
    EXPECT_EQ(rec.value("selfcheck_rounds", 1), 2) << rec.dump();
    bool codeword = false;
    for (const auto& f : rec["findings"]) {
      if (f["rule"] == "test.codeword" && f["text"] == "KESTREL-7") codeword = true;
    }
    EXPECT_TRUE(codeword) << rec.dump();
  }
  EXPECT_TRUE(found);
}

TEST(SelfCheck, ADisagreementThatStaysQuarantinesNamingTheTextTheRuleAndThePlace) {
  TempDir dir;
  WriteAll(dir / "in/minutes.txt", "The budget was provisional approved in March.\n");
  auto r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --rules " +
                  Quote(Rules(dir / "rules", true)) + " -q --no-report");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_FALSE(fs::exists(dir / "out/release/minutes.txt"));
  const std::string note = ReadAll(dir / "out/quarantine/minutes.txt.error.json");
  EXPECT_NE(note.find("test.after-a-box"), std::string::npos) << note;
  EXPECT_NE(note.find("approved"), std::string::npos) << note;
  EXPECT_NE(note.find("after 2 rounds"), std::string::npos) << note;
  EXPECT_NE(note.find("decisions.toml"), std::string::npos) << note;
}

// A rule with consistency = false redacts its match only: the same text elsewhere is released,
// and the self-check does not look for it there.
TEST(SelfCheck, ARuleWithoutConsistencyRedactsOnlyWhereItMatches) {
  TempDir dir;
  WriteAll(dir / "in/letter.txt",
           "The applicant was born in 1962 in Leeds.\n"
           "The 1962 census shows the street as it was.\n");
  auto r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " -q --no-report");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string release = ReadAll(dir / "out/release/letter.txt");
  EXPECT_EQ(release.find("born in 1962"), std::string::npos) << release;
  EXPECT_NE(release.find("The 1962 census shows the street"), std::string::npos) << release;
}

}  // namespace
}  // namespace redact
