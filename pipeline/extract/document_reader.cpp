#include "pipeline/extract/document_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include "pipeline/core/page_text_builder.h"
#include "pipeline/core/text.h"
#include "pipeline/extract/ocr.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/extract/plain_text.h"
#include "pipeline/image/leptonica.h"

namespace redact {

const char* PageSourceName(PageSource source) {
  switch (source) {
    case PageSource::kNone:
      return "none";
    case PageSource::kTextLayer:
      return "text-layer";
    case PageSource::kOcr:
      return "ocr";
    case PageSource::kBoth:
      return "both";
  }
  return "none";
}

namespace {

// Resolution of the quick look for ink the text layer does not explain.
constexpr double kInkCheckDpi = 50;
// Share of a page that is ink outside the text layer before the page is OCR'd: about
// three characters of 11 pt text.
constexpr double kUnexplainedInkShare = 0.00005;

double Overlap(const Box& a, const Box& b) {
  double w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0);
  double h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
  return (w > 0 && h > 0) ? w * h : 0;
}

// Resolution at which a cluster of unexplained ink is looked at for text.
constexpr double kTextLookDpi = 150;
// Ink closer than this (points) is one cluster: the parts of a logo, the lines of a screenshot.
constexpr double kClusterJoin = 7;
// Clusters looked at one by one; a page with more is read by OCR whole.
constexpr int kMaxClusters = 24;

// Share of the page's area that is ink outside every text-layer word: a picture, a scan, a
// screenshot of a configuration. Also reports whether the page has any ink at all, and with
// `outside` gives `img` with the words' areas made white (the ink they do not explain).
double UnexplainedInk(const GrayImage& img, const PageText& text, bool* any_ink,
                      GrayImage* outside = nullptr) {
  std::vector<uint8_t> covered(img.pixels.size(), 0);
  const double s = img.dpi / 72.0;
  for (const Word& w : text.words) {
    if (w.hidden) continue;  // a word no one sees explains nothing
    Box b = w.box.Padded(2);
    int x0 = std::clamp(int(b.x0 * s), 0, img.width),
        x1 = std::clamp(int(b.x1 * s) + 1, 0, img.width);
    int y0 = std::clamp(int(b.y0 * s), 0, img.height),
        y1 = std::clamp(int(b.y1 * s) + 1, 0, img.height);
    for (int y = y0; y < y1; ++y) {
      std::fill(covered.begin() + y * img.width + x0, covered.begin() + y * img.width + x1, 1);
    }
  }
  size_t ink = 0, unexplained = 0;
  for (size_t i = 0; i < img.pixels.size(); ++i) {
    if (IsInk(img.pixels[i])) {
      ++ink;
      if (!covered[i]) ++unexplained;
    }
  }
  *any_ink = ink > 0;
  if (outside) {
    *outside = img;
    for (size_t i = 0; i < covered.size(); ++i) {
      if (covered[i]) outside->pixels[i] = 255;
    }
  }
  return img.pixels.empty() ? 0 : double(unexplained) / double(img.pixels.size());
}

// Whether some cluster of `outside` (the quick look's ink that no visible word explains)
// holds text: each cluster is rendered again, sharper and without the text layer, and looked
// at for rows of characters. A logo, a photograph, a signature or a table's rules do not
// send a page to OCR; a screenshot of text does.
Result<bool> UnexplainedInkReadsAsText(const PdfDocument& pdf, int page, const GrayImage& outside,
                                       const PageText& text) {
  const double s = outside.dpi / 72.0;
  bool too_many = false;
  const std::vector<PixelArea> clusters = InkClusters(
      outside, std::max(1, int(std::lround(kClusterJoin * s))), kMaxClusters, &too_many);
  if (too_many) return true;
  for (const PixelArea& c : clusters) {
    const Box area =
        Box{c.x / s, c.y / s, (c.x + c.width) / s, (c.y + c.height) / s}.Padded(72.0 / outside.dpi);
    auto look = pdf.RenderPage(page, kTextLookDpi, PdfDocument::Edges::kLook,
                               PdfDocument::Content::kNoText, area);
    if (!look.ok()) return look.status();
    // What visible words explain is left out here too (an image under its own caption).
    const double k = look->dpi / 72.0;
    const double left = std::floor(std::max(0.0, area.x0) * k);
    const double top = std::floor(std::max(0.0, area.y0) * k);
    for (const Word& w : text.words) {
      if (w.hidden) continue;
      const Box b = w.box.Padded(2);
      const int x0 = std::clamp(int(b.x0 * k - left), 0, look->width);
      const int x1 = std::clamp(int(b.x1 * k - left) + 1, 0, look->width);
      const int y0 = std::clamp(int(b.y0 * k - top), 0, look->height);
      const int y1 = std::clamp(int(b.y1 * k - top) + 1, 0, look->height);
      for (int y = y0; y < y1; ++y) {
        std::fill_n(look->pixels.begin() + long(y) * look->width + x0, x1 - x0, uint8_t(255));
      }
    }
    if (HoldsTextLikeInk(*look)) return true;
  }
  return false;
}

// Characters shorter than this (points) are not read by anyone: a classic way to hide text.
constexpr double kSmallestReadable = 2.5;
// A word shows when drawing it changes some pixel of its box by at least this much.
constexpr int kVisibleChange = 32;

// Marks the words that leave no mark on the page: `all` and `bare` are the page rendered with
// and without its text, so a word that is invisible, white on white, under an image or a
// box, clipped or outside the crop box changes nothing inside its box.
int MarkHiddenWords(PageText* text, const GrayImage& all, const GrayImage& bare) {
  int hidden = 0;
  const double s = all.dpi / 72.0;
  for (Word& w : text->words) {
    // A lone dash or stop says nothing, and may be too thin to change a pixel at this
    // resolution; leaving it out would join the words either side into a phrase the page
    // never had ("Athena - NK" read as the name "Athena NK").
    if (PunctuationOnly(w.text)) continue;
    std::vector<double> heights;
    for (const Box& c : w.char_boxes) heights.push_back(c.height());
    std::nth_element(heights.begin(), heights.begin() + long(heights.size() / 2), heights.end());
    bool shows = false;
    if (heights.empty() || heights[heights.size() / 2] >= kSmallestReadable) {
      int x0 = std::clamp(int(w.box.x0 * s), 0, all.width);
      int x1 = std::clamp(int(std::ceil(w.box.x1 * s)) + 1, 0, all.width);
      int y0 = std::clamp(int(w.box.y0 * s), 0, all.height);
      int y1 = std::clamp(int(std::ceil(w.box.y1 * s)) + 1, 0, all.height);
      for (int y = y0; y < y1 && !shows; ++y) {
        const size_t row = size_t(y) * size_t(all.width);
        for (int x = x0; x < x1; ++x) {
          if (std::abs(int(all.pixels[row + size_t(x)]) - int(bare.pixels[row + size_t(x)])) >=
              kVisibleChange) {
            shows = true;
            break;
          }
        }
      }
    }
    w.hidden = !shows;
    hidden += !shows;
  }
  return hidden;
}

}  // namespace

