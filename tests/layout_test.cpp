// Layouts a word processor draws without space characters between words: a table exported
// from a DOCX by LibreOffice, a table whose cells break words, two columns, a tab-aligned form,
// letter-spaced headings (tests/data/layouts/*.fodt, converted here with the real soffice). Each
// release is read by pdftotext and its decompressed bytes by qpdf: what must go is gone, what must
// stay is there.
#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;

struct Layout {
  std::string name;
  std::vector<std::string> gone, kept;
  // Pieces of host names a narrow cell broke where the font's metrics broke them (DejaVu and
  // Liberation break them in other places): each the draft has must be gone, and the draft
  // has some.
  std::vector<std::string> pieces = {};
};

const std::vector<Layout> kLayouts = {
    {"table",
     {"TLS 1.2", "vpn.example.police.uk", "Jo Bell", "IPsec", "10.44.12.7", "Sam Price", "AES-256",
      "mdm01.corp.local", "Dev Patel", "intel-gw.thames.police.uk", "GCHQ"},
     {"System", "Protocol", "Host", "Owner", "Remote access", "Case files", "Mobile devices",
      "Intelligence", "liaison", "The force holds the information requested."}},
    // Cells too narrow for their host names and addresses: the word processor breaks them
    // over lines inside the word ("mdm01.corp" / ".example.pol" / "ice.uk"), and two cells
    // drawn touching read as one word ("PatelUnder").
    {"table-narrow",
     {"vpn", "192.168.100", "mdm01.corp", "10.144.212", "casefiles", "172.16.254", "1187", "Bell",
      "Dev Patel", "Sam", "Price"},
     {"System", "Protocol", "Host", "Address", "Owner", "Notes", "Remote", "access", "Mobile",
      "devices", "Case files", "yearly", "contract", "replaced",
      "The force holds the information requested."},
     {"gateway.exa", "mple.police", ".example.pol", "ice.uk", "archive.tham", "es.police.uk",
      "gateway.exampl", "e.police.uk", "mdm01.corp.ex", "ample.police.uk", "archive.thames."}},
    {"two-columns",
     {"Cisco AnyConnect", "172.16.40.2", "National Cyber", "Ruth Adams"},
     {"remote access service", "headquarters data", "information management team",
      "principles described there useful"}},
    {"tab-form",
     {"Priya Nair", "0161 496 0734", "priya.nair@example.police.uk", "192.168.20.15", "AES-128"},
     {"Case officer:", "Telephone:", "E-mail:", "Test server:", "Cipher:", "Outcome:",
      "Information partly withheld"}},
    {"letter-spaced",
     {"GCHQ", "10.20.30.40"},
     {"LIAISON REPORT", "ROUTER", "Summary of the arrangements for the public."}},
};

class Layouts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (RunCommand("command -v soffice").exit_code != 0) {
      skip_ = "LibreOffice (soffice) is not installed; scripts/setup.sh installs it";
      return;
    }
    dir_ = new TempDir();
    const std::string src = kSourceDir + "/tests/data/layouts/";
    // A throwaway profile, so a LibreOffice the user has open is not disturbed.
    const std::string soffice =
        "soffice -env:UserInstallation=file://" + *dir_ / "profile" + " --headless --norestore ";
    // The table goes through Word's format first, as a draft made in Word would.
    CommandResult docx = RunCommand(soffice + "--convert-to docx --outdir " +
                                    Quote(*dir_ / "docx") + " " + Quote(src + "table.fodt"));
    CommandResult pdf =
        RunCommand(soffice + "--convert-to pdf --outdir " + Quote(*dir_ / "in") + " " +
                   Quote(*dir_ / "docx/table.docx") + " " + Quote(src + "table-narrow.fodt") + " " +
                   Quote(src + "two-columns.fodt") + " " + Quote(src + "tab-form.fodt") + " " +
                   Quote(src + "letter-spaced.fodt"));
    for (const Layout& l : kLayouts) {
      if (!fs::exists(*dir_ / ("in/" + l.name + ".pdf"))) {
        skip_ = "soffice did not convert " + l.name + ": " + docx.out + pdf.out;
        return;
      }
    }
    batch_ = RunCommand(Quote(kBin) + " batch " + Quote(*dir_ / "in") + " -o " +
                        Quote(*dir_ / "out") + " -q --no-report");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }
  static std::string Release(const std::string& name) {
    return *dir_ / ("out/release/" + name + ".pdf");
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string skip_;
  static inline CommandResult batch_;
};

