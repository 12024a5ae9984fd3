// Office drafts (DOCX, ODT) through the whole pipeline: what the final document hides never
// reaches a release and is listed in the audit; hostile packages are quarantined with a reason.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "pipeline/batch/office_pool.h"
#include "pipeline/extract/office_package.h"
#include "pipeline/extract/office_server.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;
namespace fs = std::filesystem;

const std::string kOffice = kSourceDir + "/tests/data/office/";

bool LibreOfficeInstalled() { return fs::exists("/usr/lib/libreoffice/program/soffice.bin"); }

// Every string a fixture hides in its history, comments, hidden text, properties, fields,
// links and alt text (tests/data/office/make_office_fixtures.py).
const char* const kHidden[] = {"replaced last year", "Larkspur",
                               "Quillfeather",       "Alice Jones",
                               "Bluebird",           "intranet.northshire",
                               "case-5521",          "Thistlewood",
                               "Whitacre",           "Pemberton",
                               "Cyber Crime Unit",   "fileserver07",
                               "tracker.example",    "pixel-77",
                               "Ravensworth",        "Okonkwo",
                               "Kestrel Ridge",      "Dan Reviewer"};

TEST(Office, WhatTheFinalDocumentHidesNeverReachesTheReleaseAndIsInTheAudit) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  TempDir dir;
  fs::create_directories(dir / "in");
  for (const char* f : {"hidden-content.docx", "hidden-content.odt"}) {
    fs::copy_file(kOffice + f, dir / ("in/" + std::string(f)));
  }
  // With the slot's LibreOffice kept running (the default) and with one per document.
  for (const std::string mode : {"", " --libreoffice-per-document"}) {
    SCOPED_TRACE("mode:" + mode);
    const std::string out = mode.empty() ? "kept" : "per-document";
    CommandResult r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / out) +
                             " --release-flagged" + mode);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    for (const char* release : {"hidden-content.pdf", "hidden-content.odt.pdf"}) {
      const std::string pdf = dir / out + "/release/" + release;
      ASSERT_TRUE(fs::exists(pdf)) << release << "\n" << r.out;
      const std::string text = PdfText(pdf);
      const std::string sidecar = ReadAll(fs::path(pdf).replace_extension(".txt").string());
      const std::string bytes = ReadAll(pdf);
      for (const char* hidden : kHidden) {
        EXPECT_EQ(text.find(hidden), std::string::npos) << release << ": " << hidden;
        EXPECT_EQ(sidecar.find(hidden), std::string::npos) << release << ": " << hidden;
        EXPECT_EQ(bytes.find(hidden), std::string::npos) << release << ": " << hidden;
      }
      // What a reader of the final document sees stays: the accepted insertion, the text the
      // comment was on, the header.
      for (const char* shown :
           {"We hold some of the information you asked for", "received in January",
            "This paragraph is visible", "Information Rights Team", "Northshire Police FOI"}) {
        EXPECT_NE(sidecar.find(shown), std::string::npos) << release << ": " << shown;
      }
    }
    std::map<std::string, std::set<std::string>> kinds;
    for (const auto& rec : AuditRecords(dir / out)) {
      if (rec["event"] != "document") continue;
      EXPECT_EQ(rec["kind"], "office");
      EXPECT_TRUE(rec["seconds"].contains("convert"));
      for (const auto& h : rec["hidden_content"]) kinds[rec["input"]].insert(h["kind"]);
    }
    for (const char* kind : {"tracked deletion", "tracked insertion", "comment", "hidden text",
                             "document property", "field code", "external link", "header"}) {
      EXPECT_TRUE(kinds["hidden-content.docx"].count(kind)) << "docx: " << kind;
    }
    for (const char* kind : {"tracked deletion", "comment", "hidden text", "hidden section",
                             "document property", "external link", "alt text", "header"}) {
      EXPECT_TRUE(kinds["hidden-content.odt"].count(kind)) << "odt: " << kind;
    }
    // The work folders LibreOffice used are gone.
    for (const auto& e : fs::recursive_directory_iterator(dir / out)) {
      EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
    }
  }
}

