#pragma once
// The only place Poppler is used: open a PDF, read each page's words, render a page to grey.
// Thread-safety: a PdfDocument must be used by one thread at a time; separate documents
// (even of the same file) may be used from separate threads.

#include <memory>
#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"

namespace redact {

struct PdfLimits {
  int max_pages = 10000;
  // Pixels of one rendered page; a page that would need more is refused, not attempted.
  double max_page_pixels = 7016.0 * 9921.0;  // A3 at 600 DPI
};

// Something in the file that no reader of the pages sees, and that the release does not carry:
// a comment, a form field's value, metadata, a bookmark, an attachment, an older revision, a
// layer that is switched off. Listed in the audit so a reviewer knows it was there.
struct HiddenItem {
  std::string kind;  // "annotation", "form field", "metadata", "xmp", "bookmark", ...
  int page = 0;      // 1-based; 0 for the document as a whole
  std::string text;  // what it says (UTF-8), where it says anything
};

// What an element of a tagged PDF's structure tree says of its own (its /ActualText, /Alt, /E
// or /T): a screen reader reads it instead of, or beside, what the page shows.
struct StructureText {
  std::string type;  // the element's structure type ("Span", "Figure", ...)
  std::string key;   // "ActualText", "Alt", "E" or "T"
  std::string says;  // UTF-8
  int page = 0;      // 1-based: the page it is on (its own /Pg or an ancestor's); 0: none
};

class PdfDocument {
 public:
  // Opens `path` read-only. `password` unlocks an encrypted file (owner or user password).
  static Result<std::unique_ptr<PdfDocument>> Open(const std::string& path,
                                                   const std::string& password = {},
                                                   const PdfLimits& limits = {});
  ~PdfDocument();
  PdfDocument(const PdfDocument&) = delete;
  PdfDocument& operator=(const PdfDocument&) = delete;

  int page_count() const;
  // Page size in points as displayed (after /Rotate).
  Result<Box> PageSize(int page) const;
  // Words of the text layer with per-character boxes, joined into matchable text.
  // REQUIRES: 1 <= page <= page_count()
  Result<PageText> ExtractPageText(int page) const;
  // How a page is rendered: sharp (no anti-aliasing; the release is bilevel anyway, and it is
  // quicker), smooth (anti-aliased text and lines, for OCR and thumbnails), or look (smooth
  // lines and pictures, sharp glyphs: for the small renderings compared to see which words
  // show, where a visible word changes pixels just as surely and glyphs draw in a third of
  // the time).
  enum class Edges { kSharp, kSmooth, kLook };
  // What is drawn: the whole page, or everything but its text (to see which words show).
  enum class Content { kAll, kNoText };
  // The page as a reader sees it, 8-bit grey at `dpi`. Annotations (comments, form fields,
  // stamps) are not drawn: they are not page content and never reach a release. With an
  // `area` (points, top-left origin, as displayed), only that part of the page, clipped to it.
  Result<GrayImage> RenderPage(int page, double dpi, Edges edges = Edges::kSmooth,
                               Content content = Content::kAll, const Box& area = Box()) const;
  // Everything of the file's that is not drawn on its pages (see HiddenItem).
  std::vector<HiddenItem> HiddenContent() const;
  // Values of the document information dictionary (Title, Author, ...), for checks.
  std::vector<std::pair<std::string, std::string>> InfoEntries() const;
  // Every element of the structure tree (if the PDF is tagged) that says something of its own,
  // for the self-check. Fails if the tree cannot be read.
  Result<std::vector<StructureText>> StructureTexts() const;

 private:
  struct Impl;
  explicit PdfDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace redact
