#include "pipeline/extract/pdf_document.h"

#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>
// Poppler's own API (libpoppler-private-dev) for rendering: one SplashOutputDev kept for the
// whole document keeps its fonts and glyph cache from page to page, where poppler-cpp's
// page_renderer builds a new one, reloading every font, for each page.
#include <PDFDoc.h>
#include <SplashOutputDev.h>
#include <goo/GooString.h>
#include <splash/SplashBitmap.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>

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

// Renders grey pages, leaving the page's coverage in the alpha channel: RenderPage lays the
// page on white paper while copying it out, which is cheaper than Splash's general-purpose
// compositing at the end of each page.
class GrayPageRenderer : public SplashOutputDev {
 public:
  GrayPageRenderer(SplashColorPtr paper, bool smooth)
      : SplashOutputDev(splashModeMono8, 1, false, paper, true, splashThinLineDefault) {
    setFontAntialias(smooth);
    setVectorAntialias(smooth);
    setFreeTypeHinting(false, false);
  }
  void endPage() override {}
};

}  // namespace

struct PdfDocument::Impl {
  using Edges = PdfDocument::Edges;
  // Destroyed in reverse order: the renderer before the document it was started on, and both
  // before poppler-cpp's document (which holds Poppler's global parameters).
  std::unique_ptr<poppler::document> doc;
  PdfLimits limits;
  std::string path;
  std::string password;
  SplashColor paper = {255, 255, 255, 255};
  std::unique_ptr<PDFDoc> render_doc;              // opened on the first render
  std::unique_ptr<GrayPageRenderer> renderers[2];  // by Edges
  bool render_failed = false;

  GrayPageRenderer* Renderer(Edges edges) {
    if (render_failed) return nullptr;
    auto& r = renderers[edges == Edges::kSmooth ? 1 : 0];
    if (r) return r.get();
    if (!render_doc && !OpenRenderDoc()) return nullptr;
    r = std::make_unique<GrayPageRenderer>(paper, edges == Edges::kSmooth);
    r->startDoc(render_doc.get());
    return r.get();
  }

  bool OpenRenderDoc() {
    std::optional<GooString> pw;
    if (!password.empty()) pw = GooString(password);
    render_doc = std::make_unique<PDFDoc>(std::make_unique<GooString>(path), pw, pw);
    if (!render_doc->isOk() || render_doc->getNumPages() != doc->pages()) {
      render_doc.reset();
      render_failed = true;  // poppler-cpp's renderer is used instead
      return false;
    }
    return true;
  }
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
  impl->path = path;
  impl->password = password;
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

Result<GrayImage> PdfDocument::RenderPage(int page, double dpi, Edges edges) const {
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
  GrayImage out;
  out.dpi = dpi;
  if (GrayPageRenderer* renderer = impl_->Renderer(edges)) {
    // Same page box, rotation and options as poppler-cpp's page_renderer.
    impl_->render_doc->displayPageSlice(renderer, page, dpi, dpi, 0, false, true, false, -1, -1, -1,
                                        -1);
    SplashBitmap* bitmap = renderer->getBitmap();
    if (!bitmap || bitmap->getWidth() <= 0 || bitmap->getHeight() <= 0) {
      return Status::Engine("page " + std::to_string(page) + " could not be rendered");
    }
    out.width = bitmap->getWidth();
    out.height = bitmap->getHeight();
    out.pixels.resize(size_t(out.width) * size_t(out.height));
    const unsigned char* color = bitmap->getDataPtr();
    const unsigned char* alpha = bitmap->getAlphaPtr();
    const size_t row = size_t(bitmap->getRowSize()), alpha_row = size_t(bitmap->getAlphaRowSize());
    for (int y = 0; y < out.height; ++y) {
      const unsigned char* c = color + size_t(y) * row;
      const unsigned char* a = alpha ? alpha + size_t(y) * alpha_row : nullptr;
      uint8_t* o = out.pixels.data() + size_t(y) * size_t(out.width);
      if (!a) {
        std::memcpy(o, c, size_t(out.width));
        continue;
      }
      // White paper under the page: 255 - (255 - colour) * coverage / 255, rounded, in 16-bit
      // arithmetic the compiler vectorises.
      for (int x = 0; x < out.width; ++x) {
        const uint16_t ink = uint16_t(uint16_t(255 - c[x]) * a[x] + 128);
        o[x] = uint8_t(255 - ((ink + (ink >> 8)) >> 8));
      }
    }
    return out;
  }
  std::unique_ptr<poppler::page> p(impl_->doc->create_page(page - 1));
  if (!p) return Status::InvalidInput("page " + std::to_string(page) + " cannot be read");
  poppler::page_renderer renderer;
  renderer.set_image_format(poppler::image::format_gray8);
  renderer.set_render_hint(poppler::page_renderer::antialiasing, edges == Edges::kSmooth);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, edges == Edges::kSmooth);
  renderer.set_paper_color(0xFFFFFFFF);
  poppler::image img = renderer.render_page(p.get(), dpi, dpi);
  if (!img.is_valid() || img.width() <= 0 || img.height() <= 0) {
    return Status::Engine("page " + std::to_string(page) + " could not be rendered");
  }
  out.width = img.width();
  out.height = img.height();
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
