// Office drafts (DOCX, ODT) through the whole pipeline: what the final document hides never
// reaches a release and is listed in the audit; hostile packages are quarantined with a reason.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
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
                   " --jobs 1 --timeout 12 --no-report 2>&1");
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
