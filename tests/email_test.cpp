// E-mail (.eml) through the whole pipeline: the message released as its reader sees it, the
// headers a reader does not see listed in the audit, every attachment a document of its own.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>

#include "pipeline/extract/email.h"
#include "pipeline/extract/text_printout.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;
namespace fs = std::filesystem;

bool LibreOfficeInstalled() { return fs::exists("/usr/lib/libreoffice/program/soffice.bin"); }

TEST(Email, AMessageReleasesAsItsReaderSeesItAndEachAttachmentOnItsOwn) {
  TempDir dir;
  fs::create_directories(dir / "in");
  fs::copy_file(kSourceDir + "/tests/data/email/with-attachments.eml", dir / "in/reply.eml");
  CommandResult r =
      Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --release-flagged");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string release = dir / "out/release/reply.pdf";
  ASSERT_TRUE(fs::exists(release)) << r.out;
  const std::string text = ReadAll(dir / "out/release/reply.txt");
  const std::string pdf = PdfText(release);
  // What a reader sees: the shown headers, the body decoded from quoted-printable Latin-1 (the
  // HTML alternative shown as its text), the list of attachments.
  for (const char* shown : {"Subject: Your request FOI-2026-0042", "Date: Tue, 06 Jan 2026",
                            "caf\u00e9 network", "Yours sincerely", "notes.txt"}) {
    EXPECT_NE(text.find(shown), std::string::npos) << shown << "\n" << text;
    EXPECT_NE(pdf.find(shown), std::string::npos) << shown << "\n" << pdf;
  }
  EXPECT_NE(text.find("[REDACTED s.23(1)] on this"), std::string::npos) << text;
  // What it does not: internal routing, encodings, markup, the remote image.
  for (const char* hidden :
       {"mail01.corp", "10.20.30.40", "192.168.77.12", "=E9", "=\n", "Content-Transfer-Encoding",
        "<p>", "alert(1)", "tracker.example", "GCHQ", "MIME-Version"}) {
    EXPECT_EQ(text.find(hidden), std::string::npos) << hidden;
    EXPECT_EQ(pdf.find(hidden), std::string::npos) << hidden;
  }
  EXPECT_FALSE(std::regex_search(text, std::regex("[A-Za-z0-9+/]{60,}")))
      << "a base64 line in the release:\n"
      << text;
  // Each attachment released on its own, under the message's name.
  const std::string att = dir / "out/release/reply.attachments/";
  EXPECT_NE(ReadAll(att + "notes.txt").find("managed by [REDACTED s.23(1)] staff"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(att + "draft response.pdf")) << r.out;
  EXPECT_TRUE(fs::exists(att + "Background for the reply.pdf")) << r.out;
  EXPECT_EQ(PdfText(att + "Background for the reply.pdf").find("MI5"), std::string::npos);
  // The audit links each to its message and says what became of it.
  std::map<std::string, nlohmann::json> docs;
  for (const auto& rec : AuditRecords(dir / "out")) {
    if (rec["event"] == "document") docs[rec["input"]] = rec;
  }
  ASSERT_TRUE(docs.count("reply.eml"));
  const auto& message = docs["reply.eml"];
  EXPECT_EQ(message["kind"], "email");
  ASSERT_EQ(message["attachments"].size(), 3u) << message.dump(2);
  for (const auto& a : message["attachments"]) {
    EXPECT_EQ(a["status"], "released") << a.dump();
    ASSERT_TRUE(docs.count(a["input"])) << a["input"];
    EXPECT_EQ(docs[a["input"]]["parent"], "reply.eml");
  }
  std::string received;
  for (const auto& h : message["hidden_content"]) {
    if (h["kind"] == "mail header" && h["text"].get<std::string>().rfind("Received:", 0) == 0) {
      received = h["text"];
    }
  }
  EXPECT_NE(received.find("mail01.corp.northshire.local"), std::string::npos) << message.dump(2);
  EXPECT_TRUE(docs.count("reply.eml.attachments/Background for the reply.eml"));
}

// An attachment named "../../etc/passwd" lands inside the attachments folder as "passwd";
// multiparts nested past the limit are refused, not followed. (The message's From and To are
// encoded words that cannot be decoded, which quarantines it: read with them taken out.)
TEST(Email, AttachmentNamesStayInTheirFolderAndDeepNestingIsRefused) {
  TempDir dir;
  const std::string bad = kSourceDir + "/tests/data/fuzz/email/bad-headers.eml";
  auto refused = ReadEmailMessage(bad, dir / "x");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("the header \"From\" cannot be decoded"),
            std::string::npos)
      << refused.status().message();
  std::string message = ReadAll(bad);
  message.replace(0, message.find("Subject:"), "From: a@b\nTo: c@d\n");
  WriteAll(dir / "plain-headers.eml", message);
  auto mail = ReadEmailMessage(dir / "plain-headers.eml", dir / "a");
  ASSERT_TRUE(mail.ok()) << mail.status().message();
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].name, "passwd");
  EXPECT_EQ(fs::path(mail->attachments[0].path).parent_path(), fs::path(dir / "a"));
  auto deep = ReadEmailMessage(kSourceDir + "/tests/data/fuzz/email/deep-nesting.eml", dir / "b");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(deep.status().message().find("nests them more than 20 deep"), std::string::npos);
}

