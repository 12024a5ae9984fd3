// A reviewer's own redactions (a text, an area, a whole page), bulk decisions, decisions kept
// across runs and across input roots: through the real binary on the samples, checked in the
// releases' text (pdftotext), their pixels (pdftoppm) and the audit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>

#include <nlohmann/json.hpp>

#include "pipeline/core/hash.h"
#include "pipeline/core/tar.h"
#include "pipeline/decide/decisions.h"
#include "pipeline/report/report.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using nlohmann::json;
using testing::AuditRecords;
using testing::kSourceDir;
using testing::PdfText;
using testing::Quote;
using testing::ReadAll;
using testing::Redact;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteAll;
namespace fs = std::filesystem;

const std::string kPolice = "police-remote-devices-draft.pdf";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// One page of a PDF at 72 DPI in grey (a pixel a point): width, height, pixels.
struct Gray {
  int width = 0, height = 0;
  std::string pixels;
  // Share of dark pixels in [x0, x1) x [y0, y1) (points).
  double Dark(int x0, int y0, int x1, int y1) const {
    int dark = 0, all = 0;
    for (int y = std::max(0, y0); y < std::min(height, y1); ++y) {
      for (int x = std::max(0, x0); x < std::min(width, x1); ++x) {
        ++all;
        dark += uint8_t(pixels[size_t(y) * size_t(width) + size_t(x)]) < 128;
      }
    }
    return all ? double(dark) / all : 0;
  }
};

Gray RenderPage(const std::string& pdf, int page, const std::string& dir) {
  const std::string base = dir + "/page";
  RunCommand("pdftoppm -r 72 -gray -singlefile -f " + std::to_string(page) + " -l " +
             std::to_string(page) + " " + Quote(pdf) + " " + Quote(base));
  std::ifstream in(base + ".pgm", std::ios::binary);
  Gray g;
  std::string magic;
  int maxval = 0;
  in >> magic >> g.width >> g.height >> maxval;
  in.get();
  g.pixels.assign(size_t(g.width) * size_t(g.height), '\0');
  in.read(g.pixels.data(), std::streamsize(g.pixels.size()));
  return g;
}

std::string PageText(const std::string& pdf, int page) {
  return RunCommand("pdftotext -f " + std::to_string(page) + " -l " + std::to_string(page) + " " +
                    Quote(pdf) + " -")
      .out;
}

std::vector<json> Findings(const std::string& out, const std::string& rule) {
  std::vector<json> found;
  for (const json& r : AuditRecords(out)) {
    if (r["event"] != "document") continue;
    for (const json& f : r["findings"]) {
      if (f["rule"] == rule) {
        json g = f;
        g["input"] = r["input"];
        found.push_back(g);
      }
    }
  }
  return found;
}

