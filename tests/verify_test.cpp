#include "pipeline/verify/verify.h"

#include <gtest/gtest.h>

#include "pipeline/core/files.h"
#include "pipeline/render/release_page.h"
#include "pipeline/write/release_pdf.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::TempDir;

// A matcher of one redact rule.
std::shared_ptr<const RuleMatcher> MatcherOf(const std::string& id, const std::string& pattern) {
  Rule r;
  r.id = id;
  r.pattern = pattern;
  r.exemption = "s.23(1)";
  auto m = RuleMatcher::Compile({r});
  EXPECT_TRUE(m.ok());
  return *m;
}

std::shared_ptr<const RuleMatcher> GchqMatcher() { return MatcherOf("gchq", R"(\bGCHQ\b)"); }

std::string WritePdf(const TempDir& dir, const std::vector<KeptText>& words) {
  GrayImage img;
  img.width = 100;
  img.height = 100;
  img.pixels.assign(100 * 100, 255);
  ReleasePage p;
  p.width = p.height = 100;
  p.image = *RenderReleasePage(&img, {});
  p.words = words;
  std::string path = dir / "release.pdf";
  EXPECT_TRUE(WriteFileAtomic(path, *WriteReleasePdf({p}, {"redact test"})).ok());
  return path;
}

TEST(VerifyRelease, CleanReleasePasses) {
  TempDir dir;
  VerifyRequest req;
  req.pdf_path = WritePdf(dir, {{"shared", {10, 10, 40, 20}}, {"with", {44, 10, 60, 20}}});
  req.redacted = {"GCHQ"};
  EXPECT_TRUE(VerifyRelease(req, *GchqMatcher()).ok());
}

TEST(VerifyRelease, RuleHitInTextLayerFailsClosed) {
  TempDir dir;
  VerifyRequest req;
  req.pdf_path = WritePdf(dir, {{"GCHQ", {10, 10, 40, 20}}});
  Status s = VerifyRelease(req, *GchqMatcher());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kLeak);
  // The string that did not converge is named, and where (so that a reviewer can redact it).
  EXPECT_NE(s.message().find("rule gchq still matches \u00abGCHQ\u00bb in page 1"),
            std::string::npos)
      << s.message();
}

TEST(VerifyRelease, RedactedStringAnywhereFailsClosed) {
  TempDir dir;
  VerifyRequest req;
  // No rule matches "Okafor", but it was redacted: its presence is a leak.
  req.pdf_path = WritePdf(dir, {{"Okafor", {10, 10, 40, 20}}});
  req.redacted = {"Mr Daniel Okafor", "Okafor"};
  Status s = VerifyRelease(req, *GchqMatcher());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kLeak);
}

TEST(VerifyRelease, TextFileIsCheckedToo) {
  TempDir dir;
  testing::WriteAll(dir / "side.txt", "it went to gchq\n");
  VerifyRequest req;
  req.text_paths = {dir / "side.txt"};
  req.redacted = {"GCHQ"};
  EXPECT_EQ(VerifyRelease(req, *GchqMatcher()).code(), Status::Code::kLeak);
}

TEST(VerifyRelease, UnreadableReleaseFailsClosed) {
  TempDir dir;
  testing::WriteAll(dir / "broken.pdf", "%PDF-1.7 not really");
  VerifyRequest req;
  req.pdf_path = dir / "broken.pdf";
  EXPECT_EQ(VerifyRelease(req, *GchqMatcher()).code(), Status::Code::kLeak);
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

std::shared_ptr<const RuleMatcher> HostMatcher() {
  return MatcherOf("host", R"(\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.police\.uk\b)");
}

// A release whose text layer draws two words with no gap ("1.2" then a host): a reading that
// joins them hides the host from a rule with a word boundary; the check reads it twice.
TEST(VerifyRelease, WordsDrawnTogetherStillMatchInTheSecondReading) {
  TempDir dir;
  VerifyRequest req;
  req.pdf_path =
      WritePdf(dir, {{"1.2", {10, 10, 25, 20}}, {"vpn.example.police.uk", {25, 10, 90, 20}}});
  Status s = VerifyRelease(req, *HostMatcher());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kLeak);
}