bool UsableTextLayer(const PageText& page) {
  size_t letters = 0, visible = 0, vowels = 0, ascii_letters = 0;
  for (char32_t c : DecodeUtf8(page.text)) {
    if (c == ' ' || c == '\n' || c == '\t') continue;
    ++visible;
    bool ascii_letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (ascii_letter || (c >= 0xC0 && c != 0xFFFD && c < 0x2000)) ++letters;
    if (ascii_letter) {
      ++ascii_letters;
      char l = char(c | 0x20);
      if (l == 'a' || l == 'e' || l == 'i' || l == 'o' || l == 'u' || l == 'y') ++vowels;
    }
  }
  if (visible < 4) return false;
  if (double(letters) < 0.5 * double(visible)) return false;
  // Latin text has vowels; glyph codes shifted by a broken font usually do not.
  if (ascii_letters >= 20) {
    double v = double(vowels) / double(ascii_letters);
    if (v < 0.15 || v > 0.7) return false;
  }
  return true;
}

int MergeOcrWords(PageText* page, const std::vector<Word>& ocr,
                  const std::vector<bool>& space_after) {
  std::vector<Word> words = page->words;
  // Spaces of the text layer are already in the text; rebuild them from it.
  std::vector<bool> spaces(words.size(), true);
  for (size_t i = 0; i < page->byte_map.size(); ++i) {
    const CharRef& r = page->byte_map[i];
    if (r.word >= 0 && i + 1 < page->text.size() && page->byte_map[i + 1].word == r.word + 1) {
      spaces[size_t(r.word)] = false;
    }
  }
  int added = 0;
  for (size_t i = 0; i < ocr.size(); ++i) {
    const Word& o = ocr[i];
    double area = std::max(o.box.width() * o.box.height(), 1e-6);
    bool known = std::any_of(page->words.begin(), page->words.end(), [&](const Word& t) {
      // A hidden word is no reading of the pixels under it.
      return !t.hidden && Overlap(t.box, o.box) > 0.3 * area;
    });
    if (known) continue;
    words.push_back(o);
    spaces.push_back(space_after[i]);
    ++added;
  }
  if (added > 0)
    *page = BuildPageText(page->page, page->width, page->height, std::move(words), spaces);
  return added;
}

