#pragma once
// A plain text (a message as its reader sees it) typeset onto PDF pages with Pango and Cairo:
// the printout the rest of the pipeline reads as any PDF. The only place Pango and Cairo are
// used. It replaces printing the text with LibreOffice, which took a second and a half of CPU
// a message for what is a page of monospaced text.
//
// The pages are US Letter with 2 cm margins (LibreOffice's default page, as before), 10 pt DejaVu Sans Mono (or fontconfig's monospace where
// it is absent; characters the font lacks come from whatever installed font has them), one
// paragraph per line of the text, spaces and tabs kept. A line too long for the page wraps at
// a word boundary, and a word longer than a line (a URL) is broken between characters, with
// no hyphen added. Every character is printed as the character it is: nothing in the text is
// read as markup.
//
// Thread-safe (Pango's font map is per thread).

#include <string>

#include "pipeline/core/status.h"

namespace redact {

// `text` (UTF-8; invalid bytes printed as U+FFFD, control characters other than tab and line
// feed left out) typeset to a PDF written atomically to `pdf_path`.
Status PrintTextToPdf(const std::string& text, const std::string& pdf_path);

}  // namespace redact
