#pragma once
// Plain UTF-8 text inputs: one "page" holding the whole file. No boxes: the release is text.

#include <string>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"

namespace redact {

// Reads `path`; fails if it is not valid UTF-8. A leading BOM is dropped, CRLF kept as is.
Result<PageText> ReadPlainText(const std::string& path, size_t max_bytes);

}  // namespace redact
