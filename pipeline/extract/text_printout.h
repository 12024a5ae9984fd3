#pragma once
// A plain text (a message as its reader sees it) typeset onto PDF pages with Pango and Cairo:
// the printout the rest of the pipeline reads as any PDF. The only place Pango and Cairo are
// used. It replaces printing the text with LibreOffice, which took a second and a half of CPU
// a message for a page of text.
//
// The page is the one LibreOffice printed messages on (US Letter, 2 cm margins, 10 pt DejaVu
// Serif, or fontconfig's serif where it is absent), so that lines break where they did and a
// name that was on one line still is. One paragraph per line of the text, spaces and tabs
// kept; a character the font lacks comes from whatever installed font has it, and one no
// font has is drawn as the missing-glyph box, which still reads as its character. A line too
// long for the page wraps at a word boundary (never just after a hyphen inside a word), and a
// word longer than a line (a URL) is broken between characters, with no hyphen added. Every
// character is printed as the character it is: nothing in the text is read as markup.
//
// Thread-safe (Pango's font map is per thread).

#include <string>

#include "pipeline/core/status.h"

namespace redact {

// `text` (UTF-8; invalid bytes printed as U+FFFD, control characters other than tab and line
// feed left out) typeset to a PDF written atomically to `pdf_path`.
Status PrintTextToPdf(const std::string& text, const std::string& pdf_path);

}  // namespace redact
