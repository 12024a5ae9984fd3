#include "pipeline/write/release_pdf.h"

#include <qpdf/Buffer.hh>
#include <qpdf/Pipeline.hh>
#include <qpdf/Pl_Flate.hh>
#include <qpdf/Pl_String.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>

#include "pipeline/core/bytes.h"
#include "pipeline/core/files.h"
#include "pipeline/core/page_text_builder.h"
#include "pipeline/core/text.h"

namespace redact {
namespace {

// Type 3 fonts address 255 codes; a page with more distinct characters gets more fonts.
constexpr int kCodesPerFont = 255;
// Every glyph is 0.5 em wide; each word is sized and stretched to its box by its text matrix.
constexpr int kGlyphWidth = 500;

// A number for a content stream: two decimals at most, no trailing zeros ("12.5", "0").
std::string Num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
  if (ec != std::errc()) return "0";
  std::string s(buf, end);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0" || s.empty()) s = "0";
  return s;
}

void AppendHex2(std::string* out, int v) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  out->push_back(kDigits[(v >> 4) & 0xF]);
  out->push_back(kDigits[v & 0xF]);
}

std::string Hex2(int v) {
  std::string s;
  AppendHex2(&s, v);
  return s;
}

std::string Utf16Hex(char32_t c) {
  char buf[16];
  if (c < 0x10000) {
    std::snprintf(buf, sizeof buf, "%04X", unsigned(c));
  } else {
    char32_t v = c - 0x10000;
    std::snprintf(buf, sizeof buf, "%04X%04X", unsigned(0xD800 + (v >> 10)),
                  unsigned(0xDC00 + (v & 0x3FF)));
  }
  return buf;
}

// Maps code points to (font, code). ASCII keeps its own code in the first font, so a plain
// content stream stays readable when debugging.
class CodeMap {
 public:
  std::pair<int, int> Code(char32_t c) {
    // Printable ASCII is itself in font 0: most text, looked up without the map.
    if (c >= 0x20 && c < 0x7F) {
      if (!ascii_seen_[c - 0x20]) {
        ascii_seen_[c - 0x20] = true;
        by_font_[0][int(c)] = c;
        fonts_used_ = std::max(fonts_used_, 1);
      }
      return {0, int(c)};
    }
    auto it = codes_.find(c);
    if (it != codes_.end()) return it->second;
    std::pair<int, int> fc;
    while (true) {
      if (next_code_ > kCodesPerFont) {
        ++next_font_;
        next_code_ = 1;
      }
      fc = {next_font_, next_code_++};
      if (next_font_ == 0 && fc.second >= 0x20 && fc.second < 0x7F) continue;
      break;
    }
    codes_[c] = fc;
    fonts_used_ = std::max(fonts_used_, fc.first + 1);
    by_font_[fc.first][fc.second] = c;
    return fc;
  }
  // The code of a character Code() has already numbered; safe to call from many threads
  // once numbering is over.
  std::pair<int, int> Lookup(char32_t c) const {
    if (c >= 0x20 && c < 0x7F) return {0, int(c)};
    auto it = codes_.find(c);
    if (it == codes_.end()) throw std::logic_error("a character was not numbered before use");
    return it->second;
  }
  int fonts_used() const { return fonts_used_; }
  const std::map<int, char32_t>& font_codes(int font) { return by_font_[font]; }

 private:
  bool ascii_seen_[0x7F - 0x20] = {};
  std::map<char32_t, std::pair<int, int>> codes_;
  std::map<int, std::map<int, char32_t>> by_font_;
  int next_font_ = 0;
  int next_code_ = 1;
  int fonts_used_ = 0;
};

std::string ToUnicodeCMap(const std::map<int, char32_t>& codes) {
  std::string s =
      "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
      "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
      "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
      "1 begincodespacerange\n<00> <FF>\nendcodespacerange\n";
  std::vector<std::pair<int, char32_t>> v(codes.begin(), codes.end());
  for (size_t i = 0; i < v.size(); i += 100) {
    size_t n = std::min<size_t>(100, v.size() - i);
    s += std::to_string(n) + " beginbfchar\n";
    for (size_t k = i; k < i + n; ++k) {
      s += "<" + Hex2(v[k].first) + "> <" + Utf16Hex(v[k].second) + ">\n";
    }
    s += "endbfchar\n";
  }
  s += "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
  return s;
}

