#include "pipeline/extract/text_printout.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <memory>
#include <string_view>

#include "pipeline/core/files.h"
#include "pipeline/core/text.h"

namespace redact {
namespace {

// US Letter in points and 2 cm margins: the page LibreOffice printed messages on before
// (its default), so that a message wraps where it did then and reads as the same words.
constexpr double kPageWidth = 612;
constexpr double kPageHeight = 792;
constexpr double kMargin = 56.693;
// The face LibreOffice printed messages in (its default, DejaVu Serif): lines break where they
// did, so a name or an address that was on one line still is.
constexpr const char* kFont = "DejaVu Serif,serif 10";
// Text laid out at once: a layout's cost grows with its text, and a message may be megabytes.
constexpr size_t kChunkBytes = 32 * 1024;

// `text` as Pango may be given it: valid UTF-8 without control characters but tab and line
// feed (a carriage return among them; Pango would draw the others as hex boxes).
std::string Printable(const std::string& text) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (char ch : valid) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) continue;
    out += ch;
  }
  // C1 control characters (U+0080..U+009F, two bytes: C2 80..C2 9F) are no more printable.
  std::string kept;
  kept.reserve(out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    if (static_cast<unsigned char>(out[i]) == 0xC2 && i + 1 < out.size() &&
        static_cast<unsigned char>(out[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(out[i + 1]) <= 0x9F) {
      ++i;
      continue;
    }
    kept += out[i];
  }
  return kept;
}

// A character no installed font has is drawn by Pango as a box of hex digits: ink, but no
// text, so the character would be lost to the text layer (and the box read by OCR). Drawn
// instead as its font's missing-glyph box, it keeps its character: Cairo writes each glyph
// with the text it stands for.
void DrawMissingAsNotdef(PangoLayoutLine* line) {
  for (GSList* r = line->runs; r; r = r->next) {
    auto* run = static_cast<PangoGlyphItem*>(r->data);
    for (int i = 0; i < run->glyphs->num_glyphs; ++i) {
      PangoGlyphInfo& g = run->glyphs->glyphs[i];
      if (g.glyph & PANGO_GLYPH_UNKNOWN_FLAG) g.glyph = 0;
    }
  }
}

// The end of the next chunk of `text` from `start`: after a line feed where there is one
// within kChunkBytes, else after a space, else at a character boundary (a line that long
// wraps anyway; the forced break is one more wrap).
size_t ChunkEnd(std::string_view text, size_t start) {
  if (text.size() - start <= kChunkBytes) return text.size();
  const std::string_view window = text.substr(start, kChunkBytes);
  size_t cut = window.rfind('\n');
  if (cut == std::string_view::npos) cut = window.rfind(' ');
  if (cut != std::string_view::npos) return start + cut + 1;
  size_t end = start + kChunkBytes;
  while (end > start && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return end;
}

// How a chunk of text may break into lines: never with a hyphen added, and not after a hyphen
// within a word ("content-type", "jane-smith@example.org"): a reader, and the pipeline that
// joins a line ending in a hyphen to the next, would take it for a hyphenated word and drop
// the hyphen. (A word longer than a line still breaks, between other characters.)
PangoAttrList* KeepWordsWhole(std::string_view chunk) {
  PangoAttrList* attrs = pango_attr_list_new();
  pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
  for (size_t i = 0; i + 1 < chunk.size(); ++i) {
    if (chunk[i] != '-' || chunk[i + 1] == ' ' || chunk[i + 1] == '\n' || chunk[i + 1] == '\t') {
      continue;
    }
    PangoAttribute* keep = pango_attr_allow_breaks_new(FALSE);
    keep->start_index = guint(i);
    keep->end_index = guint(i + 1 + Utf8SequenceLength(static_cast<unsigned char>(chunk[i + 1])));
    pango_attr_list_insert(attrs, keep);
  }
  return attrs;
}

cairo_status_t AppendToString(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct CairoSurfaceFree {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct CairoFree {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
struct GObjectFree {
  void operator()(void* o) const { g_object_unref(o); }
};
struct FontDescriptionFree {
  void operator()(PangoFontDescription* d) const { pango_font_description_free(d); }
};
struct AttrListFree {
  void operator()(PangoAttrList* a) const { pango_attr_list_unref(a); }
};
struct LayoutIterFree {
  void operator()(PangoLayoutIter* i) const { pango_layout_iter_free(i); }
};

}  // namespace

Status PrintTextToPdf(const std::string& text, const std::string& pdf_path) {
  const std::string printable = Printable(text);
  std::string pdf;
  {
    std::unique_ptr<cairo_surface_t, CairoSurfaceFree> surface(
        cairo_pdf_surface_create_for_stream(AppendToString, &pdf, kPageWidth, kPageHeight));
    std::unique_ptr<cairo_t, CairoFree> cr(cairo_create(surface.get()));
    std::unique_ptr<PangoLayout, GObjectFree> layout(pango_cairo_create_layout(cr.get()));
    // Sizes in points: a PDF's unit is the point (Pango would take a screen's 96 per inch).
    pango_cairo_context_set_resolution(pango_layout_get_context(layout.get()), 72);
    pango_layout_context_changed(layout.get());
    std::unique_ptr<PangoFontDescription, FontDescriptionFree> font(
        pango_font_description_from_string(kFont));
    pango_layout_set_font_description(layout.get(), font.get());
    pango_layout_set_width(layout.get(), int((kPageWidth - 2 * kMargin) * PANGO_SCALE));
    pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
    cairo_set_source_rgb(cr.get(), 0, 0, 0);

    const double text_height = kPageHeight - 2 * kMargin;
    double y = 0;  // from the top of the page's text area to the next line
    size_t start = 0;
    do {
      size_t end = ChunkEnd(printable, start);
      // The chunk's last line feed ends its last paragraph; the next chunk starts afresh.
      size_t length = end - start;
      if (length > 0 && printable[end - 1] == '\n') --length;
      pango_layout_set_text(layout.get(), printable.data() + start, int(length));
      std::unique_ptr<PangoAttrList, AttrListFree> attrs(
          KeepWordsWhole(std::string_view(printable).substr(start, length)));
      pango_layout_set_attributes(layout.get(), attrs.get());
      std::unique_ptr<PangoLayoutIter, LayoutIterFree> it(pango_layout_get_iter(layout.get()));
      do {
        PangoRectangle logical;
        pango_layout_iter_get_line_extents(it.get(), nullptr, &logical);
        const double height = double(logical.height) / PANGO_SCALE;
        if (y > 0 && y + height > text_height) {
          cairo_show_page(cr.get());
          y = 0;
        }
        const double baseline =
            double(pango_layout_iter_get_baseline(it.get()) - logical.y) / PANGO_SCALE;
        cairo_move_to(cr.get(), kMargin + double(logical.x) / PANGO_SCALE, kMargin + y + baseline);
        PangoLayoutLine* line = pango_layout_iter_get_line(it.get());
        DrawMissingAsNotdef(line);
        pango_cairo_show_layout_line(cr.get(), line);
        y += height;
      } while (pango_layout_iter_next_line(it.get()));
      start = end;
    } while (start < printable.size());
    cairo_show_page(cr.get());
    cairo_surface_finish(surface.get());
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
      return Status::Engine(std::string("the message could not be typeset: ") +
                            cairo_status_to_string(cairo_surface_status(surface.get())));
    }
  }
  return WriteFileAtomic(pdf_path, pdf);
}

}  // namespace redact