// A text redacted in every document of the batch, an area over the letterhead, a page withheld
// and a rule's flags redacted in bulk: each reaches the releases and the audit, with its
// exemption, note and reviewer.
TEST(ManualRedactions, TextAreaAndPageReachTheReleasesAndTheAudit) {
  TempDir dir;
  const std::string decisions = dir / "decisions.toml";
  WriteAll(decisions,
           "[[redact]]\ndocument = \"*\"\ntext = \"request\"\nexemption = \"s.40(2)\"\n"
           "note = \"names the requester\"\nreviewer = \"R. Viewer\"\n\n"
           "[[redact]]\ndocument = \"" +
               kPolice +
               "\"\narea = [60, 55, 250, 80]\npage = 1\nexemption = \"s.40(2)\"\n"
               "note = \"letterhead\"\n\n"
               "[[redact]]\ndocument = \"" +
               kPolice +
               "\"\nwithhold_page = true\npage = 2\nexemption = \"s.31(1)(a)\"\n\n"
               "[[bulk]]\ndocument = \"*\"\nrule = \"internal.marking\"\ndecision = \"redact\"\n");
  const std::string out = dir / "out";
  auto r = Redact("batch " + Quote(kSourceDir + "/samples") + " -o " + Quote(out) +
                  " --decisions " + Quote(decisions) + " --reviewer " + Quote("Lead Reviewer"));
  // The bulk decision settles the one flag: everything is released.
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("4 text, 1 area, 1 pages withheld) by Lead Reviewer, R. Viewer"),
            std::string::npos)
      << r.out;
  const std::string police = out + "/release/" + kPolice;
  const std::string council = out + "/release/council/staff-contacts-draft.pdf";
  ASSERT_TRUE(fs::exists(police) && fs::exists(council)) << r.out;
  // The text, wherever it was, in both documents and in any case.
  const std::regex word("\\brequest\\b", std::regex::icase);
  ASSERT_TRUE(std::regex_search(PdfText(kSourceDir + "/samples/" + kPolice), word));
  ASSERT_TRUE(
      std::regex_search(PdfText(kSourceDir + "/samples/council/staff-contacts-draft.pdf"), word));
  EXPECT_FALSE(std::regex_search(PdfText(police), word)) << PdfText(police);
  EXPECT_FALSE(std::regex_search(PdfText(council), word)) << PdfText(council);
  EXPECT_EQ(PdfText(council).find("OFFICIAL-SENSITIVE"), std::string::npos);  // the bulk one
  // The area: black in the pixels, no word of the letterhead in the text layer.
  const Gray page1 = RenderPage(police, 1, dir.path());
  EXPECT_GT(page1.Dark(62, 57, 248, 78), 0.9);
  EXPECT_EQ(PageText(police, 1).find("Northshire Constabulary\n"), std::string::npos);
  EXPECT_NE(PageText(police, 1).find("How many devices"), std::string::npos);  // the rest stays
  // The page: still there, saying it was withheld and why, and nothing else.
  EXPECT_EQ(RunCommand("pdfinfo " + Quote(police) + " | grep -c '^Pages: *2$'").out, "1\n");
  const std::string page2 = PageText(police, 2);
  EXPECT_NE(page2.find("Page 2 withheld: s.31(1)(a)"), std::string::npos) << page2;
  EXPECT_EQ(page2.find("Internal note"), std::string::npos);
  EXPECT_EQ(page2.find("evaluate"), std::string::npos);
  const Gray page2_pixels = RenderPage(police, 2, dir.path());
  EXPECT_LT(page2_pixels.Dark(0, 0, page2_pixels.width, page2_pixels.height), 0.05);
  EXPECT_LT(page2_pixels.Dark(0, 0, page2_pixels.width, 300), 0.001) << "the page's text shows";
  // The audit: each with its rule, exemption, note and reviewer.
  const auto texts = Findings(out, "manual.text");
  ASSERT_EQ(texts.size(), 4u);
  for (const json& f : texts) {
    EXPECT_EQ(f["decided_by"], "R. Viewer");
    EXPECT_EQ(f["note"], "names the requester");
    EXPECT_EQ(f["exemption"], "s.40(2)");
    EXPECT_EQ(f["action"], "redact");
  }
  const auto areas = Findings(out, "manual.area");
  ASSERT_EQ(areas.size(), 1u);
  EXPECT_EQ(areas[0]["decided_by"], "Lead Reviewer");
  EXPECT_EQ(areas[0]["boxes"], json::parse("[[60.0, 55.0, 250.0, 80.0]]"));
  const auto pages = Findings(out, "manual.page");
  ASSERT_EQ(pages.size(), 1u);
  EXPECT_EQ(pages[0]["page"], 2);
  EXPECT_EQ(pages[0]["exemption"], "s.31(1)(a)");
  const json end = AuditRecords(out).back();
  EXPECT_EQ(end["decisions_applied"]["manual_text"], 4);
  EXPECT_EQ(end["decisions_applied"]["manual_area"], 1);
  EXPECT_EQ(end["decisions_applied"]["manual_page"], 1);
  EXPECT_EQ(end["decisions_applied"]["redact"], 1);
  // The report, the record of the run: what to do next, who decided, the hidden content.
  const std::string report = ReadAll(out + "/audit/report.html");
  EXPECT_NE(report.find("<b>Next:</b> every processed document is in"), std::string::npos);
  EXPECT_NE(report.find("Decided by Lead Reviewer"), std::string::npos);
  EXPECT_NE(report.find("redact by R. Viewer (names the requester)"), std::string::npos);
  EXPECT_NE(report.find("Hidden content (not in the release)"), std::string::npos);
  EXPECT_NE(report.find("Author: Draft author - must not reach the release"), std::string::npos);
  // The review file written by the run keeps the reviewer's entries for the next one.
  const std::string again = ReadAll(out + "/audit/decisions.toml");
  EXPECT_NE(again.find("withhold_page = true"), std::string::npos);
  EXPECT_NE(again.find("area = [60.00, 55.00, 250.00, 80.00]"), std::string::npos);
  EXPECT_NE(again.find("rule = \"internal.marking\"\ndecision = \"redact\""), std::string::npos);
}