// A host name that a narrow table cell broke over three lines: no reading row by row or word
// by word holds it whole; the reading of the table cell by cell does.
TEST(VerifyRelease, AHostBrokenOverACellsLinesStillMatchesCellByCell) {
  TempDir dir;
  VerifyRequest req;
  req.pdf_path = WritePdf(dir, {{"System", {5, 10, 30, 16}},
                                {"Host", {38, 10, 52, 16}},
                                {"Owner", {75, 10, 92, 16}},
                                {"Remote", {5, 18, 30, 24}},
                                {"mdm01.corp", {38, 18, 73, 24}},
                                {"Jo", {75, 18, 82, 24}},
                                {"access", {5, 26, 30, 32}},
                                {".example.pol", {38, 26, 73, 32}},
                                {"Bell", {75, 26, 90, 32}},
                                {"ice.uk", {38, 34, 58, 40}}});
  Status s = VerifyRelease(req, *HostMatcher());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cell by cell"), std::string::npos) << s.message();
}

TEST(VerifyRelease, RedactedTechnicalStringInsideAWordFailsClosed) {
  TempDir dir;
  VerifyRequest req;
  // One word of the text layer holds a redacted address glued to other text.
  req.pdf_path = WritePdf(dir, {{"gateway10.44.12.7x", {10, 10, 90, 20}}});
  req.redacted = {"10.44.12.7"};
  Status s = VerifyRelease(req, *GchqMatcher());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("in the word \u00abgateway10.44.12.7x\u00bb of page 1"),
            std::string::npos)
      << s.message();
}

TEST(VerifyRelease, EncodedBlockInAReleasedTextIsDecodedAndChecked) {
  TempDir dir;
  // "Shared with GCHQ on 3 March." in base64, as an e-mail body would carry it.
  const std::string path = dir / "release.txt";
  testing::WriteAll(path,
                    "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
                    "U2hhcmVkIHdpdGggR0NIUSBvbiAzIE1hcmNoLg==\n");
  VerifyRequest req;
  req.text_paths = {path};
  Status s = VerifyRelease(req, *GchqMatcher());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("encoded content"), std::string::npos) << s.message();
}

// A release with a box, and the same release with its structure tree made to say more than
// the page shows: the box's /ActualText rewritten (qpdf's QDF form keeps every object readable;
// the string is padded with spaces to its old length, so the offsets still hold).
std::pair<std::string, std::string> BoxedReleaseAndTampered(const TempDir& dir,
                                                            const std::string& says) {
  GrayImage img;
  img.width = img.height = 200;
  img.pixels.assign(200 * 200, 255);
  const Box box{60, 10, 120, 20};
  ReleasePage p;
  p.width = p.height = 200;
  p.image = *RenderReleasePage(&img, {{box, "s.40(2)"}});
  p.words = {
      {"shared", {10, 10, 40, 20}}, {"with", {44, 10, 56, 20}}, {"today", {124, 10, 150, 20}}};
  p.boxes = {{box, "[REDACTED s.40(2)]"}};
  const std::string path = dir / "release.pdf", qdf = dir / "qdf.pdf";
  EXPECT_TRUE(WriteFileAtomic(path, *WriteReleasePdf({p}, {"redact test"})).ok());
  EXPECT_EQ(testing::RunCommand("qpdf --qdf --object-streams=disable " + testing::Quote(path) +
                                " " + testing::Quote(qdf))
                .exit_code,
            0);
  std::string bytes = testing::ReadAll(qdf);
  const std::string label = "([REDACTED s.40\\(2\\)])";
  const size_t at = bytes.find(label);
  EXPECT_NE(at, std::string::npos);
  std::string replacement = "(" + says + ")";
  EXPECT_LE(replacement.size(), label.size());
  replacement.resize(label.size(), ' ');
  if (at != std::string::npos) bytes.replace(at, label.size(), replacement);
  const std::string tampered = dir / "tampered.pdf";
  testing::WriteAll(tampered, bytes);
  return {qdf, tampered};
}

TEST(VerifyRelease, AStructureTreeThatSaysWhatThePageDoesNotShowFailsClosed) {
  TempDir dir;
  const auto [pristine, tampered] = BoxedReleaseAndTampered(dir, "Kate Arden");
  VerifyRequest req;
  req.redacted = {"GCHQ"};
  // The release as written: its span says the label, which the text layer shows over the box.
  req.pdf_path = pristine;
  Status ok = VerifyRelease(req, *GchqMatcher());
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  // Its span made to say a name instead: a screen reader would read it, the page shows no such
  // thing. No rule or redacted string would find it; the structure check does.
  req.pdf_path = tampered;
  SelfCheckFinding found;
  Status s = VerifyRelease(req, *GchqMatcher(), &found);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kLeak);
  EXPECT_NE(s.message().find("structure tree gives a Span the /ActualText \u00abKate Arden\u00bb"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(found.text, "Kate Arden");
  EXPECT_TRUE(found.rule_id.empty());  // not redacted and tried again: reported
}

}  // namespace
}  // namespace redact
