#include "pipeline/extract/pdf_document.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>

#include <cmath>
#include <cstring>
#include <mutex>

#include "pipeline/extract/page_text_builder.h"

namespace redact {
namespace {

// Poppler reports syntax errors on stderr by default; a batch over damaged files would drown
// the progress line. The errors that matter reach us as a failed load or an empty page.
void QuietPoppler(const std::string&, void*) {}

void InstallQuietErrorHandler() {
  static std::once_flag once;
  std::call_once(once, [] { poppler::set_debug_error_function(&QuietPoppler, nullptr); });
}

std::string ToUtf8(const poppler::ustring& s) {
  auto bytes = s.to_utf8();
  return std::string(bytes.begin(), bytes.end());
}

Box ToBox(const poppler::rectf& r) { return {r.left(), r.top(), r.right(), r.bottom()}; }

}  // namespace

struct PdfDocument::Impl {
  std::unique_ptr<poppler::document> doc;
  PdfLimits limits;
};

PdfDocument::PdfDocument(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PdfDocument::~PdfDocument() = default;

Result<std::unique_ptr<PdfDocument>> PdfDocument::Open(const std::string& path,
                                                       const std::string& password,
                                                       const PdfLimits& limits) {
  InstallQuietErrorHandler();
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_file(path, password, password));
  if (!doc) {
    return Status::InvalidInput(
        "the PDF cannot be parsed (damaged, truncated or not really a PDF)",
        "Open it in a PDF reader; if it opens, print it to a new PDF and submit that.");
  }
  if (doc->is_locked()) {
    return Status::Encrypted(
        password.empty() ? "the PDF is password-protected"
                         : "the PDF is password-protected and the password given does not open it",
        "Run again with --password, or ask the author for an unprotected copy.");
  }
  int pages = doc->pages();
  if (pages <= 0) {
    return Status::InvalidInput("the PDF has no pages",
                                "The file may be damaged; export it again from its source.");
  }
  if (pages > limits.max_pages) {
    return Status::TooLarge("the PDF has " + std::to_string(pages) + " pages, over the limit of " +
                                std::to_string(limits.max_pages),
                            "Split the document, or raise --max-pages.");
  }
  auto impl = std::make_unique<Impl>();
  impl->doc = std::move(doc);
  impl->limits = limits;
  return std::unique_ptr<PdfDocument>(new PdfDocument(std::move(impl)));
}

int PdfDocument::page_count() const { return impl_->doc->pages(); }

Result<Box> PdfDocument::PageSize(int page) const {
  std::unique_ptr<poppler::page> p(impl_->doc->create_page(page - 1));
  if (!p) return Status::InvalidInput("page " + std::to_string(page) + " cannot be read");
  poppler::rectf r = p->page_rect(poppler::crop_box);
  double w = r.width(), h = r.height();
  auto o = p->orientation();
  if (o == poppler::page::landscape || o == poppler::page::seascape) std::swap(w, h);
  if (!(w > 0 && h > 0) || w > 14400 || h > 14400) {
    return Status::InvalidInput("page " + std::to_string(page) + " has an invalid size");
  }
  return Box{0, 0, w, h};
}

Result<PageText> PdfDocument::ExtractPageText(int page) const {
  std::unique_ptr<poppler::page> p(impl_->doc->create_page(page - 1));
  if (!p) return Status::InvalidInput("page " + std::to_string(page) + " cannot be read");
  auto size = PageSize(page);
  if (!size.ok()) return size.status();
  std::vector<Word> words;
  std::vector<bool> space_after;
  for (const poppler::text_box& tb : p->text_list()) {
    Word w;
    w.text = ToUtf8(tb.text());
    if (w.text.empty()) continue;
    w.box = ToBox(tb.bbox());
    size_t n_chars = tb.text().size();
    w.char_boxes.reserve(n_chars);
    for (size_t i = 0; i < n_chars; ++i) {
      Box b = ToBox(tb.char_bbox(i));
      if (b.empty() && !w.char_boxes.empty()) b = w.char_boxes.back();
      if (b.empty()) b = w.box;
      w.char_boxes.push_back(b);
    }
    // ustring is UTF-16; a surrogate pair is one code point but two units. Keep one box per
    // code point so the byte map stays aligned.
    size_t code_points = 0;
    for (size_t i = 0; i < w.text.size(); ++i) {
      if ((static_cast<unsigned char>(w.text[i]) & 0xC0) != 0x80) ++code_points;
    }
    w.char_boxes.resize(code_points, w.box);
    words.push_back(std::move(w));
    space_after.push_back(tb.has_space_after());
  }
  return BuildPageText(page, size->width(), size->height(), std::move(words), space_after);
}

Result<GrayImage> PdfDocument::RenderPage(int page, double dpi) const {
  auto size = PageSize(page);
  if (!size.ok()) return size.status();
  double px = (size->width() * dpi / 72.0) * (size->height() * dpi / 72.0);
  if (px > impl_->limits.max_page_pixels) {
    return Status::TooLarge("page " + std::to_string(page) + " would need " +
                                std::to_string(int64_t(px)) + " pixels at " +
                                std::to_string(int(dpi)) + " DPI",
                            "The page is implausibly large. If the file is trusted, lower --dpi or "
                            "raise --max-page-pixels.");
  }
  std::unique_ptr<poppler::page> p(impl_->doc->create_page(page - 1));
  if (!p) return Status::InvalidInput("page " + std::to_string(page) + " cannot be read");
  poppler::page_renderer renderer;
  renderer.set_image_format(poppler::image::format_gray8);
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_paper_color(0xFFFFFFFF);
  poppler::image img = renderer.render_page(p.get(), dpi, dpi);
  if (!img.is_valid() || img.width() <= 0 || img.height() <= 0) {
    return Status::Engine("page " + std::to_string(page) + " could not be rendered");
  }
  GrayImage out;
  out.width = img.width();
  out.height = img.height();
  out.dpi = dpi;
  out.pixels.resize(size_t(out.width) * size_t(out.height));
  const char* data = img.const_data();
  for (int y = 0; y < out.height; ++y) {
    std::memcpy(out.pixels.data() + size_t(y) * size_t(out.width),
                data + size_t(y) * size_t(img.bytes_per_row()), size_t(out.width));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> PdfDocument::InfoEntries() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& key : impl_->doc->info_keys()) {
    out.emplace_back(key, ToUtf8(impl_->doc->info_key(key)));
  }
  return out;
}

}  // namespace redact
