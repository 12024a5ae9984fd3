#pragma once
// Reads any supported input page by page: the words a reader would see (text layer, OCR, or
// both) and, later, the raster the release page is built from, turned and straightened the
// same way the OCR saw it. PDF pages come from Poppler, image pages from Leptonica.
// Not thread-safe: one reader per thread.

#include <memory>
#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/ingest/ingest.h"

namespace redact {

enum class OcrMode { kAuto, kAlways, kNever };

struct ReaderOptions {
  std::string password;
  OcrMode ocr = OcrMode::kAuto;
  double dpi = 200;      // release raster of text pages
  double ocr_dpi = 300;  // OCR raster, and release raster of scanned pages
  int max_pages = 10000;
  double max_page_pixels = 7016.0 * 9921.0;
  size_t max_text_bytes = size_t(2) << 30;
  // The PDF is our own typesetting of a text (a message, extract/text_printout.h): its text
  // layer is that text, every character of it (one no font has is drawn as a box that still
  // reads as itself), and it holds no pictures. Its pages are read from the text layer as
  // they are, never judged unusable by how the text looks (a message of mojibake is still
  // its text) and, but with --ocr always, never OCR'd.
  bool typeset = false;
};

// How a page's words were obtained, and how to rebuild its release raster.
// Where a page's words came from.
enum class PageSource { kNone, kTextLayer, kOcr, kBoth };  // kNone: a blank page
const char* PageSourceName(PageSource source);             // "none", "text-layer", "ocr", "both"

struct PageInfo {
  PageSource source = PageSource::kNone;
  double mean_confidence = 100;  // of OCR words; 100 for a text layer
  double dpi = 200;              // release raster resolution
  int turns = 0;                 // clockwise quarter turns to make the page upright
  double skew = 0;               // degrees of straightening applied after the turns
  int ocr_words = 0;             // OCR words added to the page
  bool ocr_read = false;         // the page was read by OCR (whether or not it added words)
  int hidden_words = 0;          // text-layer words with no ink on the page (left out)
};

class DocumentReader {
 public:
  static Result<std::unique_ptr<DocumentReader>> Open(const Source& source,
                                                      const ReaderOptions& options);
  ~DocumentReader();
  int page_count() const;
  // The file's content that is not drawn on its pages (PDFs only; see HiddenItem).
  std::vector<HiddenItem> HiddenContent() const;
  // The page's text for matching (1-based page). Runs OCR where the options say so.
  Result<PageText> ReadPage(int page, PageInfo* info);
  // The page as the release shows it: rendered (or decoded), turned and straightened as
  // `info` says, so the boxes of ReadPage's words fall on the right pixels.
  Result<GrayImage> ReleaseRaster(int page, const PageInfo& info);

 private:
  struct Impl;
  explicit DocumentReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True when a text layer reads as text (not the junk of a font with no Unicode map).
bool UsableTextLayer(const PageText& page);

// Merges OCR words into a page's text-layer words: an OCR word that overlaps a text-layer
// word is dropped (the text layer already says it). Returns how many were added.
int MergeOcrWords(PageText* page, const std::vector<Word>& ocr,
                  const std::vector<bool>& space_after);

}  // namespace redact
