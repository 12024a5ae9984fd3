#pragma once
// E-mail (RFC 5322 / MIME) read with GMime: the message as its reader sees it (From, To, Cc,
// Date, Subject, then each body part decoded from any transfer encoding and charset, an HTML
// body as its text, no remote content) written as a UTF-8 text file, the headers a reader does
// not see (Received lines with their internal hosts and addresses, X- headers, Message-IDs)
// listed as hidden content, and every attachment (a nested message included) written out to
// be processed as a document of its own.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/extract/pdf_document.h"

namespace redact {

struct EmailLimits {
  int max_parts = 1000;  // MIME parts in all
  int max_depth = 20;    // multiparts within multiparts
  uint64_t max_attachment_bytes = uint64_t(512) << 20;
};

struct EmailAttachment {
  std::string name;          // as the message names it, made safe for a file name
  std::string path;          // where it was written
  std::string content_type;  // "application/pdf", "message/rfc822", ...
  uint64_t size = 0;
};

struct ReadEmail {
  std::string text;  // what a reader sees, for the release
  std::vector<HiddenItem> hidden;
  std::vector<EmailAttachment> attachments;
};

// Reads the message at `path`; attachments are written into `attachments_dir` (made if need
// be), one file each, never overwriting (a second "a.pdf" is "a-2.pdf").
Result<ReadEmail> ReadEmailMessage(const std::string& path, const std::string& attachments_dir,
                                   const EmailLimits& limits = {});

// A header's value as a mail client shows it, on one line: folding undone, RFC 2047 encoded
// words decoded by GMime in any charset iconv knows (base64 words that lost their "="
// padding, a character split across two adjacent words), and every line or paragraph break
// and other control character a decoded word holds turned into a space, so that a decoded
// value never starts a line of its own ("Bcc: ..."). Fails, saying which word and why, when an
// encoded word cannot be decoded: a charset iconv does not know, an encoding other than B or
// Q, encoded text outside its alphabet, or bytes that are not text in the charset named.
Result<std::string> DecodeHeaderValue(std::string_view value);

// Whether `text` holds an RFC 2047 encoded word ("=?charset?B?...?="), well formed or not.
bool HasEncodedWord(std::string_view text);

// The bytes of a base64, quoted-printable or uuencoded body (GMime's decoders; characters
// outside the encoding's alphabet skipped, as mail clients do). `encoding` is "base64",
// "quoted-printable" or "uuencode" (the lines after "begin", up to "end").
std::string DecodeTransferEncoding(std::string_view body, std::string_view encoding);

// The text of an HTML document as a reader sees it: scripts, styles and images left out,
// blocks on lines of their own, cells apart.
std::string HtmlText(const std::string& html);

}  // namespace redact
