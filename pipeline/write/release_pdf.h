#pragma once
// write: release pages -> a brand-new PDF built with libqpdf. Nothing of the input is opened
// here; the only inputs are pixels and the words that were kept.

#include <string>
#include <vector>

#include "pipeline/core/env.h"
#include "pipeline/core/spill_file.h"
#include "pipeline/core/status.h"
#include "pipeline/core/types.h"
#include "pipeline/render/release_page.h"

namespace redact {

// A run of kept characters of one word, placed over its box.
struct KeptText {
  std::string text;  // UTF-8
  Box box;           // points, top-left origin
};

// A redaction box as a reader of the release is told of it: where it is drawn and what it
// says ("[REDACTED s.40(2)]"). Its label is written into the text layer over the box and is
// the box's actual text in the structure tree, so search, copy and a screen reader all say
// what was withheld, and why.
struct ReleaseBox {
  Box box;            // points, top-left origin, where the page image draws it
  std::string label;  // e.g. "[REDACTED s.40(2)]"; never anything the draft said
};

struct ReleasePage {
  double width = 0, height = 0;   // points
  EncodedImage image;             // covers the whole page
  std::vector<KeptText> words;    // the invisible, searchable text layer
  std::vector<ReleaseBox> boxes;  // the redaction boxes on the page, each tagged with its label
};

// Where Debian's icc-profiles-free (first) or colord-data installs an sRGB profile: the
// release's PDF/A output intent.
inline constexpr const char* kSrgbProfilePaths[] = {"/usr/share/color/icc/sRGB.icc",
                                                    "/usr/share/color/icc/colord/sRGB.icc"};

struct WriterOptions {
  std::string producer;       // in the Info dictionary and the XMP
  int threads = 1;            // pages whose text layers are made at once (the bytes do not change)
  Env* env = Env::Default();  // where WriteReleasePdfFile writes
  // The document's title (XMP dc:title, shown by a viewer instead of the file name). It must
  // be a name the self-check has already passed (the release's checked file name), never text
  // of the draft. Empty: "Release".
  std::string title{};
  std::string lang = "en-GB";  // the document's natural language (/Lang)
  // The sRGB ICC profile of the PDF/A output intent; empty: the first of kSrgbProfilePaths
  // that exists. Missing: the release is not written (MissingDependency).
  std::string icc_profile{};
};

// Whether a release can be written here (the sRGB profile is installed and readable): a run
// checks this before it starts, so a missing package is exit 5, not every document failing.
Status CheckReleaseWriterReady(const WriterOptions& options = {});

// Serialises the pages into a PDF in memory: one image XObject per page (an artifact), an
// invisible text layer (render mode 3) through a glyph-less Type 3 font with a ToUnicode map,
// tagged: a structure tree in reading order (Document, then H1/H2/P blocks found from the
// lines' sizes and gaps, each redaction box a Span whose /ActualText is its label), /Lang,
// /MarkInfo, tab order by structure, DisplayDocTitle; PDF/A-2u: XMP metadata (pdfaid part 2,
// conformance U, title, producer; no dates) and an sRGB output intent. The Info dictionary
// holds only /Producer; deterministic /ID. Byte-identical for identical input.
Result<std::string> WriteReleasePdf(const std::vector<ReleasePage>& pages,
                                    const WriterOptions& options);

// A release page whose image and kept words wait in a spill file until the writer needs them.
struct SpilledReleasePage {
  double width = 0, height = 0;  // points
  ImageEncoding encoding = ImageEncoding::kG4;
  int pixel_width = 0, pixel_height = 0;
  SpillFile::Ref image, words;  // words: the kept words and the boxes
};
Result<SpilledReleasePage> SpillReleasePage(const ReleasePage& page, SpillFile* spill);

// The same PDF, written straight to `path` (and fsync'd) from pages in `spill`: qpdf reads each
// page's bytes as it writes them, so memory does not grow with the number of pages.
Status WriteReleasePdfFile(const std::vector<SpilledReleasePage>& pages, SpillFile& spill,
                           const WriterOptions& options, const std::string& path);

// Every decoded stream (except images) and every other object of a PDF we wrote, as text,
// for the self-check to search. Reads the release only, never an input.
Result<std::string> DecodedPdfContent(const std::string& path);

}  // namespace redact
