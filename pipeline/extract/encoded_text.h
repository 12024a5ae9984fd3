#pragma once
// Encoded content inside a text input: an e-mail saved as .txt or .eml whose body is base64
// or quoted-printable, a uuencoded block, RFC 2047 encoded words in its headers. Rules run
// over what such text says, never over its encoding, and a release never carries it encoded:
// text parts are decoded in place; binary parts (attachments) are left out of the release
// with a line saying so, and listed as hidden content.

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/status.h"

namespace redact {

struct EncodedPart {
  std::string kind;         // "base64", "quoted-printable", "uuencode", "encoded words"
  std::string description;  // what it was: content type and name, for the audit
  bool binary = false;      // an attachment: left out of the release
};

struct DecodedText {
  std::string text;                // the input with every encoded part decoded or replaced
  std::vector<EncodedPart> parts;  // what was found, in order
};

// Decodes every encoded part of `text` (valid UTF-8). Text that holds none comes back as is.
// Charsets named by a MIME header are converted to UTF-8 (iconv); a part that does not decode
// to valid text is treated as binary. Encoded words are decoded by GMime (DecodeHeaderValue in
// email.h), a header field with its folded lines on one line, so a decoded line break never
// starts a line of its own. Fails, naming the header (or the line) and why, if an encoded word
// cannot be decoded (an unknown charset, text outside its encoding, bytes that are not text in
// its charset): the document is quarantined rather than released with the word still encoded.
Result<DecodedText> DecodeEncodedText(std::string_view text);

// For the self-check: the decoded text of every encoded part `text` still holds (empty when
// it holds none), so a release that carries an encoded block is read for what it says; an
// error if an encoded word in it cannot be decoded.
Result<std::string> DecodedContent(std::string_view text);

}  // namespace redact