// One occurrence only: the second "request" of page 1 (the heading; "Information Request" is
// the first).
TEST(ManualRedactions, OneOccurrenceOfATextOnlyThatOne) {
  TempDir dir;
  const std::string decisions = dir / "decisions.toml";
  WriteAll(decisions, "[[redact]]\ndocument = \"" + kPolice +
                          "\"\ntext = \"request\"\npage = 1\noccurrence = 2\n"
                          "exemption = \"s.40(2)\"\n");
  auto r = Redact("batch " + Quote(kSourceDir + "/samples/" + kPolice) + " -o " +
                  Quote(dir / "out") + " -q --decisions " + Quote(decisions));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(fs::exists(dir / "out/release/" + kPolice)) << r.out;
  const std::string text = PageText(dir / "out/release/" + kPolice, 1);
  EXPECT_EQ(Findings(dir / "out", "manual.text").size(), 1u);
  // The draft has "Information Request FOI/..." then the heading "Request".
  const std::string draft = PageText(kSourceDir + "/samples/" + kPolice, 1);
  const size_t first = draft.find("Request"), second = draft.find("Request", first + 1);
  ASSERT_NE(second, std::string::npos) << draft;
  EXPECT_NE(text.find("Information Request"), std::string::npos) << text;
  EXPECT_EQ(text.find("Request\n"), std::string::npos) << text;
}

