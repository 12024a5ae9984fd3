#include "pipeline/ingest/ingest.h"

#include <filesystem>
#include <fstream>

#include "pipeline/core/hash.h"
#include "pipeline/core/text.h"

namespace redact {
namespace fs = std::filesystem;

const char* SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kPdf:
      return "pdf";
    case SourceKind::kText:
      return "text";
    case SourceKind::kPng:
      return "png";
    case SourceKind::kJpeg:
      return "jpeg";
    case SourceKind::kTiff:
      return "tiff";
    case SourceKind::kOffice:
      return "office";
    case SourceKind::kOutlookMessage:
      return "outlook-message";
    case SourceKind::kEmail:
      return "email";
  }
  return "unknown";
}

namespace {

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// Text: UTF-8 (an optional BOM), no NUL bytes, few control characters. A truncated
// multi-byte sequence at the end of `head` is tolerated when `head` is not the whole file.
bool LooksLikeText(std::string head, bool whole_file) {
  if (StartsWith(head, "\xEF\xBB\xBF")) head.erase(0, 3);
  if (!whole_file) {
    // Drop a multi-byte sequence cut off by the read size.
    size_t cut = head.size();
    for (size_t back = 0; back < 4 && back < head.size(); ++back) {
      unsigned char c = static_cast<unsigned char>(head[head.size() - 1 - back]);
      if ((c & 0xC0) != 0x80) {
        if (Utf8SequenceLength(c) > back + 1) cut = head.size() - 1 - back;
        break;
      }
    }
    head.resize(cut);
  }
  size_t control = 0;
  for (char ch : head) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == 0) return false;
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++control;
  }
  if (control * 100 > head.size()) return false;
  return IsValidUtf8(head);
}

}  // namespace

bool LooksLikeEmail(const std::string& head) {
  // An mbox's first line, or header lines from the first byte up to the blank line, among them
  // at least two of the fields a message has.
  size_t at = head.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0, fields = 0, lines = 0;  // a BOM
  if (head.compare(at, 5, "From ") == 0) at = head.find('\n', at) + 1;
  while (at < head.size() && lines < 200) {
    size_t end = head.find('\n', at);
    if (end == std::string::npos) break;
    std::string line = head.substr(at, end - at);
    at = end + 1;
    ++lines;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;                          // the end of the header block
    if (line[0] == ' ' || line[0] == '\t') continue;  // a folded continuation
    const size_t colon = line.find(':');
    if (colon == 0 || colon == std::string::npos) return false;
    for (size_t i = 0; i < colon; ++i) {
      const unsigned char c = static_cast<unsigned char>(line[i]);
      if (c <= ' ' || c >= 127) return false;  // RFC 5322: a field name is printable ASCII
    }
    std::string name = line.substr(0, colon);
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    for (const char* f : {"from", "to", "subject", "date", "received", "message-id", "mime-version",
                          "return-path", "delivered-to", "content-type"}) {
      if (name == f) ++fields;
    }
  }
  return fields >= 2;
}