struct DocumentReader::Impl {
  Source source;
  ReaderOptions options;
  std::unique_ptr<PdfDocument> pdf;
  std::unique_ptr<ImageFile> image;
  int pages = 0;
  // The straightened raster of a one-page scan, as OCR read it, kept for ReleaseRaster so the
  // image is not decoded and straightened a second time. (Longer documents would hold 9 MB a
  // page; their pages are made again.)
  std::optional<std::pair<int, GrayImage>> kept_scan;
  // A text input, read (and its encoded parts decoded) once when it is opened.
  PageText text;
  std::vector<EncodedPart> encoded_parts;

  // OCR of a page image; returns the page text in the image's frame.
  Result<PageText> Ocr(int page, GrayImage raster, PageInfo* info, bool keep = false) {
    const double width = raster.width * 72.0 / raster.dpi;
    const double height = raster.height * 72.0 / raster.dpi;
    auto result = RecognizePage(std::move(raster), keep);
    if (!result.ok()) return result.status();
    kept_scan.reset();
    if (keep && !result->image.pixels.empty()) kept_scan.emplace(page, std::move(result->image));
    info->mean_confidence = result->mean_confidence;
    info->ocr_words = int(result->words.size());
    return BuildPageText(page, width, height, std::move(result->words), result->space_after);
  }

  // The page's pixels again, as ReadPage got them (for the rare second look at a scan).
  Result<GrayImage> ScanRaster(int page) {
    return image ? image->Page(page) : pdf->RenderPage(page, options.ocr_dpi);
  }

  // OCR of a scanned page: straightened, and turned upright when it does not read as text.
  // Orientation detection costs about half an OCR, so it runs only when the page read badly
  // as it is (a page turned 90 or 180 degrees reads as a few unsure words).
  // The raster is handed over and freed as soon as it is no longer needed: a 300 DPI page is
  // 9 MB, and Tesseract keeps its own copies while it reads.
  Result<PageText> OcrScan(int page, GrayImage raster, PageInfo* info) {
    info->turns = 0;
    info->skew = FindSkewAngle(raster);
    if (info->skew != 0) raster = RotateByAngle(std::move(raster), info->skew);
    if (raster.pixels.empty()) return Status::Engine("the page could not be straightened");
    auto text = Ocr(page, std::move(raster), info, pages == 1);
    if (!text.ok()) return text;
    // Words of a page turned a quarter are taller than wide (Tesseract reads them anyway).
    size_t long_words = 0, upright = 0;
    for (const Word& w : text->words) {
      if (w.char_boxes.size() < 3) continue;
      ++long_words;
      upright += w.box.width() > w.box.height();
    }
    const bool reads_upright =
        info->mean_confidence >= 75 && long_words >= 5 && upright * 2 > long_words;
    if (reads_upright) return text;
    kept_scan.reset();  // the page may be read again turned; this raster would be stale
    auto again = ScanRaster(page);
    if (!again.ok()) return again.status();
    const int turns = DetectUprightTurns(*again);
    if (turns == 0) return text;
    PageInfo turned_info = *info;
    turned_info.turns = turns;
    GrayImage turned = RotateQuarterTurns(std::move(*again), turns);
    again = GrayImage();
    turned_info.skew = FindSkewAngle(turned);
    if (turned_info.skew != 0) turned = RotateByAngle(std::move(turned), turned_info.skew);
    if (turned.pixels.empty()) return Status::Engine("the page could not be turned upright");
    auto turned_text = Ocr(page, std::move(turned), &turned_info, pages == 1);
    if (!turned_text.ok()) return turned_text;
    *info = turned_info;
    return turned_text;
  }