QPDFObjectHandle MakeFont(QPDF& pdf, const std::map<int, char32_t>& codes) {
  // One empty glyph serves every code: the text is never drawn (render mode 3).
  QPDFObjectHandle glyph = QPDFObjectHandle::newStream(&pdf, std::string("500 0 d0\n"));
  QPDFObjectHandle procs = QPDFObjectHandle::newDictionary();
  procs.replaceKey("/g", glyph);
  QPDFObjectHandle diffs = QPDFObjectHandle::newArray();
  diffs.appendItem(QPDFObjectHandle::newInteger(1));
  QPDFObjectHandle widths = QPDFObjectHandle::newArray();
  for (int c = 1; c <= kCodesPerFont; ++c) {
    diffs.appendItem(QPDFObjectHandle::newName("/g"));
    widths.appendItem(QPDFObjectHandle::newInteger(kGlyphWidth));
  }
  QPDFObjectHandle enc = QPDFObjectHandle::newDictionary();
  enc.replaceKey("/Type", QPDFObjectHandle::newName("/Encoding"));
  enc.replaceKey("/Differences", diffs);
  QPDFObjectHandle font = QPDFObjectHandle::parse(
      "<< /Type /Font /Subtype /Type3 /FontBBox [0 -200 1000 800] "
      "/FontMatrix [0.001 0 0 0.001 0 0] /FirstChar 1 /LastChar 255 /Resources << >> >>");
  font.replaceKey("/CharProcs", procs);
  font.replaceKey("/Encoding", enc);
  font.replaceKey("/Widths", widths);
  font.replaceKey("/ToUnicode", QPDFObjectHandle::newStream(&pdf, ToUnicodeCMap(codes)));
  // Its ascent and descent said, so that a reader's word boxes are the boxes we placed (0.8
  // above the baseline, 0.2 below): without them Poppler takes 0.95 and 0.35, and every
  // word of the text layer reaches into the lines above and below it.
  font.replaceKey("/FontDescriptor",
                  pdf.makeIndirectObject(QPDFObjectHandle::parse(
                      "<< /Type /FontDescriptor /FontName /RedactTextLayer /Flags 4 "
                      "/FontBBox [0 -200 1000 800] /ItalicAngle 0 /Ascent 800 /Descent -200 "
                      "/CapHeight 800 /StemV 80 >>")));
  return pdf.makeIndirectObject(font);
}

// One thing the text layer shows: a kept word, or the label over a redaction box.
struct LayerItem {
  const std::string* text = nullptr;
  Box box;
  bool label = false;
};

// The page's kept words in the order they come (the page's reading order), each redaction
// box's label put where the box sits among them: after the nearest word before it on its line,
// else before the nearest word after it, else (a box on a line of its own) after the lowest
// word above it in its column (over or under the box), else after the lowest word above it,
// else first.
std::vector<LayerItem> ReadingItems(const std::vector<KeptText>& words,
                                    const std::vector<ReleaseBox>& boxes) {
  struct Placed {
    double slot;  // i + 0.5: after word i; -0.5: before every word
    const ReleaseBox* box;
  };
  std::vector<Placed> placed;
  for (const ReleaseBox& b : boxes) {
    if (b.box.empty() || b.label.empty()) continue;
    const double cy = (b.box.y0 + b.box.y1) / 2, cx = (b.box.x0 + b.box.x1) / 2;
    double slot = -0.5;
    int before = -1, after = -1, above = -1, above_anywhere = -1;
    for (size_t i = 0; i < words.size(); ++i) {
      const Box& w = words[i].box;
      if (w.empty()) continue;
      const double wy = (w.y0 + w.y1) / 2, wx = (w.x0 + w.x1) / 2;
      const bool same_line = (cy > w.y0 && cy < w.y1) || (wy > b.box.y0 && wy < b.box.y1);
      if (same_line && wx < cx) {
        if (before < 0 || wx > (words[size_t(before)].box.x0 + words[size_t(before)].box.x1) / 2)
          before = int(i);
      } else if (same_line) {
        if (after < 0 || wx < (words[size_t(after)].box.x0 + words[size_t(after)].box.x1) / 2)
          after = int(i);
      } else if (w.y1 <= cy) {
        if (w.x0 < b.box.x1 && w.x1 > b.box.x0 &&
            (above < 0 || w.y1 >= words[size_t(above)].box.y1)) {
          above = int(i);
        }
        if (above_anywhere < 0 || w.y1 >= words[size_t(above_anywhere)].box.y1) {
          above_anywhere = int(i);
        }
      }
    }
    if (before >= 0) {
      slot = before + 0.5;
    } else if (after >= 0) {
      slot = after - 0.5;
    } else if (above >= 0 || above_anywhere >= 0) {
      // After the whole of that word's line, not inside it.
      size_t i = size_t(above >= 0 ? above : above_anywhere);
      while (i + 1 < words.size() && !StartsNewLine(words[i].box, words[i + 1].box)) ++i;
      slot = double(i) + 0.5;
    }
    placed.push_back({slot, &b});
  }
  std::stable_sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) {
    if (a.slot != b.slot) return a.slot < b.slot;
    if (a.box->box.y0 != b.box->box.y0) return a.box->box.y0 < b.box->box.y0;
    return a.box->box.x0 < b.box->box.x0;
  });
  std::vector<LayerItem> items;
  size_t next = 0;
  for (size_t i = 0; i <= words.size(); ++i) {
    while (next < placed.size() && placed[next].slot < double(i)) {
      items.push_back({&placed[next].box->label, placed[next].box->box, true});
      ++next;
    }
    if (i == words.size()) break;
    if (DecodeUtf8(words[i].text).empty() || words[i].box.empty()) continue;
    items.push_back({&words[i].text, words[i].box, false});
  }
  return items;
}

// A block of the page's structure: a heading or a paragraph, made of marked runs: kept words,
// or one box's label.
struct TaggedRun {
  int mcid = 0;
  bool is_label = false;
  std::string label;  // the box's label, its /ActualText
};
struct TaggedBlock {
  std::string type;  // "/P", "/H1", "/H2"
  std::vector<TaggedRun> runs;
};
// A page's blocks in reading order.
struct PageStructure {
  std::vector<TaggedBlock> blocks;
  int mcids = 0;
};

