// Release paths carry no redacted text: every folder, file and attachment name of a release is
// read by the rules like its text, what they find is replaced by "[REDACTED <exemption>]", the
// audit maps each input to its release, and the self-check reads the path again before
// publishing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "pipeline/rules/rule_loader.h"
#include "pipeline/verify/release_path.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;
namespace fs = std::filesystem;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Every path under `root` (files and folders), relative to it.
std::vector<std::string> PathsUnder(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    out.push_back(fs::relative(it->path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Listing(const std::vector<std::string>& paths) {
  std::string s;
  for (const std::string& p : paths) s += "  " + p + "\n";
  return s;
}

// The audit's document records of the run in `out`, by input name.
std::map<std::string, nlohmann::json> Documents(const std::string& out) {
  std::map<std::string, nlohmann::json> docs;
  for (const auto& rec : AuditRecords(out)) {
    if (rec["event"] == "document") docs[rec["input"]] = rec;
  }
  return docs;
}

const std::shared_ptr<const RuleMatcher>& ShippedRules() {
  static const std::shared_ptr<const RuleMatcher> matcher = [] {
    auto cat = LoadRules({kSourceDir + "/rules"});
    EXPECT_TRUE(cat.ok()) << cat.status().message();
    return cat.ok() ? cat->matcher : nullptr;
  }();
  return matcher;
}

TEST(ReleasePath, NamesInFoldersAndFileNamesAreRedactedWordByWord) {
  const auto& matcher = ShippedRules();
  ASSERT_TRUE(matcher);
  struct Case {
    const char* path;
    const char* release;
  } cases[] = {
      // A titled name in a folder; the same person's names, lower case and reversed, in the
      // file name: read as "Lowe Amy Notes", and redacted wherever the folder's name recurs.
      {"Grievance - PC Amy Lowe/lowe-amy-notes.pdf",
       "Grievance - [REDACTED s.40(2)]/[REDACTED s.40(2)]-notes.pdf"},
      // A name at the end of a title: "Tom Reid" on a line of its own is a name.
      {"mail.attachments/Witness statement Tom Reid.txt",
       "mail.attachments/Witness statement [REDACTED s.40(2)].txt"},
      {"GCHQ_liaison_2024.pdf", "[REDACTED s.23(1)]_liaison_2024.pdf"},
      {"contact amy.lowe@northshire.police.uk.txt", "contact [REDACTED s.40(2)].txt"},
      // Nothing to redact: the name stays as it is.
      {"minutes-2024.pdf", "minutes-2024.pdf"},
      {"Board papers/2024-03 agenda.txt", "Board papers/2024-03 agenda.txt"},
      // A reference number is no phone number, nor are tool names and surnames of places.
      {"001-100188.txt", "001-100188.txt"},
      {"001-100188.txt.txt", "001-100188.txt.txt"},
      {"01_psni_common_purpose_F-2010-00325.pdf", "01_psni_common_purpose_F-2010-00325.pdf"},
      {"ocrmypdf_linn.pdf", "ocrmypdf_linn.pdf"},
      // But a number among words is read as one.
      {"call 07700 900461.txt", "call [REDACTED s.40(2)].txt"},
      // A marker the rules left is read as what it stands for, and stays.
      {"[REDACTED s.40(2)]-notes.txt", "[REDACTED s.40(2)]-notes.txt"},
  };
  for (const Case& c : cases) {
    auto r = RedactReleasePath(c.path, *matcher);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->path, c.release) << c.path;
    EXPECT_EQ(r->redactions.empty(), std::string(c.path) == c.release) << c.path;
  }
}

TEST(ReleasePath, ANameRedactedInOnePathIsRedactedInEveryPathReadWithIt) {
  const auto& matcher = ShippedRules();
  ASSERT_TRUE(matcher);
  // "lowe" alone is no name to the rules; the folder of another input says whose it is.
  auto alone = RedactReleasePath("lowe.txt", *matcher);
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(alone->path, "lowe.txt");
  auto redactor = ReleasePathRedactor::Make(*matcher, {"PC Amy Lowe/a.txt", "lowe.txt"},
                                            {{"Okafor", "person.name", "s.40(2)"}});
  ASSERT_TRUE(redactor.ok()) << redactor.status().message();
  auto r = redactor->Redact("lowe.txt");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->path, "[REDACTED s.40(2)].txt");
  ASSERT_EQ(r->redactions.size(), 1u);
  EXPECT_EQ(r->redactions[0].exemption, "s.40(2)");
  // A string known to be redacted (a message's, for its attachments), in any capitals.
  auto known = redactor->Redact("notes/OKAFOR-reply.txt");
  ASSERT_TRUE(known.ok());
  EXPECT_EQ(known->path, "notes/[REDACTED s.40(2)]-reply.txt");
}

TEST(ReleasePath, TheSelfCheckFailsAPathThatHoldsWhatTheRulesOrTheDocumentRedact) {
  const auto& matcher = ShippedRules();
  ASSERT_TRUE(matcher);
  EXPECT_TRUE(CheckReleasePath("minutes-2024.pdf", *matcher, nullptr).ok());
  EXPECT_TRUE(CheckReleasePath("Grievance - [REDACTED s.40(2)]/[REDACTED s.40(2)]-notes.pdf",
                               *matcher, nullptr)
                  .ok());
  Status folder = CheckReleasePath("Grievance - PC Amy Lowe/notes.pdf", *matcher, nullptr);
  EXPECT_EQ(folder.code(), Status::Code::kLeak);
  EXPECT_NE(folder.message().find("folder name"), std::string::npos) << folder.message();
  // The message names the rule, never the text.
  EXPECT_EQ(folder.message().find("Lowe"), std::string::npos) << folder.message();
  // Only the exact markers are read as spaces: a made-up one is read as written.
  EXPECT_EQ(CheckReleasePath("[REDACTED PC Amy Lowe].txt", *matcher, nullptr).code(),
            Status::Code::kLeak);
  auto finder = LiteralFinder::Compile({"Evans"});
  ASSERT_TRUE(finder.ok());
  Status file = CheckReleasePath("evans_interview.txt", *matcher, &*finder);
  EXPECT_EQ(file.code(), Status::Code::kLeak);
  EXPECT_NE(file.message().find("file name"), std::string::npos) << file.message();
  EXPECT_TRUE(CheckReleasePath("interview.txt", *matcher, &*finder).ok());
}

// The tree, through the real binary: nothing of the name in any release path, the
// release there, the audit mapping the input to it; a name with nothing to redact kept.
TEST(ReleaseNames, ABatchReleasesNoNameInAnyPathAndTheAuditMapsEachInputToItsRelease) {
  TempDir dir;
  const std::string input = "Grievance - PC Amy Lowe/lowe-amy-notes.txt";
  WriteAll(dir / ("in/" + input),
           "Notes of the meeting with PC Amy Lowe on 3 March.\nThe grievance was upheld.\n");
  fs::copy_file(Sample("police-remote-devices-draft.pdf"), dir / "in/minutes-2024.pdf");
  CommandResult r =
      Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --release-flagged");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::vector<std::string> paths = PathsUnder(dir / "out/release");
  for (const std::string& p : paths) {
    for (const char* name : {"lowe", "amy"}) {
      EXPECT_EQ(Lower(p).find(name), std::string::npos) << p << "\n" << Listing(paths);
    }
  }
  const std::string release = "Grievance - [REDACTED s.40(2)]/[REDACTED s.40(2)]-notes.txt";
  ASSERT_TRUE(fs::exists(dir / ("out/release/" + release))) << Listing(paths);
  EXPECT_NE(ReadAll(dir / ("out/release/" + release)).find("with [REDACTED s.40(2)] on"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "out/release/minutes-2024.pdf")) << Listing(paths);
  EXPECT_TRUE(fs::exists(dir / "out/release/minutes-2024.txt")) << Listing(paths);

  auto docs = Documents(dir / "out");
  ASSERT_TRUE(docs.count(input));
  const nlohmann::json& doc = docs[input];
  EXPECT_EQ(doc["release_name"], release) << doc.dump(2);
  EXPECT_EQ(doc["outputs"][0]["path"], "release/" + release) << doc.dump(2);
  ASSERT_TRUE(doc.contains("release_name_redactions")) << doc.dump(2);
  ASSERT_EQ(doc["release_name_redactions"].size(), 2u) << doc.dump(2);
  for (const auto& n : doc["release_name_redactions"]) {
    EXPECT_EQ(n["exemption"], "s.40(2)");
    EXPECT_EQ(n["rule"].get<std::string>().rfind("person.", 0), 0u) << n.dump();
  }
  ASSERT_TRUE(docs.count("minutes-2024.pdf"));
  EXPECT_EQ(docs["minutes-2024.pdf"]["release_name"], "minutes-2024.pdf");
  EXPECT_FALSE(docs["minutes-2024.pdf"].contains("release_name_redactions"));
}

TEST(ReleaseNames, InputsWhoseNamesRedactAlikeAreEachReleased) {
  TempDir dir;
  WriteAll(dir / "in/amy-lowe-notes.txt", "First note: the rota was agreed.\n");
  WriteAll(dir / "in/tom-reid-notes.txt", "Second note: the budget was agreed.\n");
  WriteAll(dir / "in/Amy Lowe notes.txt", "Third note: the minutes were agreed.\n");
  CommandResult r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::vector<std::string> paths = PathsUnder(dir / "out/release");
  ASSERT_EQ(paths.size(), 3u) << Listing(paths);
  std::set<std::string> texts;
  for (const std::string& p : paths) {
    EXPECT_EQ(p.rfind("[REDACTED s.40(2)]", 0), 0u) << Listing(paths);
    for (const char* name : {"amy", "lowe", "tom", "reid"}) {
      EXPECT_EQ(Lower(p).find(name), std::string::npos) << Listing(paths);
    }
    texts.insert(ReadAll(dir / ("out/release/" + p)));
  }
  EXPECT_EQ(texts.size(), 3u) << "a release replaced another:\n" << Listing(paths);
  // Each input's record names its own release.
  std::set<std::string> names;
  for (const auto& [input, doc] : Documents(dir / "out")) {
    ASSERT_TRUE(doc.contains("release_name")) << doc.dump(2);
    names.insert(doc["release_name"].get<std::string>());
    EXPECT_TRUE(fs::exists(dir / ("out/release/" + doc["release_name"].get<std::string>())));
  }
  EXPECT_EQ(names.size(), 3u);
}

// A name the rules alone do not see but the document redacts ("Evans" of "Dr Siân Evans"): the
// self-check reads the planned path and fails the document closed, with a reason.
TEST(ReleaseNames, APathHoldingWhatTheDocumentRedactsIsQuarantinedNotReleased) {
  TempDir dir;
  WriteAll(dir / "in/evans-interview.txt",
           "Interview with Dr Si\u00e2n Evans on 4 May.\nEvans said the audit was late.\n");
  CommandResult r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out"));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(PathsUnder(dir / "out/release").empty()) << Listing(PathsUnder(dir / "out/release"));
  auto docs = Documents(dir / "out");
  ASSERT_TRUE(docs.count("evans-interview.txt"));
  const nlohmann::json& doc = docs["evans-interview.txt"];
  EXPECT_EQ(doc["status"], "quarantined") << doc.dump(2);
  EXPECT_EQ(doc["stage"], "verify") << doc.dump(2);
  EXPECT_NE(doc["error"].get<std::string>().find("file name"), std::string::npos) << doc.dump(2);
  EXPECT_TRUE(fs::exists(dir / "out/quarantine/evans-interview.txt.error.json"));
}

// An e-mail's attachment is released under its own name, read by the rules too.
TEST(ReleaseNames, AnAttachmentsNameIsRedactedInItsReleasePath) {
  if (!fs::exists("/usr/lib/libreoffice/program/soffice.bin")) {
    GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  }
  TempDir dir;
  WriteAll(dir / "in/statement.eml",
           "From: Casework Team <casework@example.org>\r\n"
           "To: Records <records@example.org>\r\n"
           "Subject: Statement for the file\r\n"
           "Date: Tue, 06 Jan 2026 10:00:00 +0000\r\n"
           "MIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
           "\r\n"
           "--b1\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "\r\n"
           "The statement is attached for the file.\r\n"
           "--b1\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n"
           "Content-Disposition: attachment; filename=\"Witness statement Tom Reid.txt\"\r\n"
           "\r\n"
           "I saw the van leave at six.\r\n"
           "--b1--\r\n");
  CommandResult r =
      Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --release-flagged");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::vector<std::string> paths = PathsUnder(dir / "out/release");
  for (const std::string& p : paths) {
    EXPECT_EQ(Lower(p).find("reid"), std::string::npos) << Listing(paths);
  }
  const std::string release = "statement.attachments/Witness statement [REDACTED s.40(2)].txt";
  ASSERT_TRUE(fs::exists(dir / ("out/release/" + release))) << Listing(paths) << r.out;
  EXPECT_NE(ReadAll(dir / ("out/release/" + release)).find("the van leave"), std::string::npos);
  auto docs = Documents(dir / "out");
  const std::string input = "statement.eml.attachments/Witness statement Tom Reid.txt";
  ASSERT_TRUE(docs.count(input)) << r.out;
  EXPECT_EQ(docs[input]["release_name"], release) << docs[input].dump(2);
  EXPECT_EQ(docs[input]["parent"], "statement.eml");
  // The message's own release lists its attachments by their release names.
  const std::string message = PdfText(dir / "out/release/statement.pdf");
  EXPECT_NE(message.find("The statement is attached"), std::string::npos) << message;
  EXPECT_EQ(Lower(message).find("reid"), std::string::npos) << message;
  EXPECT_EQ(Lower(ReadAll(dir / "out/release/statement.txt")).find("reid"), std::string::npos);
}

}  // namespace
}  // namespace redact