  Status NeedsOcr(int page) {
    return Status::Unsupported(
        "page " + std::to_string(page) + " has no usable text layer and --ocr never was given",
        "Run again without --ocr never so the page is read by OCR.");
  }
};

DocumentReader::DocumentReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DocumentReader::~DocumentReader() = default;

Result<std::unique_ptr<DocumentReader>> DocumentReader::Open(const Source& source,
                                                             const ReaderOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->source = source;
  impl->options = options;
  switch (source.kind) {
    case SourceKind::kText: {
      impl->pages = 1;
      auto text = ReadPlainText(source.path, options.max_text_bytes, &impl->encoded_parts);
      if (!text.ok()) return text.status();
      impl->text = std::move(*text);
      break;
    }
    case SourceKind::kPdf: {
      PdfLimits limits;
      limits.max_pages = options.max_pages;
      limits.max_page_pixels = options.max_page_pixels;
      auto pdf = PdfDocument::Open(source.path, options.password, limits);
      if (!pdf.ok()) return pdf.status();
      impl->pdf = std::move(*pdf);
      impl->pages = impl->pdf->page_count();
      break;
    }
    case SourceKind::kPng:
    case SourceKind::kJpeg:
    case SourceKind::kTiff: {
      if (options.ocr == OcrMode::kNever) {
        return Status::Unsupported("an image can only be read by OCR, and --ocr never was given",
                                   "Run again without --ocr never.");
      }
      auto image = ImageFile::Open(source.path, options.max_page_pixels);
      if (!image.ok()) return image.status();
      impl->image = std::make_unique<ImageFile>(std::move(*image));
      impl->pages = impl->image->page_count();
      if (impl->pages > options.max_pages) {
        return Status::TooLarge("the image has " + std::to_string(impl->pages) + " pages",
                                "Split it, or raise --max-pages.");
      }
      break;
    }
    case SourceKind::kOffice:
    case SourceKind::kEmail:
    case SourceKind::kOutlookMessage:
      // Read as the PDF ConvertOfficeDocument or PrintTextToPdf makes of it.
      return Status::Unsupported("an Office document or a message must be printed to PDF first");
  }
  return std::unique_ptr<DocumentReader>(new DocumentReader(std::move(impl)));
}

int DocumentReader::page_count() const { return impl_->pages; }

std::vector<HiddenItem> DocumentReader::HiddenContent() const {
  if (impl_->pdf) return impl_->pdf->HiddenContent();
  // Encoded parts of a text input: decoded in the release, or (attachments) left out of it.
  std::vector<HiddenItem> items;
  for (const EncodedPart& p : impl_->encoded_parts) {
    items.push_back(
        {p.binary ? "attachment (encoded, left out)" : "encoded text (" + p.kind + ", decoded)", 1,
         p.description});
  }
  return items;
}