// Lines (StartsNewLine, as the page's reading makes them) grouped into blocks: a new block
// where a line goes back up the page (the next column), where the gap above it is wider than
// the page's usual gap between lines by 0.4 of a line, or where the line height changes by more
// than a quarter. A block of at most
// three lines taller than 1.25 times the page's usual line is a heading: H1 from 1.6 times.
// Returns, for each item, the index of its block, and each block's type.
std::pair<std::vector<size_t>, std::vector<std::string>> Blocks(
    const std::vector<LayerItem>& items) {
  struct Line {
    size_t first, last;  // items [first, last]
    Box box;             // of its words (a box is drawn taller than its line); else its labels
  };
  std::vector<Line> lines;
  Box labels;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i == 0 || StartsNewLine(items[i - 1].box, items[i].box)) {
      if (!lines.empty() && lines.back().box.empty()) lines.back().box = labels;
      lines.push_back({i, i, Box()});
      labels = Box();
    }
    lines.back().last = i;
    Box& grown = items[i].label ? labels : lines.back().box;
    grown = grown.United(items[i].box);
  }
  if (!lines.empty() && lines.back().box.empty()) lines.back().box = labels;
  std::vector<double> heights;
  for (const Line& l : lines) heights.push_back(l.box.height());
  double body = 0;
  if (!heights.empty()) {
    std::vector<double> sorted = heights;
    std::nth_element(sorted.begin(), sorted.begin() + long(sorted.size() / 2), sorted.end());
    body = sorted[sorted.size() / 2];
  }
  // The page's usual gap between the lines of a paragraph: the lower quartile of the gaps
  // between lines that follow down the page (paragraph gaps are the larger ones).
  std::vector<double> gaps;
  for (size_t k = 1; k < lines.size(); ++k) {
    const Box& a = lines[k - 1].box;
    const Box& b = lines[k].box;
    if (b.y0 >= a.y1 - 0.5 * a.height()) gaps.push_back(std::max(b.y0 - a.y1, 0.0));
  }
  double line_gap = -1;
  if (!gaps.empty()) {
    std::nth_element(gaps.begin(), gaps.begin() + long(gaps.size() / 4), gaps.end());
    line_gap = gaps[gaps.size() / 4];
  }
  std::vector<size_t> block_of(items.size(), 0);
  std::vector<std::vector<size_t>> block_lines;
  for (size_t k = 0; k < lines.size(); ++k) {
    bool starts = k == 0;
    if (!starts) {
      const Box& a = lines[k - 1].box;
      const Box& b = lines[k].box;
      const double h = std::max(std::min(a.height(), b.height()), 1.0);
      const double usual = line_gap >= 0 ? std::min(line_gap, 1.5 * h) : 0.2 * h;
      starts = b.y0 < a.y0 || b.y0 - a.y1 > usual + 0.4 * h ||
               std::abs(a.height() - b.height()) > 0.25 * std::max(a.height(), b.height());
    }
    if (starts) block_lines.emplace_back();
    block_lines.back().push_back(k);
  }
  std::vector<std::string> types;
  for (size_t b = 0; b < block_lines.size(); ++b) {
    double h = 0;
    for (size_t k : block_lines[b]) h = std::max(h, lines[k].box.height());
    std::string type = "/P";
    if (block_lines[b].size() <= 3 && lines.size() >= 4 && body > 0) {
      if (h >= 1.6 * body) {
        type = "/H1";
      } else if (h >= 1.25 * body) {
        type = "/H2";
      }
    }
    types.push_back(type);
    for (size_t k : block_lines[b]) {
      for (size_t i = lines[k].first; i <= lines[k].last; ++i) block_of[i] = b;
    }
  }
  return {block_of, types};
}

// Shows one item's characters in runs of one font, each with one Tj.
void ShowText(const std::vector<char32_t>& cps, const CodeMap& map, int* current_font,
              std::string* s) {
  bool open = false;
  for (char32_t c : cps) {
    auto [font, code] = map.Lookup(c);
    if (font != *current_font) {
      if (open) *s += "> Tj\n";
      open = false;
      *s += "/T" + std::to_string(font) + " 1 Tf\n";
      *current_font = font;
    }
    if (!open) *s += "<";
    open = true;
    AppendHex2(s, code);
  }
  if (open) *s += "> Tj\n";
}

// The invisible text layer of one page, tagged: each block's kept words one marked-content
// sequence, each box's label one of its own, numbered (MCID) in reading order; `structure`
// gets the blocks. Each item is placed by a text matrix that scales the unit-size font to the
// item's height and stretches it to its width, so fonts change (Tf) only when an item needs
// characters of another font. (A Tf per word made Poppler's text extraction re-examine the
// Type 3 font for every word.) A space is shown after an item where a reader would see one (a
// gap wider than a space's share of the line, or the line's end), so that the tagged text
// reads as words, as the page does.
std::string TextLayer(const std::vector<KeptText>& words, const std::vector<ReleaseBox>& boxes,
                      double page_height, const CodeMap& map, PageStructure* structure) {
  std::string s;
  const std::vector<LayerItem> items = ReadingItems(words, boxes);
  if (items.empty()) return s;
  const auto [block_of, types] = Blocks(items);
  s += "BT\n3 Tr\n";
  int current_font = -1;
  bool open = false;
  std::vector<char32_t> cps;
  for (size_t i = 0; i < items.size(); ++i) {
    const LayerItem& w = items[i];
    const bool new_block = i == 0 || block_of[i] != block_of[i - 1];
    if (new_block) structure->blocks.push_back({types[block_of[i]], {}});
    TaggedBlock& block = structure->blocks.back();
    if (new_block || w.label || items[i - 1].label) {
      if (open) s += "EMC\n";
      const int mcid = structure->mcids++;
      s += (w.label ? "/Span <</MCID " : block.type + " <</MCID ") + std::to_string(mcid) +
           ">> BDC\n";
      open = true;
      TaggedRun run;
      run.mcid = mcid;
      if (w.label) {
        run.is_label = true;
        run.label = *w.text;
      }
      block.runs.push_back(run);
    }
    cps = DecodeUtf8(*w.text);
    const double size = std::max(w.box.height(), 1.0);
    const double natural = double(cps.size()) * kGlyphWidth / 1000.0 * size;
    const double stretch = std::clamp(w.box.width() / natural, 0.01, 10.0);
    // Baseline near the bottom of the box (descenders take ~20% of the size).
    const double x = w.box.x0;
    const double y = page_height - (w.box.y1 - 0.2 * size);
    s += Num(size * stretch) + " 0 0 " + Num(size) + " " + Num(x) + " " + Num(y) + " Tm\n";
    const bool last_of_block = i + 1 == items.size() || block_of[i + 1] != block_of[i];
    if (!last_of_block) {
      const Box& next = items[i + 1].box;
      const bool spaced =
          StartsNewLine(w.box, next) || next.x0 - w.box.x1 > 0.12 * std::min(size, next.height());
      if (spaced) cps.push_back(U' ');
    }
    ShowText(cps, map, &current_font, &s);
  }
  if (open) s += "EMC\n";
  s += "ET\n";
  return s;
}

