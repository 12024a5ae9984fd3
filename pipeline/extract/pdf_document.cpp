#include "pipeline/extract/pdf_document.h"

#include <poppler-document.h>
#include <poppler-embedded-file.h>
#include <poppler-global.h>
#include <poppler-page.h>
#include <poppler-toc.h>
// Poppler's own API (libpoppler-private-dev) for rendering: one SplashOutputDev kept for the
// whole document keeps its fonts and glyph cache from page to page, where poppler-cpp's
// page_renderer builds a new one, reloading every font, for each page.
#include <Annot.h>
#include <Form.h>
#include <OptionalContent.h>
#include <PDFDoc.h>
#include <Page.h>
#include <SplashOutputDev.h>
#include <StructElement.h>
#include <StructTreeRoot.h>
#include <TextOutputDev.h>
#include <UTF.h>
#include <goo/GooString.h>
#include <splash/SplashBitmap.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>

#include "pipeline/core/page_text_builder.h"
#include "pipeline/core/text.h"

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
  GrayPageRenderer(SplashColorPtr paper, bool smooth_vectors, bool smooth_glyphs)
      : SplashOutputDev(splashModeMono8, 1, false, paper, true, splashThinLineDefault) {
    setFontAntialias(smooth_glyphs);
    setVectorAntialias(smooth_vectors);
    setFreeTypeHinting(false, false);
  }
  void endPage() override {}
};

// Draws everything but text: compared with a full rendering, it shows which words leave a
// mark on the page.
class NoTextPageRenderer : public GrayPageRenderer {
 public:
  using GrayPageRenderer::GrayPageRenderer;
  void drawChar(GfxState*, double, double, double, double, double, double, CharCode, int,
                const Unicode*, int) override {}
  bool beginType3Char(GfxState*, double, double, double, double, CharCode, const Unicode*,
                      int) override {
    return true;  // "already drawn": Poppler skips the glyph's procedure
  }
};

bool NoAnnotations(Annot*, void*) { return false; }

// Bitmaps up to this size stay with their renderer between pages (A4 at 200 DPI is ~4 MB).
constexpr size_t kKeptBitmapBytes = size_t(6) << 20;

// A PDF text string (PDFDocEncoding, or UTF-16 with a byte-order mark) as UTF-8.
std::string PdfString(const GooString* s) {
  if (!s) return {};
  Unicode* u = nullptr;
  int n = TextStringToUCS4(s->toStr(), &u);
  std::string out;
  for (int i = 0; i < n; ++i) out += EncodeUtf8(char32_t(u[i]));
  gfree(u);
  return out;
}

const char* AnnotKind(Annot::AnnotSubtype t) {
  switch (t) {
    case Annot::typeText:
      return "comment (note)";
    case Annot::typeFreeText:
      return "comment (free text)";
    case Annot::typeHighlight:
    case Annot::typeUnderline:
    case Annot::typeSquiggly:
    case Annot::typeStrikeOut:
      return "comment (markup)";
    case Annot::typeStamp:
      return "stamp";
    case Annot::typeFileAttachment:
      return "attachment (on the page)";
    case Annot::typeWidget:
      return "form field";
    default:
      return "annotation";
  }
}

}  // namespace

struct PdfDocument::Impl {
  using Edges = PdfDocument::Edges;
  using Content = PdfDocument::Content;
  // Destroyed in reverse order: the renderer before the document it was started on, and both
  // before poppler-cpp's document (which holds Poppler's global parameters).
  std::unique_ptr<poppler::document> doc;
  PdfLimits limits;
  std::string path;
  std::string password;
  SplashColor paper = {255, 255, 255, 255};
  std::unique_ptr<PDFDoc> render_doc;              // opened on the first render
  std::unique_ptr<GrayPageRenderer> renderers[6];  // by Edges and Content
  bool render_failed = false;