TEST_F(Layouts, EverySensitiveCellGoesAndEveryOtherStays) {
  ASSERT_EQ(batch_.exit_code, 0) << batch_.out;
  for (const Layout& l : kLayouts) {
    const std::string input = PdfText(*dir_ / ("in/" + l.name + ".pdf"));
    const std::string text = PdfText(Release(l.name));
    std::string sidecar;  // white space collapsed, as PdfText does
    for (char c : ReadAll(*dir_ / ("out/release/" + l.name + ".txt"))) {
      const bool space = std::isspace(static_cast<unsigned char>(c));
      if (!space || (!sidecar.empty() && sidecar.back() != ' ')) sidecar += space ? ' ' : c;
    }
    const std::string bytes =
        RunCommand("qpdf --qdf --object-streams=disable " + Quote(Release(l.name)) + " -").out;
    // The draft's words with its white space taken out: how a font's metrics break a narrow
    // cell's host name, or letter-space a heading, does not decide what the draft holds.
    std::string squeezed = input;
    std::erase_if(squeezed, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
    for (const std::string& g : l.gone) {
      // The draft has it (else the case tests nothing); no reader of the release finds it.
      std::string g_squeezed = g;
      std::erase_if(g_squeezed, [](char c) { return c == ' '; });
      EXPECT_NE(squeezed.find(g_squeezed), std::string::npos) << l.name << ": the draft lost " << g;
      EXPECT_EQ(text.find(g), std::string::npos) << l.name << ": released " << g;
      EXPECT_EQ(sidecar.find(g), std::string::npos) << l.name << ": sidecar has " << g;
      EXPECT_EQ(bytes.find(g), std::string::npos) << l.name << ": the bytes hold " << g;
    }
    size_t drawn = 0;
    for (const std::string& piece : l.pieces) {
      if (input.find(piece) == std::string::npos) continue;
      ++drawn;
      EXPECT_EQ(text.find(piece), std::string::npos) << l.name << ": released " << piece;
      EXPECT_EQ(sidecar.find(piece), std::string::npos) << l.name << ": sidecar has " << piece;
      EXPECT_EQ(bytes.find(piece), std::string::npos) << l.name << ": the bytes hold " << piece;
    }
    EXPECT_TRUE(l.pieces.empty() || drawn >= 3) << l.name << ": the cells broke no host name";
    for (const std::string& k : l.kept) {
      EXPECT_NE(text.find(k), std::string::npos) << l.name << ": lost " << k << "\n" << text;
      EXPECT_NE(sidecar.find(k), std::string::npos) << l.name << ": sidecar lost " << k;
    }
  }
}

TEST_F(Layouts, TheSidecarReadsTheTableRowByRowAndTheFormLabelThenValue) {
  const std::string table = ReadAll(*dir_ / "out/release/table.txt");
  EXPECT_NE(table.find("Case files [REDACTED s.31(1)(a)] [REDACTED s.31(1)(a)] [REDACTED s.40(2)]"),
            std::string::npos)
      << table;
  const std::string form = ReadAll(*dir_ / "out/release/tab-form.txt");
  EXPECT_NE(form.find("Telephone: [REDACTED s.40(2)]"), std::string::npos) << form;
  EXPECT_NE(form.find("Outcome: Information partly withheld"), std::string::npos) << form;
}

// Encoded e-mail bodies (tests/data/encoded): released decoded and redacted, never encoded.
TEST(EncodedText, BodiesAreReleasedDecodedAndRedacted) {
  TempDir dir;
  CommandResult r = Redact("batch " + Quote(kSourceDir + "/tests/data/encoded") + " -o " +
                           Quote(dir / "out") + " -q --no-report");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const std::string name : {"base64-body.txt", "quoted-printable.txt", "uuencoded.txt"}) {
    const std::string release = ReadAll(dir / ("out/release/" + name));
    ASSERT_FALSE(release.empty()) << name;
    for (const std::string secret : {"Cisco", "AnyConnect", "10.44.12.7", "Sarah Whitfield",
                                     "0121 626 5000", "192.168.20.15", "Sam Price"}) {
      EXPECT_EQ(release.find(secret), std::string::npos) << name << ": " << secret;
    }
    EXPECT_NE(release.find("[REDACTED s.40(2)]"), std::string::npos) << name << "\n" << release;
    // (A message is printed by LibreOffice, which wraps its lines: phrases are looked for
    // with the line breaks read as spaces.)
    std::string flat = release;
    std::replace(flat.begin(), flat.end(), '\n', ' ');
    EXPECT_NE(flat.find("within 20 working days"), std::string::npos) << name;
    // No encoded block survives: nothing in the release decodes to something else.
    EXPECT_EQ(release.find("VGhlIFZQTi"), std::string::npos) << name;
    EXPECT_EQ(release.find("=\n"), std::string::npos) << name;
    EXPECT_EQ(release.find("begin 644"), std::string::npos) << name;
  }
  const std::string qp = ReadAll(dir / "out/release/quoted-printable.txt");
  std::string qp_flat = qp;
  std::replace(qp_flat.begin(), qp_flat.end(), '\n', ' ');
  EXPECT_NE(qp_flat.find("The caf\xC3\xA9 on the ground floor"), std::string::npos) << qp;
  // A MIME message (this one has From, Subject, MIME-Version) takes the e-mail path: its
  // attached image is a document of its own, named in the message's release and record.
  EXPECT_NE(qp.find("site-plan.png (image/png)"), std::string::npos) << qp;
  EXPECT_EQ(qp.find("iVBORw0KGgo"), std::string::npos);
  bool listed = false;
  for (const auto& rec : AuditRecords(dir / "out")) {
    if (rec.value("input", "") != "quoted-printable.txt") continue;
    for (const auto& a : rec.value("attachments", nlohmann::json::array())) {
      listed |= a["name"] == "site-plan.png" && !a["status"].get<std::string>().empty();
    }
  }
  EXPECT_TRUE(listed) << "the attachment and what became of it are in the message's record";
}

}  // namespace
}  // namespace redact
