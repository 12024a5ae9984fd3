// The shared corpus and real documents from ../shared, scored the way releases are judged.
// Skipped, with a message, where ../shared is not present.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace redact {
namespace {

using testing::Quote;
using testing::ReadAll;
using testing::Redact;
using testing::RunCommand;
using testing::SharedDir;
using testing::TempDir;
namespace fs = std::filesystem;

TEST(SharedCorpus, TextPdfsReleaseWithoutLeaksOrOverRedaction) {
  REQUIRE_SHARED();
  TempDir dir;
  auto make = RunCommand("/usr/bin/python3 " + Quote(SharedDir() + "/corpus/make_corpus.py") + " " +
                         Quote(dir / "c") + " 12");
  ASSERT_EQ(make.exit_code, 0) << make.out;
  auto batch = Redact("batch " + Quote(dir / "c/text") + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(batch.exit_code, 0) << batch.out;
  auto score = RunCommand("/usr/bin/python3 " + Quote(SharedDir() + "/corpus/score.py") + " " +
                          Quote(dir / "c/truth.json") + " " + Quote(dir / "out/release"));
  EXPECT_EQ(score.exit_code, 0) << score.out;
  EXPECT_NE(score.out.find("missing=0 leaks=0/"), std::string::npos) << score.out;
  EXPECT_NE(score.out.find("metadata_leaks=0 recall=1.000 keep=1.000"), std::string::npos)
      << score.out;
  size_t checked = 0;
  for (auto& e : fs::directory_iterator(dir / "out/release")) {
    if (e.path().extension() != ".pdf") continue;
    ++checked;
    auto check = RunCommand("qpdf --check " + Quote(e.path()));
    EXPECT_EQ(check.exit_code, 0) << e.path() << "\n" << check.out;
  }
  EXPECT_EQ(checked, 12u);
}

// The same drafts as a word processor saves them: DOCX through LibreOffice and the PDF path.
TEST(SharedCorpus, DocxDraftsReleaseWithoutLeaksOrOverRedaction) {
  REQUIRE_SHARED();
  if (!fs::exists("/usr/lib/libreoffice/program/soffice.bin")) GTEST_SKIP() << "no LibreOffice";
  TempDir dir;
  auto make = RunCommand("/usr/bin/python3 " + Quote(SharedDir() + "/corpus/make_corpus.py") + " " +
                         Quote(dir / "c") + " 1 --office");  // building them is slow
  ASSERT_EQ(make.exit_code, 0) << make.out;
  std::string docx;
  size_t drafts = 0;
  for (auto& e : fs::directory_iterator(dir / "c/office")) {
    if (e.path().extension() != ".docx") continue;
    docx += " " + Quote(e.path().string());
    ++drafts;
  }
  ASSERT_GT(drafts, 0u);
  auto batch = Redact("batch" + docx + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(batch.exit_code, 0) << batch.out;
  auto score = RunCommand("/usr/bin/python3 " + Quote(SharedDir() + "/corpus/score.py") + " " +
                          Quote(dir / "c/truth.json") + " " + Quote(dir / "out/release"));
  // Scored on the DOCX drafts' own stems: the PDF drafts of the same run are not inputs here.
  EXPECT_NE(score.out.find(" leaks=0/"), std::string::npos) << score.out;
  EXPECT_NE(score.out.find("metadata_leaks=0 recall=1.000 keep=1.000"), std::string::npos)
      << score.out;
  for (auto& e : fs::directory_iterator(dir / "out/release")) {
    if (e.path().extension() != ".pdf") continue;
    EXPECT_EQ(RunCommand("qpdf --check " + Quote(e.path())).exit_code, 0) << e.path();
  }
}

TEST(RealDocs, MalformedPdfsAreReleasedOrQuarantinedNeverLost) {
  REQUIRE_SHARED();
  TempDir dir;
  std::string in = SharedDir() + "/realdocs/badpdfs";
  auto batch =
      Redact("batch " + Quote(in) + " -o " + Quote(dir / "out") + " -q --jobs 2 --timeout 20");
  ASSERT_EQ(batch.exit_code, 2) << batch.out;
  size_t inputs = 0;
  for (auto& e : fs::directory_iterator(in)) {
    if (e.path().extension() != ".pdf") continue;
    ++inputs;
    std::string name = e.path().filename().string();
    bool released = fs::exists(dir / ("out/release/" + name));
    bool quarantined = fs::exists(dir / ("out/quarantine/" + name + ".error.json"));
    EXPECT_NE(released, quarantined) << name;
    if (quarantined) {
      auto err = nlohmann::json::parse(ReadAll(dir / ("out/quarantine/" + name + ".error.json")));
      EXPECT_FALSE(err["error"].get<std::string>().empty()) << name;
    }
  }
  EXPECT_EQ(inputs, 20u);
  // The decompression bomb is stopped by the timeout, the giant page by the pixel limit.
  auto bomb = nlohmann::json::parse(
      ReadAll(dir / "out/quarantine/14_pdfjs_bomb_giant_JBIG2_DANGER.pdf.error.json"));
  EXPECT_NE(bomb["error"].get<std::string>().find("took longer than 20 s"), std::string::npos);
  // The giant page alone, with no timeout a loaded machine could reach first.
  auto giant = Redact("batch " + Quote(in + "/15_ocrmypdf_hugemono_35000px_ccitt.pdf") + " -o " +
                      Quote(dir / "giant") + " -q --timeout 600");
  EXPECT_EQ(giant.exit_code, 2) << giant.out;
  auto huge = nlohmann::json::parse(
      ReadAll(dir / "giant/quarantine/15_ocrmypdf_hugemono_35000px_ccitt.pdf.error.json"));
  EXPECT_NE(huge["error"].get<std::string>().find("pixels"), std::string::npos) << huge.dump();
  // Encrypted files say so.
  auto enc = nlohmann::json::parse(
      ReadAll(dir / "out/quarantine/07_pdfjs_pr6531_1_aes256_userpw.pdf.error.json"));
  EXPECT_NE(enc["error"].get<std::string>().find("password-protected"), std::string::npos);
  EXPECT_EQ(Redact("audit verify " + Quote(dir / "out/audit/audit.jsonl")).exit_code, 0);
}

// What the default rules decide on two real FOI responses, finding by finding. Both lose
// nothing: an FOI unit's published number, mailbox and office postcodes are public contacts,
// noted for the reviewer, not redacted.
TEST(RealDocs, PsniAndTflResponsesKeepTheirPublicContacts) {
  REQUIRE_SHARED();
  TempDir dir;
  std::string foi = SharedDir() + "/realdocs/foi/";
  auto batch = Redact("batch " + Quote(foi + "01_psni_common_purpose_F-2010-00325.pdf") + " " +
                      Quote(foi + "02_tfl_foi_appeal_rights_page.pdf") + " -o " +
                      Quote(dir / "out") + " -q");
  ASSERT_EQ(batch.exit_code, 0) << batch.out;
  std::map<std::string, std::vector<std::string>> decided;  // document -> "action rule text"
  for (const nlohmann::json& r : testing::AuditRecords(dir / "out")) {
    if (r["event"] != "document") continue;
    for (const nlohmann::json& f : r["findings"]) {
      decided[r["input"]].push_back(f["action"].get<std::string>() + " " +
                                    f["rule"].get<std::string>() + " " +
                                    f["text"].get<std::string>());
    }
  }
  EXPECT_EQ(decided["01_psni_common_purpose_F-2010-00325.pdf"],
            (std::vector<std::string>{
                // The FOI team's published number, in its own sign-off: public, so noted.
                "note contact.office-phone 028 9070 0164",
                // Police HQ's postcode in the review address: an office, not a home.
                "note contact.office-postcode BT5 6LE",
                // The FOI unit's role mailbox, published on the Police National Network.
                "note contact.office-mailbox foi@psni.pnn.police.uk",
                // The Information Commissioner's postcode.
                "note contact.office-postcode SK9 5AF",
            }));
  EXPECT_EQ(decided["02_tfl_foi_appeal_rights_page.pdf"],
            (std::vector<std::string>{
                "note contact.office-postcode SW1H 0TL",
                // TfL's FOI mailbox on its public domain: kept, noted.
                "note contact.office-mailbox foi@tfl.gov.uk",
                "note contact.office-postcode SK9 5AF",
            }));
  std::string psni = testing::PdfText(dir / "out/release/01_psni_common_purpose_F-2010-00325.pdf");
  for (const char* keep :
       {"Yes the PSNI have made payments to the charity Common Purpose",
        "Common Purpose 20:20 June2008", "http://www.psni.police.uk/common_purpose_charity.pdf",
        "028 9070 0164", "65 Knock Road, Belfast, BT5 6LE", "emailing foi@psni.pnn.police.uk"}) {
    EXPECT_NE(psni.find(keep), std::string::npos) << keep;
  }
  std::string tfl = testing::PdfText(dir / "out/release/02_tfl_foi_appeal_rights_page.pdf");
  EXPECT_NE(tfl.find("E-mail: foi@tfl.gov.uk"), std::string::npos);
  EXPECT_NE(tfl.find("Copyright, Designs and Patents Act 1998"), std::string::npos);
}

}  // namespace
}  // namespace redact