  GrayPageRenderer* Renderer(Edges edges, Content content) {
    if (render_failed) return nullptr;
    auto& r = renderers[int(edges) * 2 + (content == Content::kNoText ? 1 : 0)];
    if (r) return r.get();
    if (!render_doc && !OpenRenderDoc()) return nullptr;
    const bool smooth_vectors = edges != Edges::kSharp;
    const bool smooth_glyphs = edges == Edges::kSmooth;
    if (content == Content::kNoText) {
      r = std::make_unique<NoTextPageRenderer>(paper, smooth_vectors, smooth_glyphs);
    } else {
      r = std::make_unique<GrayPageRenderer>(paper, smooth_vectors, smooth_glyphs);
    }
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

Result<GrayImage> PdfDocument::RenderPage(int page, double dpi, Edges edges, Content content,
                                          const Box& area) const {
  auto size = PageSize(page);
  if (!size.ok()) return size.status();
  // A slice of the page in pixels, or all of it (-1).
  int slice_x = -1, slice_y = -1, slice_w = -1, slice_h = -1;
  if (!area.empty()) {
    const double s = dpi / 72.0;
    slice_x = std::max(0, int(std::floor(area.x0 * s)));
    slice_y = std::max(0, int(std::floor(area.y0 * s)));
    slice_w = std::min(int(std::ceil(size->width() * s)), int(std::ceil(area.x1 * s))) - slice_x;
    slice_h = std::min(int(std::ceil(size->height() * s)), int(std::ceil(area.y1 * s))) - slice_y;
    if (slice_w <= 0 || slice_h <= 0) {
      return Status::InvalidInput("page " + std::to_string(page) + ": the area is off the page");
    }
  }
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
  if (GrayPageRenderer* renderer = impl_->Renderer(edges, content)) {
    // Same page box (crop box), rotation and options as poppler-cpp's page_renderer.
    impl_->render_doc->displayPageSlice(renderer, page, dpi, dpi, 0, false, true, false, slice_x,
                                        slice_y, slice_w, slice_h, nullptr, nullptr, &NoAnnotations,
                                        nullptr);
    // A large bitmap (an OCR page: 300 DPI, grey and coverage, ~17 MB) is taken from the
    // renderer (which keeps a 1x1 one in its place) and freed once the pixels are copied out;
    // a release-sized one stays for the next page to reuse, which saves allocating and
    // faulting in fresh memory for every page.
    std::unique_ptr<SplashBitmap> taken;
    SplashBitmap* bitmap = renderer->getBitmap();
    if (bitmap && size_t(bitmap->getRowSize()) * size_t(bitmap->getHeight()) > kKeptBitmapBytes) {
      taken.reset(renderer->takeBitmap());
      bitmap = taken.get();
    }
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
  return Status::Engine("page " + std::to_string(page) + " could not be rendered",
                        "Poppler could not open the file for rendering; print it to a new PDF "
                        "and submit that.");
}

namespace {

// The document's own metadata, XMP, bookmarks and attached files.
void DocumentLevelItems(poppler::document& doc, std::vector<HiddenItem>* items) {
  for (const std::string& key : doc.info_keys()) {
    std::string value = ToUtf8(doc.info_key(key));
    if (!value.empty()) items->push_back({"metadata", 0, key + ": " + value});
  }
  std::string xmp = ToUtf8(doc.metadata());
  if (!xmp.empty()) items->push_back({"xmp metadata", 0, xmp});
  std::unique_ptr<poppler::toc> toc(doc.create_toc());
  if (toc && toc->root()) {
    std::vector<poppler::toc_item*> todo = toc->root()->children();
    for (size_t i = 0; i < todo.size() && i < 10000; ++i) {
      items->push_back({"bookmark", 0, ToUtf8(todo[i]->title())});
      for (poppler::toc_item* c : todo[i]->children()) todo.push_back(c);
    }
  }
  if (doc.has_embedded_files()) {
    for (poppler::embedded_file* f : doc.embedded_files()) {
      std::string description = ToUtf8(f->description());
      items->push_back(
          {"attachment", 0, f->name() + (description.empty() ? "" : ": " + description)});
    }
  }
}

// Words of page `p` drawn outside its crop box: in the file, never shown. Empty when the crop
// box is the media box.
std::string TextOutsideCropBox(PDFDoc& raw, Page* page, int p) {
  const PDFRectangle* media = page->getMediaBox();
  const PDFRectangle* crop = page->getCropBox();
  if (!media || !crop ||
      !(crop->x1 > media->x1 || crop->y1 > media->y1 || crop->x2 < media->x2 ||
        crop->y2 < media->y2)) {
    return {};
  }
  TextOutputDev text(nullptr, false, 0, false, false);
  raw.displayPage(&text, p, 72, 72, 0, true, false, false, nullptr, nullptr, &NoAnnotations,
                  nullptr);
  std::unique_ptr<TextWordList> list = text.makeWordList();
  std::string outside;
  for (int i = 0; list && i < list->getLength(); ++i) {
    TextWord* w = list->get(i);
    double x0, y0, x1, y1;
    w->getBBox(&x0, &y0, &x1, &y1);
    // Word boxes are from the media box's top left; the crop box is in PDF space.
    const double px0 = media->x1 + x0, px1 = media->x1 + x1;
    const double py0 = media->y2 - y1, py1 = media->y2 - y0;
    if (px1 <= crop->x1 || px0 >= crop->x2 || py1 <= crop->y1 || py0 >= crop->y2) {
      std::unique_ptr<GooString> s(w->getText());
      if (!outside.empty()) outside += ' ';
      outside += s ? s->toStr() : std::string();
    }
  }
  return outside;
}

// Page `p`'s annotations (but links, popups and widgets), off-crop text and form fields with
// their values.
void PageItems(PDFDoc& raw, Page* page, int p, std::vector<HiddenItem>* items) {
  if (Annots* annots = page->getAnnots()) {
    for (Annot* a : annots->getAnnots()) {
      const Annot::AnnotSubtype t = a->getType();
      // Form fields are listed below, with their values.
      if (t == Annot::typeLink || t == Annot::typePopup || t == Annot::typeWidget) continue;
      items->push_back({AnnotKind(t), p, PdfString(a->getContents())});
    }
  }
  std::string outside = TextOutsideCropBox(raw, page, p);
  if (!outside.empty()) items->push_back({"text outside the crop box", p, std::move(outside)});
  std::unique_ptr<FormPageWidgets> widgets = page->getFormWidgets();
  for (int w = 0; widgets && w < widgets->getNumWidgets(); ++w) {
    FormField* field = widgets->getWidget(w)->getField();
    if (!field) continue;
    std::string text = PdfString(field->getPartialName());
    // The value (/V) straight from the field's dictionary, whatever the field's type.
    Object* dict = field->getObj();
    if (dict && dict->isDict()) {
      Object v = dict->dictLookup("V");
      std::string value = v.isString() ? PdfString(v.getString())
                          : v.isName() ? std::string(v.getName())
                                       : std::string();
      if (!value.empty()) text += ": " + value;
    }
    items->push_back({"form field", p, text});
  }
}

// Each incremental update ends with its own %%EOF: the bytes of every earlier revision are
// still in the file.
void EarlierRevisions(const std::string& path, std::vector<HiddenItem>* items) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t eofs = 0;
  for (size_t at = bytes.find("%%EOF"); at != std::string::npos; at = bytes.find("%%EOF", at + 5)) {
    ++eofs;
  }
  if (eofs > 1) {
    items->push_back({"earlier revisions", 0,
                      std::to_string(eofs - 1) +
                          " incremental update(s): the file still holds the bytes of " +
                          std::to_string(eofs - 1) + " earlier version(s)"});
  }
}

}  // namespace

std::vector<HiddenItem> PdfDocument::HiddenContent() const {
  std::vector<HiddenItem> items;
  DocumentLevelItems(*impl_->doc, &items);
  if (!impl_->render_doc && !impl_->OpenRenderDoc()) return items;
  PDFDoc& raw = *impl_->render_doc;
  for (int p = 1; p <= raw.getNumPages(); ++p) {
    if (Page* page = raw.getPage(p)) PageItems(raw, page, p, &items);
  }
  if (OCGs* ocgs = raw.getOptContentConfig()) {
    for (const auto& [ref, ocg] : ocgs->getOCGs()) {
      if (ocg->getState() == OptionalContentGroup::Off) {
        items.push_back({"layer switched off", 0, PdfString(ocg->getName())});
      }
    }
  }
  EarlierRevisions(impl_->path, &items);
  return items;
}

namespace {

// (Not the text its content shows: Poppler reads that by running the page's content once per
// element, far too slow for a page of many boxes; the self-check compares with the page's text.)
void CollectStructureTexts(PDFDoc& doc, const StructElement* e, int depth,
                           std::vector<StructureText>* out) {
  // Deeper than any tree we write; a cycle Poppler did not catch ends here.
  if (!e || e->isContent() || depth > 256) return;
  const std::pair<const char*, const GooString*> said[] = {{"ActualText", e->getActualText()},
                                                           {"Alt", e->getAltText()},
                                                           {"E", e->getExpandedAbbr()},
                                                           {"T", e->getTitle()}};
  for (const auto& [key, value] : said) {
    if (!value) continue;
    Ref ref;
    const int page = e->getPageRef(ref) ? doc.findPage(ref) : 0;
    out->push_back({e->getTypeName() ? e->getTypeName() : "", key, PdfString(value), page});
  }
  for (unsigned i = 0; i < e->getNumChildren(); ++i) {
    CollectStructureTexts(doc, e->getChild(int(i)), depth + 1, out);
  }
}

}  // namespace

Result<std::vector<StructureText>> PdfDocument::StructureTexts() const {
  if (!impl_->render_doc && !impl_->OpenRenderDoc()) {
    return Status::Engine("Poppler cannot open the PDF to read its structure tree");
  }
  std::vector<StructureText> out;
  const StructTreeRoot* root = impl_->render_doc->getStructTreeRoot();
  if (!root) return out;
  for (unsigned i = 0; i < root->getNumChildren(); ++i) {
    CollectStructureTexts(*impl_->render_doc, root->getChild(int(i)), 0, &out);
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
