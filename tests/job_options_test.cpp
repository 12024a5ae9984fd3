// The options a document's processing depends on, listed once (batch/job_options.h): a worker
// reads back every one it was sent, the run records hold every one that is no secret, and
// no secret reaches a record.
#include <gtest/gtest.h>

#include "pipeline/batch/job_options.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;

// A JobConfig with no option at its default.
JobConfig Changed() {
  JobConfig c;
  c.rules = {"a.toml", "b"};
  c.password = "pw-Hunter2";
  c.dpi = 151;
  c.max_file_bytes = 12345;
  c.max_pages = 17;
  c.max_page_pixels = 9e6;
  c.sidecar = false;
  c.release_flagged = true;
  c.ocr = OcrMode::kAlways;
  c.ocr_dpi = 222;
  c.ocr_min_confidence = 42;
  c.decisions = "decisions.toml";
  c.reviewer = "J. Reviewer";
  c.report = false;
  c.page_jobs = 3;
  c.timeout_seconds = 77;
  c.max_memory_bytes = 999;
  c.libreoffice_per_document = true;
  c.deterministic = true;
  c.audit_text = AuditText::kHash;
  c.audit_key = "k3y-0f-the-installation";
  return c;
}

TEST(JobOptions, AWorkerReadsBackEveryOptionItWasSent) {
  const JobConfig sent = Changed();
  const nlohmann::json j = JobOptionsJson(sent);
  ASSERT_EQ(j.size(), JobOptions().size());
  JobConfig read;
  ASSERT_TRUE(ReadJobOptions(j, &read).ok());
  EXPECT_EQ(JobOptionsJson(read), j);
  // Every option of the table differs from its default in Changed(), so a line whose get or
  // set used the wrong member would show here.
  const nlohmann::json defaults = JobOptionsJson(JobConfig());
  for (const JobOption& o : JobOptions()) {
    EXPECT_NE(j[o.key], defaults[o.key]) << o.key << ": Changed() leaves it at its default";
  }
}

TEST(JobOptions, AJobWithoutAnOptionOrWithAnUnknownModeIsRefused) {
  nlohmann::json j = JobOptionsJson(Changed());
  j.erase("ocr_min_confidence");
  JobConfig c;
  EXPECT_FALSE(ReadJobOptions(j, &c).ok());
  j = JobOptionsJson(Changed());
  j["ocr"] = "sometimes";
  EXPECT_FALSE(ReadJobOptions(j, &c).ok());
}

TEST(JobOptions, RecordsHoldEveryOptionButNoSecret) {
  const JobConfig c = Changed();
  const nlohmann::json r = RecordedJobOptions(c);
  const std::string text = r.dump();
  EXPECT_EQ(text.find(c.password), std::string::npos);
  EXPECT_EQ(text.find(c.audit_key), std::string::npos);
  EXPECT_EQ(r["password_given"], true);
  EXPECT_FALSE(RecordedJobOptions(JobConfig())["password_given"].get<bool>());
  EXPECT_EQ(r["release_flagged"], true);
  EXPECT_EQ(r["ocr_min_confidence"], 42);
  EXPECT_EQ(r["ocr"], "always");
  EXPECT_EQ(r["audit_text"], "hash");
}

// Through the binary: the run's first record says how the documents were processed, the
// options the first run records forgot included.
TEST(JobOptions, TheRunStartRecordHoldsTheOptionsGiven) {
  TempDir dir;
  CommandResult r =
      Redact("batch " + Quote(kSourceDir + "/samples/council") + " -o " + Quote(dir / "out") +
             " -q --no-report --release-flagged --ocr-min-confidence 42 --dpi 150");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json start = AuditRecords(dir / "out").front();
  ASSERT_EQ(start["event"], "run_start");
  const nlohmann::json& o = start["options"];
  EXPECT_EQ(o["release_flagged"], true);
  EXPECT_EQ(o["ocr_min_confidence"], 42);
  EXPECT_EQ(o["dpi"], 150);
  EXPECT_EQ(o["password_given"], false);
  EXPECT_FALSE(o.contains("password"));
  EXPECT_FALSE(o.contains("audit_key"));
  for (const JobOption& opt : JobOptions()) {
    if (opt.recorded == JobOption::Recorded::kValue) {
      EXPECT_TRUE(o.contains(opt.key)) << opt.key;
    }
  }
}

}  // namespace
}  // namespace redact
