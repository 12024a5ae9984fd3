#pragma once
// What of a page survives its redactions: the words a reader sees, cut around every redacted
// character, and the strings the self-check must find nowhere in the release.

#include <string>
#include <vector>

#include "pipeline/core/types.h"
#include "pipeline/write/release_pdf.h"

namespace redact {

// Text-layer words a reader cannot see: their box holds no ink in the rendered page
// (invisible text, white on white, text clipped away or off the page). OCR words came from
// ink, so they are always visible. One flag per word of `page`.
std::vector<bool> InvisibleWords(const PageText& page, const GrayImage& raster);

// The kept runs of characters of every visible word, each over the union of its characters'
// boxes. A character is redacted when a redaction's byte span covers it (or a hyphen joined
// inside one), or its centre lies under a redaction box.
std::vector<KeptText> KeptWords(const PageText& page, const std::vector<const Finding*>& redactions,
                                const std::vector<bool>& hidden);

// The strings the release must not contain: every redaction's text (a piece of a broken word
// only when long enough to mean something) and the whole word it was a piece of.
std::vector<std::string> RedactedStrings(const std::vector<Finding>& findings);

// Each kept finding's text with the redactions still inside it taken out: a passage released
// by a reviewer reads so in the release, the security body it names still boxed.
std::vector<std::string> KeptAroundRedactions(const std::vector<Finding>& findings);

}  // namespace redact
