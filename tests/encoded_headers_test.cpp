// Mail headers pasted into a text draft, and messages whose headers are malformed, through the
// real binary: RFC 2047 encoded words are decoded by GMime however they are cut (no padding,
// a character split between two words), a decoded header never starts a line of its own, a
// header that cannot be decoded quarantines the document, and the headers a reader does not
// see never reach a release.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "pipeline/extract/email.h"
#include "pipeline/extract/encoded_text.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;
namespace fs = std::filesystem;

bool LibreOfficeInstalled() { return fs::exists("/usr/lib/libreoffice/program/soffice.bin"); }

// Runs `redact batch` on one input named `name` holding `content`; the run's folder.
struct DraftRun {
  TempDir dir;
  CommandResult result;
  std::string release;  // the released text, empty if none
  DraftRun(const std::string& name, const std::string& content) {
    WriteAll(dir / ("in/" + name), content);
    result = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") +
                    " --release-flagged -q");
    const std::string txt = dir / ("out/release/" + fs::path(name).stem().string() + ".txt");
    if (fs::exists(txt)) release = ReadAll(txt);
  }
  std::string Quarantine(const std::string& name) {
    const std::string path = dir / ("out/quarantine/" + name + ".error.json");
    return fs::exists(path) ? ReadAll(path) : std::string();
  }
};

// A text draft that quotes a message: the words are decoded and what they say redacted; the
// encoded form never reaches the release.
TEST(EncodedHeaders, WordsInATextDraftAreDecodedHoweverTheyAreCut) {
  struct Case {
    const char* what;
    const char* header;
  };
  const Case cases[] = {
      // "Zoë Harper-Whitley" in base64 without its "==": GMime alone drops the last "y".
      {"unpadded base64", "From: =?UTF-8?B?Wm/DqyBIYXJwZXItV2hpdGxleQ?= <zoe@example.org>\n"},
      // Her "ë" (C3 AB) split between two words, in each encoding.
      {"split in Q", "From: =?UTF-8?Q?Zo=C3?= =?UTF-8?Q?=AB_Harper-Whitley?= <zoe@example.org>\n"},
      {"split in B",
       "From: =?UTF-8?B?Wm/D?=\n =?UTF-8?B?qyBIYXJwZXItV2hpdGxleQ==?= "
       "<zoe@example.org>\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    // The Subject says "Call me on 07700 900456 after six".
    DraftRun run("draft.txt",
                 std::string("Dear colleague,\n\nThe message below came in on Monday.\n\n") +
                     c.header +
                     "Subject: =?UTF-8?B?Q2FsbCBtZSBvbiAwNzcwMCA5MDA0NTYgYWZ0ZXIgc2l4?=\n"
                     "Date: Mon, 05 Jan 2026 09:00:00 +0000\n\nPlease advise.\n");
    ASSERT_EQ(run.result.exit_code, 0) << run.result.out;
    ASSERT_FALSE(run.release.empty()) << run.result.out;
    for (const char* leak : {"Zo", "Harper", "Whitley", "Whitle", "07700", "900456", "=?", "Wm/D",
                             "qyBIYXJw", "Q2FsbCBt", "\xEF\xBF\xBD"}) {
      EXPECT_EQ(run.release.find(leak), std::string::npos) << leak << "\n" << run.release;
    }
    EXPECT_NE(run.release.find("From: [REDACTED"), std::string::npos) << run.release;
    EXPECT_NE(run.release.find("Subject: Call me on [REDACTED"), std::string::npos) << run.release;
    EXPECT_NE(run.release.find("after six"), std::string::npos) << run.release;
  }
}

// A Subject whose decoded text holds a line break: it stays on the Subject's line, so the
// release never shows a "Bcc:" header the message did not have.
TEST(EncodedHeaders, ADecodedLineBreakNeverStartsAHeaderOfItsOwn) {
  // "Meeting notes\r\nBcc: x@example.org"
  DraftRun run(
      "draft.txt",
      "Forwarded for the file:\n\nFrom: Press Office <press@example.org>\n"
      "Subject: =?UTF-8?B?TWVldGluZyBub3Rlcw0KQmNjOiB4QGV4YW1wbGUub3Jn?=\n\nNotes attached.\n");
  ASSERT_EQ(run.result.exit_code, 0) << run.result.out;
  ASSERT_FALSE(run.release.empty()) << run.result.out;
  EXPECT_FALSE(std::regex_search(run.release, std::regex("(^|[\r\n])\\s*Bcc:"))) << run.release;
  for (const char* line_break : {"\r", "\u2028", "\u2029", "\u0085"}) {
    EXPECT_EQ(run.release.find(line_break), std::string::npos) << run.release;
  }
  EXPECT_NE(run.release.find("Subject: Meeting notes  Bcc: "), std::string::npos) << run.release;
  // And decoded alone, every kind of line break becomes a space.
  auto decoded = DecodeHeaderValue("=?UTF-8?Q?a=0Db=0Ac=E2=80=A8d=E2=80=A9e=C2=85f=0Bg?=");
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_EQ(*decoded, "a b c d e f g");
}

// A header whose words cannot be decoded quarantines the draft, the error naming the header
// and why; nothing of it is released.
TEST(EncodedHeaders, AHeaderThatCannotBeDecodedQuarantinesTheDocument) {
  struct Case {
    const char* header;
    const char* reason;
  };
  const Case cases[] = {
      {"Subject: =?x-no-such-charset?B?SGVscGRlc2sgMDc3MDAgOTAwNDU2?=\n",
       "the header \\\"Subject\\\" cannot be decoded"},
      {"Subject: =?UTF-8?B?//79?=\n", "are not UTF-8 text"},
      {"From: =?UTF-8?B?Wm/Dqy*BIYXJw?= <zoe@example.org>\n", "is not base64"},
      {"Cc: =?UTF-8?X?Zoe?=\n", "neither B (base64) nor Q"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    DraftRun run("draft.txt", std::string("Note for the file.\n\n") + c.header + "\nText.\n");
    EXPECT_EQ(run.result.exit_code, 2) << run.result.out;
    EXPECT_TRUE(run.release.empty()) << run.release;
    const std::string error = run.Quarantine("draft.txt");
    EXPECT_NE(error.find(c.reason), std::string::npos) << error;
  }
  const std::string error =
      DraftRun("draft.txt", std::string("Note.\n\n") + cases[0].header).Quarantine("draft.txt");
  EXPECT_NE(error.find("x-no-such-charset"), std::string::npos) << error;
}

// A forwarded message whose part's Content-Type is malformed (GMime takes it for bytes, or for
// a message with no headers when a blank line too many comes first) is still read as a
// message: what its reader sees is released, its routing headers never are.
TEST(EncodedHeaders, AForwardedMessageWithAMalformedContentTypeKeepsItsHeadersHidden) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  const std::string inner =
      "Received: from mail01.corp.northshire.local (mail01 [10.20.30.40])\n"
      "\tby gw.example.org; Mon, 05 Jan 2026 09:00:00 +0000\n"
      "Return-Path: <alice@northshire.local>\nX-Originating-IP: [192.168.77.12]\n"
      "X-Mailer: Internal Mailer 7\nMessage-ID: <abc123@mail01.corp.northshire.local>\n"
      "From: Press Office <press@example.org>\nTo: FOI <foi@example.org>\n"
      "Subject: the original\nDate: Mon, 05 Jan 2026 08:00:00 +0000\n\nThe original text.\n";
  const std::string outer =
      "From: FOI Team <foi@example.org>\nTo: Records <records@example.org>\nSubject: fwd\n"
      "Date: Tue, 06 Jan 2026 10:00:00 +0000\nMIME-Version: 1.0\n";
  TempDir dir;
  int n = 0;
  for (const char* type :
       {"message", "message/", ";;;", "message / rfc822", "message/rfc822; name=\"fwd.eml"}) {
    for (const char* blank : {"", "\n"}) {
      const std::string part = std::string("Content-Type: ") + type + "\n\n" + blank + inner;
      WriteAll(dir / ("in/part-" + std::to_string(n) + ".eml"),
               outer +
                   "Content-Type: multipart/mixed; boundary=BB\n\n--BB\n"
                   "Content-Type: text/plain\n\nSee below.\n--BB\n" +
                   part + "\n--BB--\n");
      WriteAll(dir / ("in/whole-" + std::to_string(n) + ".eml"), outer + part);
      ++n;
    }
  }
  CommandResult r =
      Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --release-flagged -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  int originals = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir / "out/release")) {
    if (e.path().extension() != ".txt") continue;
    const std::string text = ReadAll(e.path().string());
    for (const char* hidden : {"Received", "Return-Path", "X-Originating-IP", "X-Mailer",
                               "Message-ID", "mail01", "gw.example.org", "Internal Mailer"}) {
      EXPECT_EQ(text.find(hidden), std::string::npos) << hidden << " in " << e.path() << "\n"
                                                      << text;
    }
    EXPECT_FALSE(std::regex_search(text, std::regex("(^|\n)X-"))) << e.path() << "\n" << text;
    if (text.find("The original text.") != std::string::npos) {
      ++originals;
      EXPECT_NE(text.find("Subject: the original"), std::string::npos) << e.path() << "\n" << text;
    }
  }
  EXPECT_EQ(originals, 2 * n);  // each forwarded message released, as a message
}