bool SniffKind(const std::string& head, bool whole_file, SourceKind* kind) {
  // Many writers put junk before the header; readers accept it within the first 1 KiB.
  if (head.substr(0, 1024).find("%PDF-") != std::string::npos) {
    *kind = SourceKind::kPdf;
    return true;
  }
  if (StartsWith(head, "\x89PNG\r\n\x1a\n")) {
    *kind = SourceKind::kPng;
    return true;
  }
  if (StartsWith(head, "\xFF\xD8\xFF")) {
    *kind = SourceKind::kJpeg;
    return true;
  }
  if (StartsWith(head, std::string("II*\0", 4)) || StartsWith(head, std::string("MM\0*", 4))) {
    *kind = SourceKind::kTiff;
    return true;
  }
  // An Office Open XML or OpenDocument package: a zip whose first entry is one of the
  // package's own (the name of the first local file header is at byte 30).
  if (StartsWith(head, "PK\x03\x04") && head.size() > 30) {
    const size_t name_length = uint8_t(head[26]) | size_t(uint8_t(head[27])) << 8;
    const std::string first = head.substr(30, std::min(name_length, head.size() - 30));
    for (const char* package : {"[Content_Types].xml", "_rels/", "docProps/", "word/", "xl/",
                                "ppt/", "mimetype", "META-INF/", "content.xml"}) {
      if (first.rfind(package, 0) == 0) {
        *kind = SourceKind::kOffice;
        return true;
      }
    }
    return false;
  }
  // OLE2 compound files: Word 97-2003, Excel, PowerPoint, or an Outlook message, whose
  // streams are named "__substg1.0_..." (UTF-16 in the directory).
  if (StartsWith(head, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
    const std::string substg("_\0_\0s\0u\0b\0s\0t\0g\0", 16);
    *kind =
        head.find(substg) != std::string::npos ? SourceKind::kOutlookMessage : SourceKind::kOffice;
    return true;
  }
  if (StartsWith(head, "{\\rtf")) {
    *kind = SourceKind::kOffice;
    return true;
  }
  if (LooksLikeEmail(head)) {
    *kind = SourceKind::kEmail;
    return true;
  }
  if (LooksLikeText(head, whole_file)) {
    *kind = SourceKind::kText;
    return true;
  }
  return false;
}

Result<Source> IngestFile(const std::string& path, const std::string& relative,
                          const IngestLimits& limits) {
  Source src;
  src.path = path;
  src.relative = relative;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return Status::InvalidInput("not a regular file", "Only plain files are redacted.");
  }
  src.size = fs::file_size(path, ec);
  if (ec) return Status::Io("cannot read the file size: " + ec.message());
  if (src.size == 0) {
    return Status::InvalidInput(
        "the file is empty (zero bytes)",
        "The file was probably not saved or copied completely; send it again.");
  }
  if (src.size > limits.max_file_bytes) {
    return Status::TooLarge("the file is " + std::to_string(src.size) + " bytes, over the " +
                                std::to_string(limits.max_file_bytes) + "-byte limit",
                            "Split the document, or raise the limit if it is trusted.");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::Io("the file cannot be opened for reading",
                      "Check its permissions: redact needs read access.");
  }
  // Enough to judge a text file fairly, bounded so a huge file is not read twice in full.
  std::string head(std::min<uint64_t>(src.size, 1 << 20), '\0');
  in.read(head.data(), std::streamsize(head.size()));
  if (!in) return Status::Io("read error", "Check the disk and the file's permissions.");
  auto sha = Sha256File(path);
  if (!sha.ok()) return sha.status();
  src.sha256 = *sha;
  if (!SniffKind(head, head.size() == src.size, &src.kind)) {
    return Status::Unsupported(
        "unsupported kind: not a PDF, an image, an Office document or UTF-8 text",
        "Save the document as PDF (or DOCX, ODT or UTF-8 text) and submit it again.");
  }
  if (src.kind == SourceKind::kOutlookMessage) {
    return Status::Unsupported(
        "an Outlook message (.msg): no library we trust reads this format",
        "Save the message as .eml instead (Outlook on the web: More actions > Download > "
        "Download as EML) and submit that; its attachments come with it.");
  }
  if (src.kind == SourceKind::kPdf) {
    // A PDF ends with %%EOF (perhaps followed by a little padding). Without it the file was cut
    // short: Poppler would rebuild what it can and we would release part of a document.
    std::string tail(std::min<uint64_t>(src.size, 4096), '\0');
    in.clear();
    in.seekg(std::streamoff(src.size - tail.size()));
    in.read(tail.data(), std::streamsize(tail.size()));
    if (!in || tail.find("%%EOF") == std::string::npos) {
      return Status::InvalidInput(
          "the PDF is truncated: it has no end-of-file marker (%%EOF)",
          "The file was probably not copied or downloaded completely; get a complete copy.");
    }
  }
  return src;
}

}  // namespace redact