Result<PageText> DocumentReader::ReadPage(int page, PageInfo* info) {
  Impl& d = *impl_;
  *info = PageInfo();
  info->dpi = d.options.dpi;
  if (d.source.kind == SourceKind::kText) {
    info->source = PageSource::kTextLayer;
    return d.text;
  }
  if (d.image) {
    auto raster = d.image->Page(page);
    if (!raster.ok()) return raster.status();
    info->dpi = raster->dpi;
    info->source = PageSource::kOcr;
    info->ocr_read = true;
    return d.OcrScan(page, std::move(*raster), info);
  }
  auto text = d.pdf->ExtractPageText(page);
  if (!text.ok()) return text.status();
  const bool usable = d.options.typeset || UsableTextLayer(*text);
  if (usable) info->source = PageSource::kTextLayer;
  bool ocr = d.options.ocr == OcrMode::kAlways;
  // A quick look at the page with and without its text: which words show, and whether there
  // is ink the visible words do not explain (a picture of text).
  std::optional<GrayImage> bare;
  if (usable) {
    auto all = d.pdf->RenderPage(page, kInkCheckDpi, PdfDocument::Edges::kLook);
    if (!all.ok()) return all.status();
    auto without = d.pdf->RenderPage(page, kInkCheckDpi, PdfDocument::Edges::kLook,
                                     PdfDocument::Content::kNoText);
    if (!without.ok()) return without.status();
    MarkHiddenWords(&*text, *all, *without);
    bare = std::move(*without);
  }
  if (d.options.ocr == OcrMode::kAuto || (d.options.ocr == OcrMode::kNever && !usable)) {
    bool any_ink = false;
    double unexplained = 0;
    GrayImage outside;
    if (usable) {
      unexplained = UnexplainedInk(*bare, *text, &any_ink, &outside);
      any_ink = true;  // it has visible or hidden text; OCR only if pictures need it
    } else {
      auto look = d.pdf->RenderPage(page, kInkCheckDpi, PdfDocument::Edges::kSharp);
      if (!look.ok()) return look.status();
      unexplained = UnexplainedInk(*look, PageText(), &any_ink);
    }
    // Ink of a few characters outside the text layer is enough: a screenshot of one line
    // holds a whole address.
    ocr = any_ink && (!usable || unexplained > kUnexplainedInkShare) && !d.options.typeset;
    // Per region: the page is read by OCR only if some picture on it holds text.
    if (ocr && usable && d.options.ocr == OcrMode::kAuto) {
      auto reads = UnexplainedInkReadsAsText(*d.pdf, page, outside, *text);
      if (!reads.ok()) return reads.status();
      ocr = *reads;
    }
    if (d.options.ocr == OcrMode::kNever) {
      if (ocr && !usable) return d.NeedsOcr(page);
      ocr = false;
    }
  }
  if (!ocr) return text;
  info->ocr_read = true;
  auto raster = d.pdf->RenderPage(page, d.options.ocr_dpi);
  if (!raster.ok()) return raster.status();
  if (!usable) {
    // A scan: the release keeps the OCR resolution, upright and straight.
    info->dpi = d.options.ocr_dpi;
    info->source = PageSource::kOcr;
    return d.OcrScan(page, std::move(*raster), info);
  }
  auto result = RecognizePage(std::move(*raster));
  if (!result.ok()) return result.status();
  info->mean_confidence = result->mean_confidence;
  info->ocr_words = MergeOcrWords(&*text, result->words, result->space_after);
  if (info->ocr_words > 0) info->source = PageSource::kBoth;
  return text;
}

Result<GrayImage> DocumentReader::ReleaseRaster(int page, const PageInfo& info) {
  Impl& d = *impl_;
  if (!d.image && !d.pdf) {
    return Status::Unsupported("a text document has no page image",
                               "Text inputs are released as text.");
  }
  // A page read from its text layer is released bilevel: sharp edges, and quicker. Pages
  // that were OCR'd keep the smooth rendering Tesseract read.
  if (d.kept_scan && d.kept_scan->first == page) {
    GrayImage kept = std::move(d.kept_scan->second);
    d.kept_scan.reset();
    return kept;
  }
  const auto edges = info.source == PageSource::kTextLayer ? PdfDocument::Edges::kSharp
                                                           : PdfDocument::Edges::kSmooth;
  Result<GrayImage> raster =
      d.image ? d.image->Page(page) : d.pdf->RenderPage(page, info.dpi, edges);
  if (!raster.ok()) return raster;
  if (info.turns == 0 && info.skew == 0) return raster;
  GrayImage straight = RotateByAngle(RotateQuarterTurns(std::move(*raster), info.turns), info.skew);
  if (straight.pixels.empty()) {
    return Status::Engine("page " + std::to_string(page) + " could not be straightened",
                          "Leptonica could not allocate the page; raise --max-memory-mb.");
  }
  return straight;
}

}  // namespace redact
