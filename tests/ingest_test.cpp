#include "pipeline/ingest/ingest.h"

#include <gtest/gtest.h>

#include "pipeline/core/hash.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::TempDir;
using testing::WriteAll;

struct SniffCase {
  std::string name;
  std::string head;
  bool known;
  SourceKind kind;
};

TEST(SniffKind, ByFirstBytesNotName) {
  const std::vector<SniffCase> cases = {
      {"pdf", "%PDF-1.7\n...", true, SourceKind::kPdf},
      {"pdf after junk", std::string(200, 'x') + "%PDF-1.4", true, SourceKind::kPdf},
      {"png", "\x89PNG\r\n\x1a\nrest", true, SourceKind::kPng},
      {"jpeg", "\xFF\xD8\xFF\xE0rest", true, SourceKind::kJpeg},
      {"tiff le", std::string("II*\0rest", 8), true, SourceKind::kTiff},
      {"tiff be", std::string("MM\0*rest", 8), true, SourceKind::kTiff},
      {"utf8 text", "Caf\xC3\xA9 response\n", true, SourceKind::kText},
      {"latin-1 text", "Caf\xE9 response\n", false, SourceKind::kText},
      {"binary", std::string("\x01\x02\x00\x7f\xfe", 5), false, SourceKind::kText},
      {"docx",
       std::string("PK\x03\x04", 4) + std::string(22, '\0') + std::string("\x13\0\0\0", 4) +
           "[Content_Types].xml",
       true, SourceKind::kOffice},
      {"odt",
       std::string("PK\x03\x04", 4) + std::string(22, '\0') + std::string("\x08\0\0\0", 4) +
           "mimetype",
       true, SourceKind::kOffice},
      {"other zip",
       std::string("PK\x03\x04", 4) + std::string(22, '\0') + std::string("\x07\0\0\0", 4) +
           "photo.j",
       false, SourceKind::kText},
      {"doc (ole2)", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", true, SourceKind::kOffice},
      {"msg (ole2 with mapi streams)",
       "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + std::string("_\0_\0s\0u\0b\0s\0t\0g\0", 16), true,
       SourceKind::kOutlookMessage},
      {"rtf", "{\\rtf1\\ansi text}", true, SourceKind::kOffice},
      {"eml", "Received: from a by b\nFrom: x@y.example\nSubject: hi\n\nbody\n", true,
       SourceKind::kEmail},
      {"mbox message", "From x@y Fri Jun 17 2016\nFrom: x@y\nTo: z@w\n\nbody\n", true,
       SourceKind::kEmail},
      // One header-like line is text: a note that starts "Subject: ..." is no message.
      {"one header line", "Subject: the e-mail\n\nsent to GCHQ\n", true, SourceKind::kText},
      {"prose with a colon", "Dear Sir: thank you\nFrom: me\n", true, SourceKind::kText},
  };
  for (const SniffCase& c : cases) {
    SourceKind kind = SourceKind::kText;
    EXPECT_EQ(SniffKind(c.head, true, &kind), c.known) << c.name;
    if (c.known) {
      EXPECT_EQ(kind, c.kind) << c.name;
    }
  }
}

TEST(SniffKind, TextCutMidCharacterIsStillText) {
  // A 1 MiB read can end inside a multi-byte character.
  std::string head = "r\xC3\xA9sum\xC3";
  SourceKind kind;
  EXPECT_TRUE(SniffKind(head, false, &kind));
  EXPECT_FALSE(SniffKind(head, true, &kind));
}

TEST(IngestFile, HashesAndClassifies) {
  TempDir dir;
  WriteAll(dir / "a.txt", "hello world\n");
  auto src = IngestFile(dir / "a.txt", "a.txt");
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ(src->kind, SourceKind::kText);
  EXPECT_EQ(src->sha256, Sha256Hex("hello world\n"));
  EXPECT_EQ(src->size, 12u);
}

TEST(IngestFile, Failures) {
  TempDir dir;
  WriteAll(dir / "empty.pdf", "");
  WriteAll(dir / "random.pdf", std::string("\x00\x01\x02\xff\xfe\x80", 6));
  WriteAll(dir / "truncated.pdf", "%PDF-1.4\n1 0 obj << /Type /Catalog >>\n");
  struct Case {
    std::string file;
    Status::Code code;
    std::string message_part;
  };
  for (const Case& c : std::vector<Case>{
           {"empty.pdf", Status::Code::kInvalidInput, "empty"},
           {"random.pdf", Status::Code::kUnsupported, "unsupported kind"},
           {"truncated.pdf", Status::Code::kInvalidInput, "truncated"},
           {"missing.pdf", Status::Code::kInvalidInput, "not a regular file"},
       }) {
    auto src = IngestFile(dir / c.file, c.file);
    ASSERT_FALSE(src.ok()) << c.file;
    EXPECT_EQ(src.status().code(), c.code) << c.file;
    EXPECT_NE(src.status().message().find(c.message_part), std::string::npos)
        << c.file << ": " << src.status().message();
    EXPECT_FALSE(src.status().hint().empty()) << c.file;
  }
}

TEST(IngestFile, AnImageNamedPdfIsAnImage) {
  TempDir dir;
  WriteAll(dir / "image.pdf", "\x89PNG\r\n\x1a\n0000");
  auto src = IngestFile(dir / "image.pdf", "image.pdf");
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  EXPECT_EQ(src->kind, SourceKind::kPng);
}

TEST(IngestFile, RefusesOversizedFiles) {
  TempDir dir;
  WriteAll(dir / "big.txt", std::string(4096, 'a'));
  IngestLimits limits;
  limits.max_file_bytes = 1000;
  auto src = IngestFile(dir / "big.txt", "big.txt", limits);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), Status::Code::kTooLarge);
}

}  // namespace
}  // namespace redact