// Gives every character of a page its code, in the order TextLayer meets them, without
// writing the stream.
void AssignCodes(const std::vector<KeptText>& words, const std::vector<ReleaseBox>& boxes,
                 CodeMap* map) {
  if (!words.empty() || !boxes.empty()) map->Code(U' ');
  for (const KeptText& w : words) {
    if (w.box.empty()) continue;
    for (char32_t c : DecodeUtf8(w.text)) map->Code(c);
  }
  for (const ReleaseBox& b : boxes) {
    if (b.box.empty()) continue;
    for (char32_t c : DecodeUtf8(b.label)) map->Code(c);
  }
}

}  // namespace

namespace {

// What a page's text layer is made of.
struct PageLayer {
  std::vector<KeptText> words;
  std::vector<ReleaseBox> boxes;
};

// What the writer needs of each page, asked for when it is needed: the pages' image bytes and
// words can wait elsewhere (a spill file) until qpdf writes them out.
class PageAccess {
 public:
  struct Shape {
    double width = 0, height = 0;  // points
    ImageEncoding encoding = ImageEncoding::kG4;
    int pixel_width = 0, pixel_height = 0;
  };
  virtual ~PageAccess() = default;
  virtual size_t size() const = 0;
  virtual Shape PageShape(size_t i) const = 0;
  virtual Result<PageLayer> Layer(size_t i) const = 0;
  virtual Result<std::string> ImageBytes(size_t i) const = 0;
  // The page's content stream, compressed, made before writing and kept until qpdf asks for
  // it. StoreContent is called once per page, from any thread.
  virtual Status StoreContent(size_t i, std::string bytes) = 0;
  virtual Result<std::string> Content(size_t i) const = 0;
};

class MemoryPages : public PageAccess {
 public:
  explicit MemoryPages(const std::vector<ReleasePage>& pages) : pages_(pages) {}
  size_t size() const override { return pages_.size(); }
  Shape PageShape(size_t i) const override {
    const ReleasePage& p = pages_[i];
    return {p.width, p.height, p.image.encoding, p.image.width, p.image.height};
  }
  Result<PageLayer> Layer(size_t i) const override {
    return PageLayer{pages_[i].words, pages_[i].boxes};
  }
  Result<std::string> ImageBytes(size_t i) const override { return pages_[i].image.data; }
  Status StoreContent(size_t i, std::string bytes) override {
    contents_[i] = std::move(bytes);
    return Status::Ok();
  }
  Result<std::string> Content(size_t i) const override { return contents_[i]; }

 private:
  const std::vector<ReleasePage>& pages_;
  std::vector<std::string> contents_ = std::vector<std::string>(pages_.size());
};

// The kept words, then the boxes.
std::string SerializeLayer(const std::vector<KeptText>& words,
                           const std::vector<ReleaseBox>& boxes) {
  ByteWriter w;
  w.Put(uint64_t(words.size()));
  for (const KeptText& k : words) {
    w.PutString(k.text);
    w.Put(k.box);
  }
  w.Put(uint64_t(boxes.size()));
  for (const ReleaseBox& b : boxes) {
    w.PutString(b.label);
    w.Put(b.box);
  }
  return w.Take();
}

Result<PageLayer> ParseLayer(std::string_view bytes) {
  ByteReader r(bytes);
  uint64_t n = 0;
  PageLayer layer;
  bool ok = r.Get(&n) && n <= bytes.size();
  if (ok) layer.words.resize(size_t(n));
  for (size_t i = 0; ok && i < layer.words.size(); ++i) {
    ok = r.GetString(&layer.words[i].text) && r.Get(&layer.words[i].box);
  }
  ok = ok && r.Get(&n) && n <= bytes.size();
  if (ok) layer.boxes.resize(size_t(n));
  for (size_t i = 0; ok && i < layer.boxes.size(); ++i) {
    ok = r.GetString(&layer.boxes[i].label) && r.Get(&layer.boxes[i].box);
  }
  if (!ok || !r.done()) return Status::Engine("a page's kept words did not read back intact");
  return layer;
}

class SpilledPages : public PageAccess {
 public:
  SpilledPages(const std::vector<SpilledReleasePage>& pages, SpillFile& spill)
      : pages_(pages), spill_(spill), contents_(pages.size()) {}
  size_t size() const override { return pages_.size(); }
  Shape PageShape(size_t i) const override {
    const SpilledReleasePage& p = pages_[i];
    return {p.width, p.height, p.encoding, p.pixel_width, p.pixel_height};
  }
  Result<PageLayer> Layer(size_t i) const override {
    auto bytes = spill_.Read(pages_[i].words);
    if (!bytes.ok()) return bytes.status();
    return ParseLayer(*bytes);
  }
  Result<std::string> ImageBytes(size_t i) const override { return spill_.Read(pages_[i].image); }
  Status StoreContent(size_t i, std::string bytes) override {
    auto ref = spill_.Append(bytes);
    if (!ref.ok()) return ref.status();
    contents_[i] = *ref;
    return Status::Ok();
  }
  Result<std::string> Content(size_t i) const override { return spill_.Read(contents_[i]); }