// A body that looks like markup is printed as the characters it is: the text is typeset as
// text, never handed to a program that could take it for RTF or HTML.
TEST(Email, ABodyThatLooksLikeMarkupIsPrintedAsItsCharacters) {
  TempDir dir;
  WriteAll(dir / "in/m.eml",
           "From: A <a@example.org>\nTo: B <b@example.org>\nSubject: markup\n"
           "Date: Mon, 05 Jan 2026 09:00:00 +0000\n\n{\\rtf1\\ansi Hidden RTF word}\n"
           "<html><body>Tag soup &amp; more</body></html>\n");
  CommandResult r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " -q");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string text = RunCommand("pdftotext " + Quote(dir / "out/release/m.pdf") + " -").out;
  EXPECT_NE(text.find("{\\rtf1\\ansi Hidden RTF word}"), std::string::npos) << text;
  EXPECT_NE(text.find("<html><body>Tag soup &amp; more</body></html>"), std::string::npos) << text;
}

// The typeset printout of a message holds every word of its text, in order, and nothing else:
// a line longer than the page wraps between words, a URL longer than a line is broken between
// characters with no hyphen added, other scripts come from whatever font has them, tabs and
// runs of spaces stay, control characters are left out, and a long message runs onto more
// pages, every line inside the page.
TEST(Email, TheTypesetPrintoutHoldsEveryWordOfTheMessage) {
  TempDir dir;
  const std::string url =
      "https://intranet.example.org/foi/requests/2026/0042/attachments/"
      "a-very-long-path-that-no-line-of-eighty-characters-could-ever-hold/final.pdf";
  std::string text =
      "From: Jane Smith <jane.smith@example.org>\nSubject: Your request\n\n"
      "Dear requester,\tthank   you.\x01\x1b\r\n";
  std::vector<std::string> words = {"From:",      "Jane",  "Smith",   "<jane.smith@example.org>",
                                    "Subject:",   "Your",  "request", "Dear",
                                    "requester,", "thank", "you."};
  std::string long_line;
  for (int i = 0; i < 60; ++i) {
    const std::string w = "word" + std::to_string(i);
    long_line += w + " ";
    words.push_back(w);
  }
  text += long_line + "\n" + url + "\n";
  words.push_back(url);
  // Other scripts, whatever fonts the machine has: drawn from a font that has them, or as a
  // missing-glyph box that still reads as the character. A C1 control character is left out.
  const std::string rtl = "\u0645\u0631\u062d\u0628\u0627";
  for (const std::string& sample : std::vector<std::string>{
           "\u039a\u03b1\u03bb\u03b7\u03bc\u03ad\u03c1\u03b1",
           "\u041f\u0440\u0438\u0432\u0435\u0442", rtl, "\u4e2d\u6587\u5b57", "\U0001F972"}) {
    text += sample + "\u0096\n";
    words.push_back(sample);
  }
  for (int i = 0; i < 250; ++i) {
    text += "line" + std::to_string(i) + "\n";
    words.push_back("line" + std::to_string(i));
  }
  const std::string pdf = dir / "message.pdf";
  ASSERT_TRUE(PrintTextToPdf(text, pdf).ok());
  CommandResult out = RunCommand("pdftotext " + Quote(pdf) + " -");
  ASSERT_EQ(out.exit_code, 0);
  // Right-to-left text comes out between embedding marks (U+202B ... U+202C).
  for (const std::string mark : {"\u202b", "\u202c"}) {
    for (size_t m = out.out.find(mark); m != std::string::npos; m = out.out.find(mark, m)) {
      out.out.erase(m, mark.size());
    }
  }
  // Every word in order; the URL read across its line breaks, and the right-to-left word as
  // its letters in order (Poppler may put a space in it where its glyphs change font).
  std::string joined, squeezed;
  for (char c : out.out) {
    if (c != '\n' && c != '\f') joined += c;
    if (c != '\n' && c != '\f' && c != ' ') squeezed += c;
  }
  size_t at = 0;
  for (const std::string& w : words) {
    if (w == url || w == rtl) {
      EXPECT_NE((w == url ? joined : squeezed).find(w), std::string::npos) << w << "\n" << out.out;
      continue;
    }
    const size_t found = out.out.find(w, at);
    ASSERT_NE(found, std::string::npos) << w << "\n" << out.out;
    at = found + w.size();
  }
  EXPECT_EQ(out.out.find("\x01"), std::string::npos);
  EXPECT_EQ(out.out.find("\u0096"), std::string::npos);
  EXPECT_EQ(out.out.find("-\n"), std::string::npos) << "a hyphen where a word was broken";
  // The long line wrapped: no printed line is wider than the page's text area (2 cm margins).
  CommandResult info = RunCommand("pdfinfo " + Quote(pdf));
  std::smatch pages;
  ASSERT_TRUE(std::regex_search(info.out, pages, std::regex("Pages:\\s+([0-9]+)"))) << info.out;
  EXPECT_GE(std::stoi(pages[1]), 3) << info.out;
  EXPECT_NE(info.out.find("612 x 792 pts (letter)"), std::string::npos) << info.out;
  CommandResult boxes = RunCommand("pdftotext -bbox " + Quote(pdf) + " -");
  const std::regex word_box("xMin=\"([0-9.]+)\" yMin=\"[0-9.]+\" xMax=\"([0-9.]+)\"");
  int seen = 0;
  for (std::sregex_iterator m(boxes.out.begin(), boxes.out.end(), word_box), end; m != end;
       ++m, ++seen) {
    EXPECT_GE(std::stod((*m)[1]), 56.0) << (*m)[0];
    EXPECT_LE(std::stod((*m)[2]), 612 - 56.0) << (*m)[0];
  }
  EXPECT_GT(seen, 200);
}