TEST(Office, HostilePackagesAreQuarantinedWithTheirReasonAndTheBatchCarriesOn) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  TempDir dir;
  fs::create_directories(dir / "in");
  for (const char* f : {"entity-bomb.docx", "entity-bomb-utf16.docx", "truncated.docx",
                        "hidden-content.docx", "insertion-declares-namespace.docx"}) {
    fs::copy_file(kOffice + f, dir / ("in/" + std::string(f)));
  }
  CommandResult r =
      Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --release-flagged");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_TRUE(fs::exists(dir / "out/release/hidden-content.pdf")) << r.out;
  const std::string bomb = ReadAll(dir / "out/quarantine/entity-bomb.docx.error.json");
  EXPECT_NE(bomb.find("declares a DTD"), std::string::npos) << bomb;
  const std::string utf16 = ReadAll(dir / "out/quarantine/entity-bomb-utf16.docx.error.json");
  EXPECT_NE(utf16.find("declares a DTD"), std::string::npos) << utf16;
  EXPECT_NE(PdfText(dir / "out/release/insertion-declares-namespace.pdf")
                .find("We hold some of the information"),
            std::string::npos)
      << r.out;
  const std::string cut = ReadAll(dir / "out/quarantine/truncated.docx.error.json");
  EXPECT_NE(cut.find("damaged"), std::string::npos) << cut;
  EXPECT_NE(cut.find("save it again"), std::string::npos) << cut;
}

TEST(Office, APartThatInflatesPastTheLimitIsRefusedBeforeItIsRead) {
  TempDir dir;
  OfficeLimits small;
  small.max_entry_bytes = 1 << 20;
  auto r = CleanOfficePackage(kOffice + "big-part.docx", dir / "clean.docx", small);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(r.status().message().find("zip bomb"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "clean.docx"));
  // Within the limits the same package cleans.
  auto ok = CleanOfficePackage(kOffice + "big-part.docx", dir / "clean.docx");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->format, OfficeFormat::kDocx);
}

// The parts of a package are the ones its relationships (DOCX) or manifest (OpenDocument) name,
// as a reader of the package finds them, never the ones at the usual names
// (tests/data/office/make_office_fixtures.py, relationships()).
TEST(Office, PartsAreFoundThroughTheRelationshipsAndWhatNothingNamesIsNeverPrinted) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  TempDir dir;
  fs::create_directories(dir / "in");
  for (const char* f :
       {"decoy-main.docx", "unused-part.docx", "altchunk.docx", "hidden-content.docx"}) {
    fs::copy_file(kOffice + f, dir / ("in/" + std::string(f)));
  }
  CommandResult r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") +
                           " --release-flagged --audit-text plain");
  EXPECT_EQ(r.exit_code, 2) << r.out;  // the altChunk
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> hidden;
  for (const auto& rec : AuditRecords(dir / "out")) {
    if (rec["event"] != "document" || !rec.contains("hidden_content")) continue;
    for (const auto& h : rec["hidden_content"]) {
      hidden[rec["input"]].emplace_back(h["kind"], h.value("text", ""));
    }
  }
  auto listed = [&](const std::string& input, const std::string& kind, const std::string& text) {
    for (const auto& [k, t] : hidden[input]) {
      if (k == kind && t.find(text) != std::string::npos) return true;
    }
    return false;
  };
  // The main document is word/real.xml: printed without its tracked deletion, which is listed;
  // the decoy word/document.xml beside it is neither printed nor taken for the document.
  const std::string decoy = dir / "out/release/decoy-main.pdf";
  ASSERT_TRUE(fs::exists(decoy)) << r.out;
  for (const std::string& text : {PdfText(decoy), ReadAll(dir / "out/release/decoy-main.txt")}) {
    EXPECT_EQ(text.find("Harrowgate"), std::string::npos) << text;
    EXPECT_EQ(text.find("decoy paragraph"), std::string::npos) << text;
    EXPECT_NE(text.find("We hold some of the information"), std::string::npos) << text;
  }
  EXPECT_TRUE(listed("decoy-main.docx", "tracked deletion", "Harrowgate depot"));
  EXPECT_TRUE(listed("decoy-main.docx", "unused part", "word/document.xml"));
  // A part nothing names is left out of what LibreOffice prints, and listed.
  const std::string unused = dir / "out/release/unused-part.pdf";
  ASSERT_TRUE(fs::exists(unused)) << r.out;
  EXPECT_EQ(PdfText(unused).find("Blackwood"), std::string::npos);
  EXPECT_NE(PdfText(unused).find("We hold some of the information"), std::string::npos);
  EXPECT_TRUE(listed("unused-part.docx", "unused part", "word/notes.xml: Sergeant Blackwood"));
  // An altChunk is content we cannot clean: the file is refused, naming it.
  EXPECT_FALSE(fs::exists(dir / "out/release/altchunk.pdf"));
  const std::string why = ReadAll(dir / "out/quarantine/altchunk.docx.error.json");
  EXPECT_NE(why.find("word/chunk.html"), std::string::npos) << why;
  EXPECT_NE(why.find("altChunk"), std::string::npos) << why;
  // An ordinary DOCX is released as before.
  EXPECT_NE(ReadAll(dir / "out/release/hidden-content.txt").find("Information Rights Team"),
            std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(dir / "out/release")) {
    if (!e.is_regular_file()) continue;
    const std::string bytes = ReadAll(e.path().string());
    EXPECT_EQ(bytes.find("Marsh Harrier"), std::string::npos) << e.path();
    EXPECT_EQ(bytes.find("Blackwood"), std::string::npos) << e.path();
  }
}

