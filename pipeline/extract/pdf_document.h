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
  // quicker) or smooth (anti-aliased text and lines, for OCR and thumbnails).
  enum class Edges { kSharp, kSmooth };
  // The page as a reader sees it, 8-bit grey at `dpi`.
  Result<GrayImage> RenderPage(int page, double dpi, Edges edges = Edges::kSmooth) const;
  // Values of the document information dictionary (Title, Author, ...), for checks.
  std::vector<std::pair<std::string, std::string>> InfoEntries() const;

 private:
  struct Impl;
  explicit PdfDocument(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace redact
