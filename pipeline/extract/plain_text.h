#pragma once
// Plain UTF-8 text inputs: one "page" holding the whole file. No boxes: the release is text.

#include <string>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"
#include "pipeline/extract/encoded_text.h"

namespace redact {

// Reads `path`; fails if it is not valid UTF-8. A leading BOM is dropped, CRLF kept as is.
// Encoded parts (base64 or quoted-printable bodies, uuencoded data, RFC 2047 words) come back
// decoded, attachments replaced by a line saying so (see encoded_text.h); `parts`, when
// given, receives what was found.
Result<PageText> ReadPlainText(const std::string& path, size_t max_bytes,
                               std::vector<EncodedPart>* parts = nullptr);

}  // namespace redact