std::string Unzip(const std::string& zip, const std::string& part) {
  return RunCommand("unzip -p " + Quote(zip) + " " + Quote(part)).out;
}

bool HasPart(const std::string& zip, const std::string& part) {
  return RunCommand("unzip -l " + Quote(zip) + " " + Quote(part) + " >/dev/null 2>&1").exit_code ==
         0;
}

bool Lists(const CleanedPackage& p, const std::string& kind, const std::string& text) {
  for (const HiddenItem& h : p.hidden) {
    if (h.kind == kind && h.text.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(Office, TheCleanedCopyHoldsOnlyWhatTheRelationshipsReach) {
  TempDir dir;
  auto decoy = CleanOfficePackage(kOffice + "decoy-main.docx", dir / "decoy.docx");
  ASSERT_TRUE(decoy.ok()) << decoy.status().message();
  EXPECT_EQ(decoy->format, OfficeFormat::kDocx);
  EXPECT_FALSE(HasPart(dir / "decoy.docx", "word/document.xml"));
  const std::string real = Unzip(dir / "decoy.docx", "word/real.xml");
  EXPECT_EQ(real.find("Harrowgate"), std::string::npos) << real;
  EXPECT_NE(real.find("We hold some of the information"), std::string::npos) << real;
  EXPECT_NE(decoy->visible.find("We hold some"), std::string::npos);
  EXPECT_EQ(decoy->visible.find("decoy paragraph"), std::string::npos);
  EXPECT_TRUE(std::count(decoy->withheld.begin(), decoy->withheld.end(),
                         "The patrol plan names the Harrowgate depot."));
  auto unused = CleanOfficePackage(kOffice + "unused-part.docx", dir / "unused.docx");
  ASSERT_TRUE(unused.ok()) << unused.status().message();
  EXPECT_FALSE(HasPart(dir / "unused.docx", "word/notes.xml"));
  EXPECT_TRUE(HasPart(dir / "unused.docx", "word/document.xml"));
  EXPECT_TRUE(Lists(*unused, "unused part", "Blackwood"));
}

// Real files, as Word and LibreOffice write them: every part is reached through the
// relationships or listed in the manifest, so the cleaned copy keeps every part they hold.
TEST(Office, RealFilesKeepEveryPartTheyHold) {
  REQUIRE_SHARED();
  TempDir dir;
  int n = 0;
  for (const auto& e : fs::directory_iterator(SharedDir() + "/realdocs/office")) {
    const std::string ext = e.path().extension().string();
    if (ext != ".docx" && ext != ".odt") continue;
    SCOPED_TRACE(e.path().filename().string());
    const std::string out = dir / ("clean" + std::to_string(++n) + ext);
    auto cleaned = CleanOfficePackage(e.path().string(), out);
    ASSERT_TRUE(cleaned.ok()) << cleaned.status().message();
    EXPECT_NE(cleaned->format, OfficeFormat::kOtherZip);
    for (const HiddenItem& h : cleaned->hidden) EXPECT_NE(h.kind, "unused part") << h.text;
    auto names = [](const std::string& zip) {
      return RunCommand("zipinfo -1 " + Quote(zip) + " | sort").out;
    };
    EXPECT_EQ(names(out), names(e.path().string()));
    EXPECT_FALSE(cleaned->visible.empty());
  }
  EXPECT_GE(n, 3);
}

// An embedded DOCX or OpenDocument object is cleaned in turn, its findings listed under its
// name; an embedded object in a format we do not clean refuses the file, naming it.
TEST(Office, EmbeddedPackagesAreCleanedInTurnOrTheFileRefusedNamingThePart) {
  TempDir dir;
  auto docx = CleanOfficePackage(kOffice + "embedded-docx.docx", dir / "docx.docx");
  ASSERT_TRUE(docx.ok()) << docx.status().message();
  EXPECT_TRUE(Lists(*docx, "tracked deletion", "in word/embeddings/inner.docx: The inner draft"));
  EXPECT_TRUE(Lists(*docx, "embedded object", "word/embeddings/inner.docx"));
  WriteAll(dir / "inner.docx", Unzip(dir / "docx.docx", "word/embeddings/inner.docx"));
  const std::string inner = Unzip(dir / "inner.docx", "word/document.xml");
  EXPECT_EQ(inner.find("Wrenfield"), std::string::npos) << inner;
  EXPECT_NE(inner.find("We hold some of the information"), std::string::npos) << inner;

  auto odt = CleanOfficePackage(kOffice + "embedded-object.odt", dir / "odt.odt");
  ASSERT_TRUE(odt.ok()) << odt.status().message();
  EXPECT_EQ(odt->format, OfficeFormat::kOdfText);
  EXPECT_TRUE(Lists(*odt, "tracked deletion", "Wrenfield Lodge"));
  const std::string object = Unzip(dir / "odt.odt", "Object 1/content.xml");
  EXPECT_EQ(object.find("Wrenfield"), std::string::npos) << object;
  EXPECT_NE(object.find("Inner object text."), std::string::npos) << object;
  // Not in the manifest: left out, listed.
  EXPECT_FALSE(HasPart(dir / "odt.odt", "stray.xml"));
  EXPECT_TRUE(Lists(*odt, "unused part", "stray.xml: Sergeant Blackwood"));
  EXPECT_EQ(Unzip(dir / "odt.odt", "mimetype"), "application/vnd.oasis.opendocument.text");

  auto ole = CleanOfficePackage(kOffice + "embedded-ole.docx", dir / "ole.docx");
  ASSERT_FALSE(ole.ok());
  EXPECT_EQ(ole.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(ole.status().message().find("word/embeddings/oleObject1.bin"), std::string::npos)
      << ole.status().message();
  EXPECT_FALSE(fs::exists(dir / "ole.docx"));
}

// A LibreOffice that never finishes (a fake, for the fault) is stopped within the limit, the
// document quarantined saying so, and nothing of it left running or on disk.
TEST(Office, ALibreOfficeThatHangsIsStoppedAndTheDocumentQuarantined) {
  TempDir dir;
  fs::create_directories(dir / "in");
  fs::copy_file(kOffice + "hidden-content.docx", dir / "in/a.docx");
  WriteAll(dir / "soffice", "#!/bin/sh\nexec /bin/sleep 600\n");  // one process, as soffice.bin
  fs::permissions(dir / "soffice", fs::perms::owner_all);
  CommandResult r =
      RunCommand("REDACT_SOFFICE=" + Quote(dir / "soffice") + " " + Quote(kBin) + " batch " +
                 Quote(dir / "in") + " -o " + Quote(dir / "out") + " --timeout 4 2>&1");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  const std::string why = ReadAll(dir / "out/quarantine/a.docx.error.json");
  EXPECT_NE(why.find("LibreOffice took longer than"), std::string::npos) << why;
  EXPECT_EQ(RunCommand("pgrep -f '^/bin/sleep 600$'").exit_code, 1)
      << "the fake LibreOffice is still running";
  for (const auto& e : fs::recursive_directory_iterator(dir / "out")) {
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
  }
}

// The slot's LibreOffice serves one document after another without starting again, and a
// document whose worker did not come back gets the next one a fresh LibreOffice.
TEST(OfficeServer, OneLibreOfficeServesManyDocumentsAndAFailureGetsAFreshOne) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  TempDir dir;
  // As the pipeline gives it: cleaned (LibreOfficeKit refuses the raw fixture).
  const std::string docx = dir / "clean.docx", odt = dir / "clean.odt";
  for (const auto& [from, to] : {std::pair{kOffice + "hidden-content.docx", docx},
                                 std::pair{kOffice + "hidden-content.odt", odt}}) {
    auto cleaned = CleanOfficePackage(from, to);
    ASSERT_TRUE(cleaned.ok()) << cleaned.status().message();
  }
  pid_t first = 0;
  std::string folder;
  {
    OfficePool pool(1, 0, kBin, dir / "work");
    OfficeServerHandle server = pool.Acquire();
    ASSERT_TRUE(server.valid());
    first = server.pid;
    folder = fs::path(server.socket).parent_path().string();
    for (const char* stem : {"one", "two"}) {
      auto pdf = ConvertOnServer(server, {docx, dir.path(), stem, "pdf"}, 120);
      ASSERT_TRUE(pdf.ok()) << pdf.status().message();
      EXPECT_EQ(*pdf, dir / (std::string(stem) + ".pdf"));
      const std::string text = RunCommand("pdftotext " + Quote(*pdf) + " -").out;
      EXPECT_NE(text.find("We hold some of the information"), std::string::npos) << text;
    }
    // OpenDocument of the document's own kind, for formats the cleaner reads only as ODF.
    OfficeRequest to_odf{docx, dir.path(), "three", "odf"};
    auto as_odf = ConvertOnServer(server, to_odf, 120);
    ASSERT_TRUE(as_odf.ok()) << as_odf.status().message();
    EXPECT_EQ(fs::path(*as_odf).extension(), ".odt");
    pool.Release(server, /*healthy=*/true);
    OfficeServerHandle again = pool.Acquire();
    EXPECT_EQ(again.pid, first) << "started again for the second document";
    pool.Release(again, /*healthy=*/false);
    EXPECT_NE(::kill(first, 0), 0) << "a server whose document failed is still running";
    OfficeServerHandle fresh = pool.Acquire();
    ASSERT_TRUE(fresh.valid());
    EXPECT_NE(fresh.pid, first);
    auto pdf = ConvertOnServer(fresh, {odt, dir.path(), "four", "pdf"}, 120);
    EXPECT_TRUE(pdf.ok()) << pdf.status().message();
    pool.Release(fresh, true);
    first = fresh.pid;
  }
  EXPECT_NE(::kill(first, 0), 0) << "the pool left its LibreOffice running";
  EXPECT_FALSE(fs::exists(folder));
}

// A LibreOffice that hangs on a document (a fault injected into the server) costs that
// document alone: it is quarantined saying so, the others are released, nothing is left
// running. One that crashes under a document, or cannot start at all, leaves the document to
// a LibreOffice of its own, which converts it.
TEST(OfficeServer, AHangOrACrashCostsOneDocumentAndOneThatCannotStartIsDoneWithout) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  for (const std::string fault : {"hang", "crash", "no-start"}) {
    SCOPED_TRACE(fault);
    TempDir dir;
    fs::create_directories(dir / "in");
    fs::copy_file(kOffice + "hidden-content.docx", dir / "in/a.docx");
    WriteAll(dir / "in/b.txt", "Contact Dr Jane Smith on 01632 960123.\n");
    fs::create_directories(dir / "tmp");  // where the servers' folders go, to look for them
    CommandResult r =
        RunCommand("TMPDIR=" + Quote(dir / "tmp") + " REDACT_OFFICE_SERVER_FAULT=" + fault + " " +
                   Quote(kBin) + " batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") +
                   " --jobs 1 --timeout " + (fault == "hang" ? "12" : "120") + " --no-report 2>&1");
    // A hang is found by the timeout; a crash or no start leaves the document to a
    // LibreOffice started cold, which a loaded machine may take long to start: no deadline
    // there a slow run could miss.
    EXPECT_TRUE(fs::exists(dir / "out/release/b.txt")) << r.out;
    if (fault == "hang") {
      EXPECT_EQ(r.exit_code, 2) << r.out;
      const std::string why = ReadAll(dir / "out/quarantine/a.docx.error.json");
      EXPECT_NE(why.find("LibreOffice took longer than"), std::string::npos) << why;
    } else {
      // Not yet the document's fault: a LibreOffice of its own converts it.
      EXPECT_EQ(r.exit_code, 0) << r.out;
      EXPECT_TRUE(fs::exists(dir / "out/release/a.pdf")) << r.out;
    }
    EXPECT_EQ(RunCommand("pgrep -f " + Quote("[_]_office-server " + dir / "tmp")).exit_code, 1)
        << "a LibreOffice server is still running";
    EXPECT_TRUE(fs::is_empty(dir / "tmp"));
    for (const auto& e : fs::recursive_directory_iterator(dir / "out")) {
      EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << e.path();
    }
  }
}

}  // namespace
}  // namespace redact
