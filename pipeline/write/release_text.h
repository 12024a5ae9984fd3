#pragma once
// The released text: the page text with every redaction replaced by a marker such as
// "[REDACTED s.23(1)]". It is the release of a plain-text input and the .txt sidecar of a PDF.

#include <string>
#include <vector>

#include "pipeline/core/types.h"

namespace redact {

// `findings` may hold flags (ignored) and any page; only redactions of `page` apply.
// Words marked in `hidden` (indexes into page.words; may be empty) are left out.
std::string RedactedText(const PageText& page, const std::vector<Finding>& findings,
                         const std::vector<bool>& hidden = {});

// All pages, separated by form feeds as pdftotext does. `hidden` holds one vector per page
// (or none at all).
std::string RedactedDocumentText(const std::vector<PageText>& pages,
                                 const std::vector<Finding>& findings,
                                 const std::vector<std::vector<bool>>& hidden = {});

}  // namespace redact