// A run without --decisions writes the review file again from what it found, and keeps
// every decision, note and reviewer's entry the file had (one "keep" used to be lost so).
TEST(Decisions, ARunWithoutDecisionsKeepsTheReviewersFile) {
  TempDir dir;
  const std::string in = kSourceDir + "/samples/" + kPolice;
  const std::string out = dir / "out";
  ASSERT_EQ(Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q").exit_code, 0);
  const std::string path = out + "/audit/decisions.toml";
  std::string toml = ReadAll(path);
  const size_t at = toml.find("text = \"10.44.12.7\"");
  ASSERT_NE(at, std::string::npos) << "run with --audit-text plain?";
  const size_t field = toml.find("decision = \"\"", toml.rfind("[[decision]]", at));
  toml.replace(field, 13, "decision = \"keep\"");
  const size_t note = toml.find("note = \"\"", field);
  toml.replace(note, 9, "note = \"published in the 2019 report\"");
  toml +=
      "\n[[redact]]\ndocument = \"" + kPolice + "\"\ntext = \"laptops\"\nexemption = \"s.40(2)\"\n";
  WriteAll(path, toml);
  // Again, into the same OUT, without --decisions: nothing applied, nothing lost.
  auto second = Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q");
  ASSERT_EQ(second.exit_code, 0) << second.out;
  const std::string kept = ReadAll(path);
  EXPECT_NE(kept.find("decision = \"keep\"\nnote = \"published in the 2019 report\""),
            std::string::npos)
      << kept;
  EXPECT_NE(kept.find("text = \"laptops\""), std::string::npos);
  // Then with it: the decision and the reviewer's redaction apply.
  auto third = Redact("batch " + Quote(in) + " -o " + Quote(dir / "third") + " -q --decisions " +
                      Quote(path) + " --reviewer " + Quote("A. Reviewer"));
  ASSERT_EQ(third.exit_code, 0) << third.out;
  const std::string text = PdfText(dir / "third/release/" + kPolice);
  EXPECT_NE(text.find("10.44.12.7"), std::string::npos);
  EXPECT_EQ(Lower(text).find("laptops"), std::string::npos) << text;
}

// Decisions follow the document, not its path: the same file under another name and root
// keeps them (matched by its sha256).
TEST(Decisions, ACopyUnderAnotherRootKeepsItsDecisionsBySha256) {
  TempDir dir;
  const std::string in = kSourceDir + "/samples/" + kPolice;
  ASSERT_EQ(Redact("batch " + Quote(in) + " -o " + Quote(dir / "first") + " -q").exit_code, 0);
  std::string toml = ReadAll(dir / "first/audit/decisions.toml");
  const size_t at = toml.find("text = \"10.44.12.7\"");
  ASSERT_NE(at, std::string::npos);
  const size_t block = toml.rfind("[[decision]]", at);
  ASSERT_NE(toml.find("sha256 = \"", block), std::string::npos);
  toml.replace(toml.find("decision = \"\"", block), 13, "decision = \"keep\"");
  WriteAll(dir / "decisions.toml", toml);
  fs::create_directories(dir / "elsewhere/2017");
  fs::copy_file(in, dir / "elsewhere/2017/response-final.pdf");
  auto r = Redact("batch " + Quote(dir / "elsewhere") + " -o " + Quote(dir / "second") +
                  " -q --decisions " + Quote(dir / "decisions.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(PdfText(dir / "second/release/2017/response-final.pdf").find("10.44.12.7"),
            std::string::npos);
}

// Entries that cannot be applied are refused before anything runs, each saying what it needs.
TEST(Decisions, AnEntryThatCannotBeAppliedIsRefusedSayingWhy) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[[redact]]\ndocument = \"a.pdf\"\ntext = \"Dave\"\n", "needs an exemption"},
      {"[[redact]]\ndocument = \"a.pdf\"\narea = [1, 2, 3, 4]\nexemption = \"s.40(2)\"\n",
       "needs the page it is on"},
      {"[[redact]]\narea = [1, 2, 3, 4]\npage = 1\nexemption = \"s.40(2)\"\n",
       "needs the document it is on"},
      {"[[redact]]\ndocument = \"a.pdf\"\npage = 1\nexemption = \"s.40(2)\"\n",
       "needs one of text, area or withhold_page"},
      {"[[redact]]\ndocument = \"a.pdf\"\narea = [1, 2, 3]\npage = 1\nexemption = \"x\"\n",
       "area is [x0, y0, x1, y1]"},
      {"[[bulk]]\nrule = \"person.name\"\ndecision = \"maybe\"\n", "decision must be"},
      {"[[bulk]]\ndecision = \"keep\"\n", "needs a rule or a text"},
  };
  for (const auto& [toml, says] : cases) {
    WriteAll(dir / "d.toml", toml);
    auto loaded = LoadDecisions(dir / "d.toml");
    ASSERT_FALSE(loaded.ok()) << toml;
    EXPECT_NE(loaded.status().message().find(says), std::string::npos)
        << toml << " -> " << loaded.status().message();
  }
  // And through the command: exit 1 (bad arguments), the reason on the terminal.
  auto r = Redact("batch " + Quote(kSourceDir + "/samples/" + kPolice) + " -o " +
                  Quote(dir / "out") + " -q --decisions " + Quote(dir / "d.toml"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("needs a rule or a text"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

// The sidecar .txt says what the pixels say: the words under a drawn area are gone from it too.
TEST(ManualRedactions, AnAreasWordsAreGoneFromTheSidecarToo) {
  TempDir dir;
  WriteAll(dir / "d.toml", "[[redact]]\ndocument = \"" + kPolice +
                               "\"\narea = [60, 55, 250, 80]\npage = 1\nexemption = \"s.40(2)\"\n");
  auto r = Redact("batch " + Quote(kSourceDir + "/samples/" + kPolice) + " -o " +
                  Quote(dir / "out") + " -q --decisions " + Quote(dir / "d.toml"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string sidecar = ReadAll(dir / "out/release/police-remote-devices-draft.txt");
  EXPECT_EQ(sidecar.find("Northshire Constabulary\n"), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find("[REDACTED s.40(2)]"), std::string::npos) << sidecar;
  EXPECT_NE(sidecar.find("How many devices"), std::string::npos);
  // On a plain-text document an area has nowhere to go: the document is held back, saying why.
  WriteAll(dir / "in/a.txt", "Nothing secret here.\n");
  WriteAll(dir / "t.toml",
           "[[redact]]\ndocument = \"a.txt\"\narea = [0, 0, 100, 100]\npage = 1\n"
           "exemption = \"s.40(2)\"\n");
  auto t = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "tout") + " -q --decisions " +
                  Quote(dir / "t.toml"));
  EXPECT_EQ(t.exit_code, 2) << t.out;
  EXPECT_NE(t.out.find("has no pages to draw on"), std::string::npos) << t.out;
  EXPECT_FALSE(fs::exists(dir / "tout/release/a.txt"));
}

// A bulk decision stays the one that decides: changed, the findings follow it; taken away,
// the flag is open again and the earlier release is withdrawn.
TEST(Decisions, ABulkDecisionCanBeChangedAndTakenBack) {
  TempDir dir;
  const std::string in = kSourceDir + "/samples/council/staff-contacts-draft.pdf";
  const std::string bulk = "[[bulk]]\ndocument = \"*\"\nrule = \"internal.marking\"\n";
  WriteAll(dir / "keep.toml", bulk + "decision = \"keep\"\n");
  const std::string out = dir / "out";
  ASSERT_EQ(Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q --decisions " +
                   Quote(dir / "keep.toml"))
                .exit_code,
            0);
  const std::string release = out + "/release/staff-contacts-draft.pdf";
  EXPECT_NE(PdfText(release).find("OFFICIAL-SENSITIVE"), std::string::npos);
  // The run's review file: the bulk entry, and no decision of the finding's own.
  std::string toml = ReadAll(out + "/audit/decisions.toml");
  const size_t at = toml.find("rule = \"internal.marking\"\naction = \"flag\"");
  ASSERT_NE(at, std::string::npos) << toml;
  EXPECT_NE(toml.rfind("decision = \"\"", at), std::string::npos);
  toml.replace(toml.find("decision = \"keep\"", toml.find("\n[[bulk]]\n")), 17,
               "decision = \"redact\"");
  WriteAll(out + "/audit/decisions.toml", toml);
  ASSERT_EQ(Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q --decisions " +
                   Quote(out + "/audit/decisions.toml"))
                .exit_code,
            0);
  EXPECT_EQ(PdfText(release).find("OFFICIAL-SENSITIVE"), std::string::npos);
  // Taken away: held for review again, and the release withdrawn.
  toml = ReadAll(out + "/audit/decisions.toml");
  const size_t from = toml.find("\n[[bulk]]\n");
  toml.erase(from, toml.find("\n[[decision]]\n") - from);
  WriteAll(out + "/audit/decisions.toml", toml);
  EXPECT_EQ(Redact("batch " + Quote(in) + " -o " + Quote(out) + " -q --decisions " +
                   Quote(out + "/audit/decisions.toml"))
                .exit_code,
            7);
  EXPECT_FALSE(fs::exists(release)) << "a release of what is no longer decided stays published";
  EXPECT_TRUE(fs::exists(out + "/review/staff-contacts-draft.pdf"));
}

// Whatever a reviewer types (a DEL, quotes, a new line) the file stays readable.
TEST(Decisions, AnyTextInANoteKeepsTheFileReadable) {
  TempDir dir;
  ManualRedaction m;
  m.scope = {"a.pdf", ""};
  m.text = "Dave\x7f \"the\" boss";
  m.exemption = "s.40(2)";
  m.note = "line one\nline two\t\x7f\x01";
  WriteAll(dir / "d.toml", DecisionsToml({}, {}, {m}));
  auto loaded = LoadDecisions(dir / "d.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  ASSERT_EQ(loaded->manual.size(), 1u);
  EXPECT_EQ(loaded->manual[0].note, m.note);
  EXPECT_EQ(loaded->manual[0].text, m.text);
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

// The report's page views come from the batch's own rasters (under the release's sha256),
// not from opening every document again: the report holds exactly those images.
TEST(ReportViews, TextThatIsNotUtf8IsShownAsReplacementCharacters) {
  // A batch's report is made from the records in memory, where a file name's bytes are as
  // they were (the log writes them as U+FFFD): the HTML must be UTF-8 either way.
  std::vector<json> records = {
      {{"event", "document"},
       {"input", "memo\xff<1>.pdf"},
       {"status", "released"},
       {"kind", "text"},
       {"findings",
        json::array(
            {{{"page", 1}, {"rule", "r"}, {"action", "redact"}, {"text", "caf\xc3\xa9 \xc3"}}})}}};
  ReportOptions options;
  options.thumbnails = false;
  const std::string html = BuildReport(records, options);
  EXPECT_EQ(html.find('\xff'), std::string::npos);
  EXPECT_NE(html.find("memo\xEF\xBF\xBD&lt;1&gt;.pdf"), std::string::npos);
  EXPECT_NE(html.find("caf\xc3\xa9 \xEF\xBF\xBD"), std::string::npos);  // valid UTF-8 kept
}

// Notes are shown, never waited for: a released document with notes has no flag awaiting a
// decision. Two files of one name the daemon took (response.pdf, response.2.pdf) are two
// documents, each linked to its release.
TEST(ReportViews, NotesAreNotFlagsAndSameNamedDocumentsAreListedApart) {
  auto doc = [](const std::string& release, const std::string& sha) {
    return json{{"event", "document"},
                {"input", "response.txt"},
                {"input_path", "/srv/foi/out/archive/2024-05-01/" + release},
                {"release_name", release},
                {"sha256", sha},
                {"status", "released"},
                {"kind", "text"},
                {"outputs", json::array({{{"path", "release/" + release}}})},
                {"findings",
                 json::array({{{"page", 1}, {"rule", "contact.office-mailbox"}, {"action", "note"}},
                              {{"page", 1}, {"rule", "contact.postcode"}, {"action", "note"}}})}};
  };
  std::vector<json> records = {doc("response.txt", std::string(64, 'a')),
                               doc("response.2.txt", std::string(64, 'b'))};
  ReportOptions options;
  options.thumbnails = false;
  options.release_base = "..";
  const std::string html = BuildReport(records, options);
  // The summary's row: 2 documents, 2 released, 0 waiting, 0 not released, 0 pages, 0
  // redactions, 0 flags awaiting a decision.
  EXPECT_NE(html.find("<td class=num>2</td><td class=num>2</td><td class=num>0</td><td "
                      "class=num>0</td><td class=num>0</td><td class=num>0</td><td "
                      "class=num>0</td></tr>"),
            std::string::npos)
      << html.substr(0, 2000);
  EXPECT_NE(html.find("every processed document is in"), std::string::npos);
  EXPECT_NE(html.find("response.txt \u2192 response.2.txt"), std::string::npos);
  EXPECT_NE(html.find("href=\"../release/response.txt\""), std::string::npos);
  EXPECT_NE(html.find("href=\"../release/response.2.txt\""), std::string::npos);
}

TEST(ReportViews, TheReportShowsThePagesTheBatchRendered) {
  TempDir dir;
  const std::string out = dir / "out";
  ASSERT_EQ(
      Redact("batch " + Quote(kSourceDir + "/samples/" + kPolice) + " -o " + Quote(out) + " -q")
          .exit_code,
      0);
  std::string sha;
  for (const json& r : AuditRecords(out)) {
    if (r["event"] != "document") continue;
    for (const json& o : r["outputs"]) {
      if (o["path"].get<std::string>().ends_with(".pdf")) sha = o["sha256"];
    }
  }
  ASSERT_EQ(sha.size(), 64u);
  // One archive of the release's views, which tar itself lists.
  const std::string views = out + "/audit/pages/" + sha + ".tar";
  const auto listed = RunCommand("tar -tf " + Quote(views));
  EXPECT_EQ(listed.exit_code, 0);
  EXPECT_EQ(listed.out, "1-original.png\n1-release.png\n2-original.png\n2-release.png\n");
  const std::string archive = ReadAll(views);
  const std::string report = ReadAll(out + "/audit/report.html");
  size_t found = 0;
  for (const char* name : {"1-original.png", "1-release.png", "2-original.png", "2-release.png"}) {
    const auto member = TarMember(archive, name);
    ASSERT_TRUE(member) << name;
    const std::string png(*member);
    ASSERT_GT(png.size(), 1000u) << name;
    EXPECT_EQ(png.substr(1, 3), "PNG") << name;
    // The report's data URIs decode to these very files.
    for (size_t at = 0; (at = report.find("base64,", at)) != std::string::npos; ++at) {
      const size_t end = report.find('"', at);
      auto bytes = DecodeBase64(report.substr(at + 7, end - at - 7));
      if (bytes && *bytes == png) {
        ++found;
        break;
      }
    }
  }
  EXPECT_EQ(found, 4u);
}

}  // namespace
}  // namespace redact
