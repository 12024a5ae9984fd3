#pragma once
// Office packages (DOCX and OpenDocument) read with real parsers (libzip, libxml2): what a
// reader of the final document does not see is listed, and a copy is written with all of it
// taken out, for LibreOffice to render. Taken out: tracked deletions and moves (insertions are
// accepted), formatting-change history, comments and their anchors, hidden text, hidden
// paragraphs and sections, linked content that would be fetched from elsewhere (linked
// images, OLE links, remote templates), alt text. Listed too, though shown: headers and
// footers, tracked insertions, field codes, embedded objects, document properties.
//
// Parts are found as LibreOffice and Word find them: a DOCX's through its relationships
// (`_rels/.rels` names the main document, each part's own `_rels/<part>.rels` the rest) and
// [Content_Types].xml, an OpenDocument file's through its manifest. A part nothing reaches is
// left out of the cleaned copy and listed ("unused part"). An embedded DOCX or OpenDocument
// package is cleaned in turn; an altChunk, a subdocument or an embedded object of any other
// format refuses the file (Status::Unsupported, naming the part).
//
// Hostile packages are refused: more than kMaxEntries entries, an entry or a total over the
// limits once inflated (zip bombs), an XML part with a DTD (entity bombs, external entities),
// an encrypted package.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/extract/pdf_document.h"

namespace redact {

enum class OfficeFormat { kDocx, kOdfText, kOdfSpreadsheet, kOdfOther, kOtherZip };

struct OfficeLimits {
  uint64_t max_entry_bytes = uint64_t(256) << 20;   // one part, inflated
  uint64_t max_total_bytes = uint64_t(1024) << 20;  // the whole package, inflated
  int max_entries = 10000;
};

struct CleanedPackage {
  OfficeFormat format = OfficeFormat::kOtherZip;
  std::vector<HiddenItem> hidden;
  // Text a reader of the final document never sees (deleted, hidden, comments, properties,
  // field codes, alt text): the release must not contain any of it that is not also visible.
  std::vector<std::string> withheld;
  // The text of the cleaned copy's stories, paragraph by paragraph: what the final document
  // says. A withheld string found in the release but not here was printed by mistake.
  std::string visible;
};

// What kind of package `path` is, from its entries. kOtherZip: not one we clean.
Result<OfficeFormat> OfficePackageFormat(const std::string& path, const OfficeLimits& limits);

// Lists and takes out (see above) the hidden content of the DOCX or OpenDocument package at
// `path`, writing the cleaned package to `out_path` (which must not exist).
Result<CleanedPackage> CleanOfficePackage(const std::string& path, const std::string& out_path,
                                          const OfficeLimits& limits = {});

}  // namespace redact