 private:
  const std::vector<SpilledReleasePage>& pages_;
  SpillFile& spill_;
  std::vector<SpillFile::Ref> contents_;
};

// A Status on its way out of qpdf's callbacks, where only an exception gets out; caught, and
// returned as it was, by this file's public functions: nothing above them sees an exception.
struct Thrown {
  Status status;
};

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) throw Thrown{r.status()};
  return std::move(*r);
}

// The page content stream: the image over the whole page (an artifact: what it shows, the text
// layer says), then the invisible, tagged text layer; Flate-compressed (qpdf leaves a stream
// that is already compressed as it is). `structure` gets the page's blocks.
Result<std::string> CompressedPageContent(const PageAccess& pages, size_t i, const CodeMap& codes,
                                          PageStructure* structure) {
  auto layer = pages.Layer(i);
  if (!layer.ok()) return layer.status();
  const PageAccess::Shape shape = pages.PageShape(i);
  const std::string content = "/Artifact BMC\nq " + Num(shape.width) + " 0 0 " + Num(shape.height) +
                              " 0 0 cm /Im0 Do Q\nEMC\n" +
                              TextLayer(layer->words, layer->boxes, shape.height, codes, structure);
  std::string out;
  Pl_String sink("content", nullptr, out);
  Pl_Flate deflate("deflate", &sink, Pl_Flate::a_deflate);
  deflate.write(reinterpret_cast<const unsigned char*>(content.data()), content.size());
  deflate.finish();
  return out;
}

// Numbers every character (in page order, so the fonts do not depend on the thread count),
// then makes and compresses each page's content stream on `threads` threads.
Status PrepareContents(PageAccess* pages, CodeMap* codes, int threads,
                       std::vector<PageStructure>* structures) {
  for (size_t i = 0; i < pages->size(); ++i) {
    auto layer = pages->Layer(i);
    if (!layer.ok()) return layer.status();
    AssignCodes(layer->words, layer->boxes, codes);
  }
  structures->assign(pages->size(), PageStructure());
  const size_t n = pages->size();
  std::vector<Status> errors(n);
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        auto content = CompressedPageContent(*pages, i, *codes, &(*structures)[i]);
        errors[i] = content.ok() ? pages->StoreContent(i, std::move(*content)) : content.status();
      } catch (const Thrown& t) {
        errors[i] = t.status;
      } catch (const std::exception& e) {
        errors[i] = Status::Engine(std::string("cannot make a page's text layer: ") + e.what());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads && size_t(t) < n; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (const Status& e : errors) {
    if (!e.ok()) return e;
  }
  return Status::Ok();
}

// Gives qpdf one page's image or content when it writes that stream, so the file is written
// holding one page's bytes at a time. Every call for a stream gives the same bytes.
class PageStreamProvider : public QPDFObjectHandle::StreamDataProvider {
 public:
  PageStreamProvider(const PageAccess* pages, size_t index, bool image)
      : pages_(pages), index_(index), image_(image) {}
  void provideStreamData(QPDFObjGen const&, Pipeline* pipeline) override {
    std::string data = image_ ? Must(pages_->ImageBytes(index_)) : Must(pages_->Content(index_));
    pipeline->write(reinterpret_cast<const unsigned char*>(data.data()), data.size());
    pipeline->finish();
  }

 private:
  const PageAccess* pages_;
  size_t index_;
  bool image_;
};

// The bytes of the sRGB profile for the output intent, or why there are none.
Result<std::string> SrgbProfile(const WriterOptions& options) {
  std::vector<std::string> paths;
  if (!options.icc_profile.empty()) {
    paths.push_back(options.icc_profile);
  } else {
    paths.assign(std::begin(kSrgbProfilePaths), std::end(kSrgbProfilePaths));
  }
  for (const std::string& path : paths) {
    auto bytes = ReadFile(path, size_t(1) << 20);
    if (!bytes.ok()) continue;  // absent: the next place
    // An ICC profile: 'acsp' at byte 36, an RGB data colour space at byte 16.
    if (bytes->size() < 128 || bytes->compare(36, 4, "acsp") != 0 ||
        bytes->compare(16, 4, "RGB ") != 0) {
      return Status::MissingDependency(path + " is not an RGB ICC profile",
                                       "Reinstall Debian's icc-profiles-free package.");
    }
    return bytes;
  }
  std::string tried;
  for (const std::string& path : paths) tried += (tried.empty() ? "" : ", ") + path;
  return Status::MissingDependency(
      "no sRGB ICC profile for the release's PDF/A output intent (looked for " + tried + ")",
      "Install Debian's icc-profiles-free package (scripts/setup.sh does).");
}

