// The document record: the worker's answer read back gives the same audit record as the
// record it was made from, in every disposition and every --audit-text mode.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "pipeline/batch/record.h"

namespace redact {
namespace {

DocumentRecord Sample() {
  DocumentRecord r;
  r.source.path = "/in/a/draft.pdf";
  r.source.relative = "a/draft.pdf";
  r.source.kind = SourceKind::kPdf;
  r.source.sha256 = std::string(64, 'a');
  r.kind_known = true;
  r.pages = 2;
  PageInfo text;
  text.source = PageSource::kTextLayer;
  PageInfo scan;
  scan.source = PageSource::kOcr;
  scan.mean_confidence = 87.34;
  scan.ocr_words = 120;
  scan.turns = 1;
  scan.skew = 0.35;
  scan.dpi = 300;
  scan.hidden_words = 2;
  r.page_info = {text, scan};
  r.hidden = {{"metadata", 0, "Author: J. Smith"}, {"annotation", 2, std::string(600, 'x')}};
  Finding f;
  f.rule_id = "net.ipv4";
  f.action = Action::kRedact;
  f.exemption = "s.31";
  f.page = 1;
  f.begin = 10;
  f.end = 20;
  f.boxes = {{72.123, 100.456, 140.5, 112.35}};
  f.text = "10.0.0.1";
  f.context_before = "the host ";
  f.context_after = " is";
  f.fingerprint = "0123456789abcdef";
  Finding g = f;
  g.rule_id = "person.titled-name";
  g.action = Action::kFlag;
  g.page = 2;
  g.source = TextSource::kOcr;
  g.confidence = 71.26;
  g.low_confidence = true;
  g.decision = "keep";
  g.text = "Dr Jane Smith";
  r.findings = {f, g};
  r.outputs = {{"release/a/draft.pdf", std::string(64, 'b')}, {"release/a/draft.txt", "c"}};
  r.seconds = {{Stage::kExtract, 0.5}, {Stage::kVerify, 0.25}};
  r.release_name = "a/draft.pdf";
  return r;
}

DocumentRecord RoundTrip(const DocumentRecord& r) {
  const std::string wire = WireJson(r).dump();
  auto back = ParseWireRecord(nlohmann::json::parse(wire));
  EXPECT_TRUE(back.ok()) << back.status().message();
  DocumentRecord out = back.ok() ? std::move(*back) : DocumentRecord();
  out.release_name = r.release_name;  // the parent's to set, as the runner does
  return out;
}

TEST(DocumentRecord, TheWorkersAnswerGivesTheSameAuditRecordInEveryDispositionAndMode) {
  Env* env = Env::Default();
  const RecordClock clock(env, /*deterministic=*/true);
  DocumentRecord released = Sample();
  DocumentRecord held = Sample();
  held.held = true;
  held.open_flags = 1;
  DocumentRecord quarantined = Sample();
  quarantined.stage = Stage::kVerify;
  quarantined.status = Status::Leak("self-check: the release still says 10.0.0.1", "a hint");
  DocumentRecord machine = Sample();
  machine.stage = Stage::kWrite;
  machine.status = Status::OutputUnavailable("write failed on x: No space left", "free space");
  DocumentRecord poison = FailedRecord("/nowhere", "p.pdf", Stage::kProcess, Status::Poison("p"));
  poison.worker_signal = 11;
  const std::pair<DocumentRecord*, const char*> cases[] = {{&released, "released"},
                                                           {&held, "review"},
                                                           {&quarantined, "quarantined"},
                                                           {&machine, "output_failed"},
                                                           {&poison, "quarantined"}};
  for (const auto& [record, status] : cases) {
    const DocumentRecord back = RoundTrip(*record);
    EXPECT_EQ(DispositionName(back.disposition()), std::string(status));
    for (AuditText mode : {AuditText::kPlain, AuditText::kHash, AuditText::kNone}) {
      EXPECT_EQ(RecordJson(back, mode, clock, "test key").dump(),
                RecordJson(*record, mode, clock, "test key").dump())
          << status << " mode " << int(mode);
    }
  }
  // The audit's own spelling of what it carries.
  const nlohmann::json j = RecordJson(released, AuditText::kPlain, clock, "test key");
  EXPECT_EQ(j["time"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(j["seconds"]["extract"], 0);
  EXPECT_EQ(j["findings"][0]["boxes"][0].dump(), "[72.12,100.46,140.5,112.35]");
  EXPECT_EQ(j["page_info"][1]["mean_confidence"].dump(), "87.3");
  EXPECT_EQ(j["page_info"][1]["skew"].dump(), "0.35");
  EXPECT_EQ(j["hidden_content"][1]["text"].get<std::string>().size(), 503u);
  EXPECT_EQ(j["redactions"], 1);
  EXPECT_EQ(j["flags"], 1);
  EXPECT_FALSE(j.contains("error"));
  const nlohmann::json m = RecordJson(machine, AuditText::kHash, clock, "test key");
  EXPECT_EQ(m["status"], "output_failed");
  EXPECT_EQ(m["code"], "output unavailable");
  EXPECT_EQ(m["stage"], "write");
  EXPECT_FALSE(m["findings"][0].contains("text"));
  EXPECT_EQ(m["findings"][0]["text_hmac"].get<std::string>().size(), 64u);
  EXPECT_EQ(RecordJson(poison, AuditText::kPlain, clock, "test key")["code"], "poison");
}

TEST(DocumentRecord, AMalformedAnswerIsAnErrorNeverASuccess) {
  nlohmann::json wire = WireJson(Sample());
  wire.erase("findings");
  EXPECT_FALSE(ParseWireRecord(wire).ok());
  wire = WireJson(Sample());
  wire["findings"][0]["page"] = "one";
  EXPECT_FALSE(ParseWireRecord(wire).ok());
  EXPECT_FALSE(ParseWireRecord(nlohmann::json::parse("[1, 2]")).ok());
}

TEST(DocumentRecord, ABoxThatIsNotFiniteIsCarriedAsZeroNotLost) {
  DocumentRecord r = Sample();
  r.findings[0].boxes[0].x1 = std::numeric_limits<double>::infinity();
  r.findings[0].boxes[0].y1 = std::nan("");
  const DocumentRecord back = RoundTrip(r);
  ASSERT_EQ(back.findings.size(), 2u);
  EXPECT_EQ(back.findings[0].boxes[0].x1, 0);
  EXPECT_EQ(back.findings[0].boxes[0].y1, 0);
}

TEST(DocumentRecord, TextThatIsNotUtf8HashesTheSameHereAndFromAWorker) {
  DocumentRecord r = Sample();
  r.findings[0].text = "caf\xE9 10.0.0.1";  // Latin-1, as a broken PDF string may be
  const RecordClock clock(Env::Default(), true);
  const DocumentRecord back = RoundTrip(r);
  EXPECT_EQ(RecordJson(back, AuditText::kHash, clock, "test key")["findings"][0]["text_hmac"],
            RecordJson(r, AuditText::kHash, clock, "test key")["findings"][0]["text_hmac"]);
  EXPECT_EQ(RecordJson(r, AuditText::kPlain, clock, "test key")["findings"][0]["text"],
            "caf\uFFFD 10.0.0.1");
}

// A document the self-check quarantines names the string that did not converge; the audit
// keeps it as it keeps a finding's text (plain, keyed hash, or nothing).
TEST(DocumentRecord, AQuarantineNamesItsStringAsTheAuditKeepsText) {
  DocumentRecord r = Sample();
  r.status = Status::Leak(
      "self-check: rule net.ipv4 still matches \u00ab10.44.12.7\u00bb in page 1 of the release",
      "The release was not published.");
  const RecordClock clock(Env::Default(), true);
  const std::string plain = RecordJson(r, AuditText::kPlain, clock, "test key")["error"];
  EXPECT_NE(plain.find("\u00ab10.44.12.7\u00bb"), std::string::npos) << plain;
  const std::string hashed = RecordJson(r, AuditText::kHash, clock, "test key")["error"];
  EXPECT_EQ(hashed.find("10.44.12.7"), std::string::npos) << hashed;
  EXPECT_NE(hashed.find("\u00abtext_hmac "), std::string::npos) << hashed;
  EXPECT_NE(hashed.find("in page 1 of the release"), std::string::npos) << hashed;
  const std::string none = RecordJson(r, AuditText::kNone, clock, "test key")["error"];
  EXPECT_EQ(none.find("10.44.12.7"), std::string::npos) << none;
}

}  // namespace
}  // namespace redact