// A file uuencoded into a plain-text body (as old clients sent them) comes out as an
// attachment, decoded; its encoded lines are never body text.
TEST(Email, AUuencodedBlockInTheBodyBecomesTheFileItEncodes) {
  TempDir dir;
  auto mail = ReadEmailMessage(kSourceDir + "/tests/data/email/uuencoded.eml", dir / "a");
  ASSERT_TRUE(mail.ok()) << mail.status().message();
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].name, "minutes.txt");
  EXPECT_EQ(ReadAll(mail->attachments[0].path),
            "Minutes of the security meeting: the VPN concentrator vpn-gw2.corp.northshire.local "
            "is to be replaced; contact Dr Jane Smith on 01632 960123.\n");
  EXPECT_NE(mail->text.find("The minutes you asked for are attached below."), std::string::npos);
  EXPECT_NE(mail->text.find("Yours sincerely,"), std::string::npos) << mail->text;
  EXPECT_EQ(mail->text.find("begin 644"), std::string::npos) << mail->text;
  EXPECT_EQ(mail->text.find("M36EN"), std::string::npos) << mail->text;
}

// Real messages of a UK FOI portal's test suite, one of each trouble (odd and wrong charsets,
// broken multipart, TNEF, uuencode, nested and forwarded messages, header dumps): each is
// released or quarantined with a reason, and no release holds an encoded body. (All 69 are
// swept by scripts/email_sweep.sh; each costs a LibreOffice start, too slow for the suite.)
TEST(Email, RealMessagesAreReleasedOrQuarantinedWithAReason) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  const std::string shared = SharedDir();
  if (shared.empty()) GTEST_SKIP() << "../shared is absent";
  TempDir dir;
  fs::create_directories(dir / "in");
  const std::set<std::string> inputs = {"incoming-request-tnef-attachments.eml",
                                        "inline-uuencode.eml",
                                        "simple-uuencoded-attachment.eml",
                                        "incoming-request-bad-uuencoding.eml",
                                        "multipart-no-final-boundary.eml",
                                        "nested-attachments-premature-end.eml",
                                        "rfc822-attachment.eml",
                                        "iso8859_2_raw_email.eml",
                                        "utf-7-subject.eml",
                                        "humberside-police-odd-mime-type.eml",
                                        "track-response-webshield-bounce.eml",
                                        "no-part-charset-random-data.eml"};
  for (const std::string& f : inputs) {
    fs::copy_file(shared + "/realdocs/email/" + f, dir / ("in/" + f));
  }
  CommandResult r =
      Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --release-flagged -q");
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 2) << r.out;
  std::set<std::string> messages;
  for (const auto& rec : AuditRecords(dir / "out")) {
    if (rec["event"] != "document") continue;
    const std::string status = rec["status"];
    EXPECT_TRUE(status == "released" || status == "quarantined") << rec["input"] << " " << status;
    if (status == "quarantined") {
      EXPECT_FALSE(rec["error"].get<std::string>().empty()) << rec["input"];
      EXPECT_FALSE(rec["hint"].get<std::string>().empty()) << rec["input"] << ": " << rec["error"];
    }
    if (!rec.contains("parent")) {
      messages.insert(rec["input"]);
      // A uuencoded file is an attachment, as a client shows it.
      if (rec["input"].get<std::string>().find("uuencod") != std::string::npos) {
        EXPECT_TRUE(rec.contains("attachments")) << rec["input"];
      }
      EXPECT_EQ(status, "released") << rec["input"] << ": " << rec.value("error", "");
    }
  }
  EXPECT_EQ(messages, inputs);
  // An encoded body is several lines of base64 in a row (a lone opaque header token is not).
  const std::regex base64_body("(^|\n)([A-Za-z0-9+/]{60,}={0,2}\r?\n){3,}");
  // A uuencoded block: its "begin" line, or full lines of 45 bytes ("M" and 60 characters).
  const std::regex uuencoded("(^|\n)(begin [0-7]{3,4} |(M[ -`]{60}\r?\n){2,})");
  for (const auto& e : fs::recursive_directory_iterator(dir / "out/release")) {
    if (e.path().extension() != ".txt") continue;
    const std::string text = ReadAll(e.path().string());
    EXPECT_FALSE(std::regex_search(text, base64_body)) << e.path();
    EXPECT_FALSE(std::regex_search(text, uuencoded)) << e.path();
    if (e.path().parent_path() == fs::path(dir / "out/release")) {  // a message, not an attachment
      EXPECT_EQ(text.find("Content-Transfer-Encoding:"), std::string::npos) << e.path();
    }
  }
}

}  // namespace
}  // namespace redact