std::string XmlEscaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 has no place for control characters (a name cannot hold them anyway).
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

// The XMP packet: PDF/A-2u's identification, the producer (as the Info dictionary says it)
// and the title. No dates, no ids, nothing of the draft: the same input gives the same bytes.
std::string Xmp(const WriterOptions& options, const std::string& title) {
  return "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
         "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
         "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
         "<rdf:Description rdf:about=\"\"\n"
         "  xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n"
         "  xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n"
         "  xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
         "<pdfaid:part>2</pdfaid:part>\n"
         "<pdfaid:conformance>U</pdfaid:conformance>\n"
         "<pdf:Producer>" +
         XmlEscaped(options.producer) +
         "</pdf:Producer>\n"
         "<dc:format>application/pdf</dc:format>\n"
         "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">" +
         XmlEscaped(title) +
         "</rdf:li></rdf:Alt></dc:title>\n"
         "</rdf:Description>\n"
         "</rdf:RDF>\n"
         "</x:xmpmeta>\n"
         "<?xpacket end=\"w\"?>";
}

QPDFObjectHandle Name(const std::string& name) { return QPDFObjectHandle::newName(name); }

// The structure tree: a Document of every page's blocks in reading order, each box's label a
// Span whose /ActualText is the label; each page's marked content found from the ParentTree.
void AddStructureTree(QPDF& pdf, std::vector<QPDFObjectHandle>& pages,
                      const std::vector<PageStructure>& structures) {
  QPDFObjectHandle root = pdf.makeIndirectObject(QPDFObjectHandle::newDictionary());
  root.replaceKey("/Type", Name("/StructTreeRoot"));
  QPDFObjectHandle document = pdf.makeIndirectObject(QPDFObjectHandle::newDictionary());
  document.replaceKey("/Type", Name("/StructElem"));
  document.replaceKey("/S", Name("/Document"));
  document.replaceKey("/P", root);
  QPDFObjectHandle blocks = QPDFObjectHandle::newArray();
  QPDFObjectHandle nums = QPDFObjectHandle::newArray();
  for (size_t i = 0; i < pages.size() && i < structures.size(); ++i) {
    const PageStructure& page = structures[i];
    if (page.mcids == 0) continue;
    std::vector<QPDFObjectHandle> owners(size_t(page.mcids), QPDFObjectHandle::newNull());
    for (const TaggedBlock& b : page.blocks) {
      QPDFObjectHandle block = pdf.makeIndirectObject(QPDFObjectHandle::newDictionary());
      block.replaceKey("/Type", Name("/StructElem"));
      block.replaceKey("/S", Name(b.type));
      block.replaceKey("/P", document);
      block.replaceKey("/Pg", pages[i]);
      QPDFObjectHandle kids = QPDFObjectHandle::newArray();
      for (const TaggedRun& run : b.runs) {
        if (!run.is_label) {
          kids.appendItem(QPDFObjectHandle::newInteger(run.mcid));
          owners[size_t(run.mcid)] = block;
          continue;
        }
        QPDFObjectHandle span = pdf.makeIndirectObject(QPDFObjectHandle::newDictionary());
        span.replaceKey("/Type", Name("/StructElem"));
        span.replaceKey("/S", Name("/Span"));
        span.replaceKey("/P", block);
        span.replaceKey("/Pg", pages[i]);
        span.replaceKey("/K", QPDFObjectHandle::newInteger(run.mcid));
        span.replaceKey("/ActualText", QPDFObjectHandle::newUnicodeString(run.label));
        kids.appendItem(span);
        owners[size_t(run.mcid)] = span;
      }
      block.replaceKey("/K", kids.getArrayNItems() == 1 ? kids.getArrayItem(0) : kids);
      blocks.appendItem(block);
    }
    QPDFObjectHandle owned = QPDFObjectHandle::newArray();
    for (const QPDFObjectHandle& o : owners) owned.appendItem(o);
    nums.appendItem(QPDFObjectHandle::newInteger(long(i)));
    nums.appendItem(pdf.makeIndirectObject(owned));
    pages[i].replaceKey("/StructParents", QPDFObjectHandle::newInteger(long(i)));
  }
  document.replaceKey("/K", blocks);
  root.replaceKey("/K", document);
  QPDFObjectHandle parent_tree = QPDFObjectHandle::newDictionary();
  parent_tree.replaceKey("/Nums", nums);
  root.replaceKey("/ParentTree", pdf.makeIndirectObject(parent_tree));
  root.replaceKey("/ParentTreeNextKey", QPDFObjectHandle::newInteger(long(pages.size())));
  QPDFObjectHandle catalog = pdf.getRoot();
  catalog.replaceKey("/StructTreeRoot", root);
  catalog.replaceKey("/MarkInfo", QPDFObjectHandle::parse("<< /Marked true >>"));
}