// In an .eml, the headers shown are decoded the same way: on one line, and a header that
// cannot be decoded quarantines the message rather than show it encoded.
TEST(EncodedHeaders, AMessagesShownHeadersAreDecodedOnOneLineOrQuarantined) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  TempDir dir;
  const std::string head =
      "To: Records <records@example.org>\nDate: Tue, 06 Jan 2026 10:00:00 "
      "+0000\nMIME-Version: 1.0\n";
  WriteAll(dir / "in/bcc.eml",
           head +
               "From: =?UTF-8?B?Wm/DqyBIYXJwZXItV2hpdGxleQ?= <zoe@example.org>\n"
               "Subject: =?UTF-8?B?TWVldGluZyBub3Rlcw0KQmNjOiB4QGV4YW1wbGUub3Jn?=\n\nNotes.\n");
  WriteAll(dir / "in/bad.eml", head +
                                   "From: a@example.org\n"
                                   "Subject: =?x-no-such-charset?B?SGVsbG8=?=\n\nText.\n");
  CommandResult r =
      Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --release-flagged -q");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  const std::string text = ReadAll(dir / "out/release/bcc.txt");
  ASSERT_FALSE(text.empty()) << r.out;
  EXPECT_FALSE(std::regex_search(text, std::regex("(^|\n)\\s*Bcc:"))) << text;
  EXPECT_NE(text.find("Meeting notes"), std::string::npos) << text;
  for (const char* leak : {"Zo", "Harper", "Whitley", "=?", "Wm/D"}) {
    EXPECT_EQ(text.find(leak), std::string::npos) << leak << "\n" << text;
  }
  EXPECT_FALSE(fs::exists(dir / "out/release/bad.txt"));
  const std::string error = ReadAll(dir / "out/quarantine/bad.eml.error.json");
  EXPECT_NE(error.find("the header \\\"Subject\\\" cannot be decoded"), std::string::npos) << error;
}

}  // namespace
}  // namespace redact