// Builds a fresh document in `pdf` from pages whose contents PrepareContents made (so every
// character is numbered before the fonts are made, and `structures` holds each page's blocks).
// The page streams are filled in by providers while `pdf` is written, so `pages` must outlive
// the writing.
void BuildRelease(QPDF& pdf, const PageAccess& pages, CodeMap* codes,
                  const std::vector<PageStructure>& structures, const std::string& icc_profile,
                  const WriterOptions& options) {
  pdf.emptyPDF();
  QPDFPageDocumentHelper helper(pdf);
  std::vector<QPDFObjectHandle> page_objects;
  for (size_t i = 0; i < pages.size(); ++i) {
    const PageAccess::Shape shape = pages.PageShape(i);
    QPDFObjectHandle image = QPDFObjectHandle::newStream(&pdf);
    QPDFObjectHandle dict = image.getDict();
    dict.replaceKey("/Type", QPDFObjectHandle::newName("/XObject"));
    dict.replaceKey("/Subtype", QPDFObjectHandle::newName("/Image"));
    dict.replaceKey("/Width", QPDFObjectHandle::newInteger(shape.pixel_width));
    dict.replaceKey("/Height", QPDFObjectHandle::newInteger(shape.pixel_height));
    dict.replaceKey("/ColorSpace", QPDFObjectHandle::newName("/DeviceGray"));
    auto image_data = std::make_shared<PageStreamProvider>(&pages, i, true);
    if (shape.encoding == ImageEncoding::kG4) {
      dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(1));
      QPDFObjectHandle parms = QPDFObjectHandle::newDictionary();
      parms.replaceKey("/K", QPDFObjectHandle::newInteger(-1));
      parms.replaceKey("/Columns", QPDFObjectHandle::newInteger(shape.pixel_width));
      parms.replaceKey("/Rows", QPDFObjectHandle::newInteger(shape.pixel_height));
      parms.replaceKey("/BlackIs1", QPDFObjectHandle::newBool(false));
      image.replaceStreamData(image_data, QPDFObjectHandle::newName("/CCITTFaxDecode"), parms);
    } else {
      dict.replaceKey("/BitsPerComponent", QPDFObjectHandle::newInteger(8));
      image.replaceStreamData(image_data, QPDFObjectHandle::newName("/DCTDecode"),
                              QPDFObjectHandle::newNull());
    }
    QPDFObjectHandle content = QPDFObjectHandle::newStream(&pdf);
    content.replaceStreamData(std::make_shared<PageStreamProvider>(&pages, i, false),
                              QPDFObjectHandle::newName("/FlateDecode"),
                              QPDFObjectHandle::newNull());
    QPDFObjectHandle resources = QPDFObjectHandle::newDictionary();
    QPDFObjectHandle xobjects = QPDFObjectHandle::newDictionary();
    xobjects.replaceKey("/Im0", image);
    resources.replaceKey("/XObject", xobjects);
    QPDFObjectHandle p = QPDFObjectHandle::newDictionary();
    p.replaceKey("/Type", QPDFObjectHandle::newName("/Page"));
    QPDFObjectHandle box = QPDFObjectHandle::newArray();
    box.appendItem(QPDFObjectHandle::newInteger(0));
    box.appendItem(QPDFObjectHandle::newInteger(0));
    box.appendItem(QPDFObjectHandle::newReal(shape.width, 2));
    box.appendItem(QPDFObjectHandle::newReal(shape.height, 2));
    p.replaceKey("/MediaBox", box);
    p.replaceKey("/Resources", resources);
    p.replaceKey("/Contents", content);
    page_objects.push_back(p);
  }
  // One set of fonts shared by every page (a page-local set would repeat the widths array).
  QPDFObjectHandle fonts = QPDFObjectHandle::newDictionary();
  for (int f = 0; f < codes->fonts_used(); ++f) {
    fonts.replaceKey("/T" + std::to_string(f), MakeFont(pdf, codes->font_codes(f)));
  }
  std::vector<QPDFObjectHandle> indirect_pages;
  for (QPDFObjectHandle& p : page_objects) {
    if (codes->fonts_used() > 0) p.getKey("/Resources").replaceKey("/Font", fonts);
    p.replaceKey("/Tabs", Name("/S"));  // tab order: the structure's
    indirect_pages.push_back(pdf.makeIndirectObject(p));
    helper.addPage(indirect_pages.back(), false);
  }
  AddStructureTree(pdf, indirect_pages, structures);
  QPDFObjectHandle catalog = pdf.getRoot();
  catalog.replaceKey("/Lang", QPDFObjectHandle::newUnicodeString(options.lang));
  catalog.replaceKey("/ViewerPreferences", QPDFObjectHandle::parse("<< /DisplayDocTitle true >>"));
  const std::string title = options.title.empty() ? "Release" : options.title;
  QPDFObjectHandle xmp = QPDFObjectHandle::newStream(&pdf, Xmp(options, title));
  xmp.getDict().replaceKey("/Type", Name("/Metadata"));
  xmp.getDict().replaceKey("/Subtype", Name("/XML"));
  catalog.replaceKey("/Metadata", xmp);
  // PDF/A: the colours of the page images (DeviceGray) are meant for an sRGB display.
  QPDFObjectHandle profile = QPDFObjectHandle::newStream(&pdf, icc_profile);
  profile.getDict().replaceKey("/N", QPDFObjectHandle::newInteger(3));
  QPDFObjectHandle intent = QPDFObjectHandle::newDictionary();
  intent.replaceKey("/Type", Name("/OutputIntent"));
  intent.replaceKey("/S", Name("/GTS_PDFA1"));
  intent.replaceKey("/OutputConditionIdentifier", QPDFObjectHandle::newString("sRGB IEC61966-2.1"));
  intent.replaceKey("/Info", QPDFObjectHandle::newString("sRGB IEC61966-2.1"));
  intent.replaceKey("/DestOutputProfile", profile);
  QPDFObjectHandle intents = QPDFObjectHandle::newArray();
  intents.appendItem(pdf.makeIndirectObject(intent));
  catalog.replaceKey("/OutputIntents", intents);
  QPDFObjectHandle info = QPDFObjectHandle::newDictionary();
  info.replaceKey("/Producer", QPDFObjectHandle::newUnicodeString(options.producer));
  pdf.getTrailer().replaceKey("/Info", pdf.makeIndirectObject(info));
}

void Configure(QPDFWriter* writer) {
  writer->setDeterministicID(true);
  writer->setObjectStreamMode(qpdf_o_generate);
  writer->setCompressStreams(true);
}

}  // namespace

Status CheckReleaseWriterReady(const WriterOptions& options) {
  auto icc = SrgbProfile(options);
  return icc.ok() ? Status::Ok() : icc.status();
}

Result<std::string> WriteReleasePdf(const std::vector<ReleasePage>& pages,
                                    const WriterOptions& options) {
  try {
    auto icc = SrgbProfile(options);
    if (!icc.ok()) return icc.status();
    QPDF pdf;
    MemoryPages access(pages);
    CodeMap codes;
    std::vector<PageStructure> structures;
    Status prepared = PrepareContents(&access, &codes, options.threads, &structures);
    if (!prepared.ok()) return prepared;
    BuildRelease(pdf, access, &codes, structures, *icc, options);
    QPDFWriter writer(pdf);
    writer.setOutputMemory();
    Configure(&writer);
    writer.write();
    std::shared_ptr<Buffer> buf = writer.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buf->getBuffer()), buf->getSize());
  } catch (const Thrown& t) {
    return t.status;
  } catch (const std::exception& e) {
    return Status::Engine(std::string("qpdf could not write the release PDF: ") + e.what());
  }
}

Result<SpilledReleasePage> SpillReleasePage(const ReleasePage& page, SpillFile* spill) {
  SpilledReleasePage out;
  out.width = page.width;
  out.height = page.height;
  out.encoding = page.image.encoding;
  out.pixel_width = page.image.width;
  out.pixel_height = page.image.height;
  auto image = spill->Append(page.image.data);
  if (!image.ok()) return image.status();
  auto words = spill->Append(SerializeLayer(page.words, page.boxes));
  if (!words.ok()) return words.status();
  out.image = *image;
  out.words = *words;
  return out;
}

namespace {

// qpdf's output stage writing into an Env file, in 64 KiB pieces (qpdf writes a few bytes at
// a time). qpdf can only be stopped by an exception, so a failed write throws its Status; after
// that every write is ignored and finish() never throws, since qpdf also calls them from
// destructors while the exception unwinds.
class EnvPipeline : public Pipeline {
 public:
  explicit EnvPipeline(WritableFile* file) : Pipeline("release file", nullptr), file_(file) {}
  void write(unsigned char const* data, size_t len) override {
    if (!status_.ok()) return;
    buffer_.append(reinterpret_cast<const char*>(data), len);
    if (buffer_.size() >= kPiece && !Send()) throw Thrown{status_};
  }
  void finish() override { Send(); }
  // What is left sent; the first failure, if any.
  Status Close() {
    Send();
    return status_;
  }

 private:
  bool Send() {
    if (status_.ok() && !buffer_.empty()) {
      status_ = file_->Append(buffer_);
      buffer_.clear();
    }
    return status_.ok();
  }

  static constexpr size_t kPiece = 64 << 10;
  WritableFile* file_;
  std::string buffer_;
  Status status_;
};

}  // namespace

Status WriteReleasePdfFile(const std::vector<SpilledReleasePage>& pages, SpillFile& spill,
                           const WriterOptions& options, const std::string& path) {
  auto file = options.env->NewWritableFile(path);
  if (!file.ok()) return file.status();
  EnvPipeline out(file->get());
  Status s;
  try {
    auto icc = SrgbProfile(options);
    QPDF pdf;
    SpilledPages access(pages, spill);
    CodeMap codes;
    std::vector<PageStructure> structures;
    s = icc.ok() ? PrepareContents(&access, &codes, options.threads, &structures) : icc.status();
    if (s.ok()) {
      BuildRelease(pdf, access, &codes, structures, *icc, options);
      QPDFWriter writer(pdf);
      writer.setOutputPipeline(&out);
      Configure(&writer);
      writer.write();
      s = out.Close();
    }
  } catch (const Thrown& t) {
    s = t.status;
  } catch (const std::exception& e) {
    s = Status::Engine(std::string("qpdf could not write the release PDF: ") + e.what());
  }
  // Durable before it is renamed into place, like every other output.
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  if (!s.ok()) {
    (*file)->Close().ok();
    options.env->RemoveFile(path);
  }
  return s;
}

Result<std::string> DecodedPdfContent(const std::string& path) {
  try {
    QPDF pdf;
    pdf.setSuppressWarnings(true);
    pdf.processFile(path.c_str());
    std::string out = pdf.getTrailer().unparse() + "\n";
    for (QPDFObjectHandle& oh : pdf.getAllObjects()) {
      if (oh.isStream()) {
        QPDFObjectHandle dict = oh.getDict();
        out += dict.unparse() + "\n";
        if (dict.getKey("/Subtype").isNameAndEquals("/Image")) continue;
        std::shared_ptr<Buffer> data = oh.getStreamData(qpdf_dl_generalized);
        out.append(reinterpret_cast<const char*>(data->getBuffer()), data->getSize());
        out += "\n";
      } else {
        out += oh.unparse() + "\n";
      }
    }
    return out;
  } catch (const std::exception& e) {
    return Status::Engine(std::string("qpdf cannot read back the release: ") + e.what());
  }
}

}  // namespace redact
