#include "pipeline/extract/page_text_builder.h"

#include <algorithm>
#include <cmath>

#include "pipeline/core/text.h"

namespace redact {

bool StartsNewLine(const Box& a, const Box& b) {
  double ca = (a.y0 + a.y1) / 2, cb = (b.y0 + b.y1) / 2;
  double h = std::max(std::min(a.height(), b.height()), 1.0);
  if (std::abs(ca - cb) > h * 0.5) return true;
  return b.x0 < a.x0;  // same band but back to the left: a new column or line
}

namespace {

// Geometry, in units of the line's height (a glyph box is ~1.2 em high, a space ~0.25 em wide).
constexpr double kWordGap = 0.12;    // wider than this between two words: a separator
constexpr double kGutterGap = 0.8;   // at least this: a gap that may be a column gutter or a cell
constexpr double kGutterKeep = 0.5;  // a gutter narrower than this over a run of lines has closed
constexpr double kBlockBreak = 1.8;  // a vertical gap this tall ends a run of columns
constexpr double kProseWords = 3.5;  // columns of prose average at least this many words a line

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

// Appends a word's bytes, each mapped to its character; `drop_last` leaves out the final
// character (a joined hyphen).
void AppendWord(PageText* pt, int index, bool drop_last) {
  const Word& w = pt->words[size_t(index)];
  const size_t n_chars = w.char_boxes.size();
  size_t chr = 0;
  for (size_t i = 0; i < w.text.size(); ++chr) {
    size_t len =
        std::min(Utf8SequenceLength(static_cast<unsigned char>(w.text[i])), w.text.size() - i);
    if (drop_last && chr + 1 >= n_chars) break;
    int32_t ref = n_chars == 0 ? -1 : int32_t(std::min(chr, n_chars - 1));
    for (size_t k = 0; k < len; ++k) {
      pt->text.push_back(w.text[i + k]);
      pt->byte_map.push_back({index, ref});
    }
    i += len;
  }
}

void AppendSeparator(PageText* pt, char c) {
  pt->text.push_back(c);
  pt->byte_map.push_back({});
}

// OCR splits an address where the scan has a speck or a wide gap: "vpn-gw01 .northshire.police.uk",
// "j.smith @example.org". Prose never puts a space before '.' or around '@', so between OCR
// words these spaces are dropped from the matching text (they map to no character anyway).
bool GlueOcrWords(const Word& a, const Word& b) {
  if (a.source != TextSource::kOcr || b.source != TextSource::kOcr) return false;
  if (a.text.empty() || b.text.empty()) return false;
  const char first = b.text.front(), last = a.text.back();
  if (first == '.' || first == '@' || last == '@') return true;
  // "10.44. 12.7", "vpn-gw01. northshire": a dotted or hyphenated token split after a dot.
  const bool dotted = a.text.find_first_of(".-") < a.text.size() - 1;
  return last == '.' && dotted &&
         ((first >= 'a' && first <= 'z') || (first >= '0' && first <= '9'));
}

double Height(const Word& w) { return std::max(w.box.height(), 1.0); }
double CentreY(const Word& w) { return (w.box.y0 + w.box.y1) / 2; }

// Text turned on its side (a margin note, a rotated table heading): its characters stack up
// the page. It is read on its own, never merged into a horizontal line.
bool IsVertical(const Word& w) {
  if (w.char_boxes.size() < 2) return false;
  const Box& a = w.char_boxes.front();
  const Box& b = w.char_boxes.back();
  return std::abs(b.y0 - a.y0) > std::abs(b.x0 - a.x0) && w.box.height() > 2 * w.box.width();
}

// Words that share a baseline band across the page, left to right.
struct Line {
  std::vector<int> words;
  double y0 = 0, y1 = 0, h = 0;
  double centre() const { return (y0 + y1) / 2; }
};

std::vector<Line> GroupLines(const std::vector<Word>& ws, std::vector<int> order) {
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return CentreY(ws[size_t(a)]) < CentreY(ws[size_t(b)]); });
  std::vector<Line> lines;
  for (int i : order) {
    const Word& w = ws[size_t(i)];
    const double cy = CentreY(w), h = Height(w);
    // The nearest line whose band holds this word's centre. Words come in order of height on
    // the page, so only the last few lines can be near.
    Line* best = nullptr;
    double best_d = 0;
    for (size_t k = lines.size(); k-- > 0;) {
      Line& l = lines[k];
      if (l.centre() < cy - 4 * std::max(h, l.h)) break;
      const double d = std::abs(l.centre() - cy);
      if (d <= 0.5 * std::min(h, l.h) && (!best || d < best_d)) {
        best = &l;
        best_d = d;
      }
    }
    if (!best) {
      lines.push_back({{i}, w.box.y0, w.box.y1, h});
      continue;
    }
    best->words.push_back(i);
    best->y0 = std::min(best->y0, w.box.y0);
    best->y1 = std::max(best->y1, w.box.y1);
    best->h = std::min(best->h, h);
  }
  for (Line& l : lines) {
    std::stable_sort(l.words.begin(), l.words.end(),
                     [&](int a, int b) { return ws[size_t(a)].box.x0 < ws[size_t(b)].box.x0; });
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.centre() < b.centre(); });
  return lines;
}

// Splits `line` at x into the words left and right of it.
std::pair<Line, Line> SplitLine(const std::vector<Word>& ws, const Line& line, double x) {
  Line left = line, right = line;
  left.words.clear();
  right.words.clear();
  for (int i : line.words) (ws[size_t(i)].box.x1 <= x ? left : right).words.push_back(i);
  return {left, right};
}

// A gutter between columns: an x interval that stays empty over lines [first, end), with words
// on both sides in `both` of them.
struct Gutter {
  size_t end = 0;
  double x0 = 0, x1 = 0;
  int both = 0;
};

// The longest run of lines from `first` on that keeps one of the first line's wide gaps free.
Gutter FindGutter(const std::vector<Word>& ws, const std::vector<Line>& lines, size_t first) {
  Gutter best;
  const Line& top = lines[first];
  for (size_t k = 0; k + 1 < top.words.size(); ++k) {
    const Word& a = ws[size_t(top.words[k])];
    const Word& b = ws[size_t(top.words[k + 1])];
    if (b.box.x0 - a.box.x1 < kGutterGap * top.h) continue;
    Gutter g{first + 1, a.box.x1, b.box.x0, 1};
    for (size_t j = first + 1; j < lines.size(); ++j) {
      const Line& l = lines[j];
      if (l.y0 - lines[j - 1].y1 > kBlockBreak * std::max(l.h, lines[j - 1].h)) break;
      // Words reaching into the gutter narrow it from their side; one across it ends the run.
      const double mid = (g.x0 + g.x1) / 2;
      double x0 = g.x0, x1 = g.x1;
      bool left = false, right = false, crosses = false;
      for (int i : l.words) {
        const Box& wb = ws[size_t(i)].box;
        if (wb.x0 <= g.x0 && wb.x1 >= g.x1) crosses = true;
        if (wb.x0 <= g.x0 || (wb.x1 < g.x1 && (wb.x0 + wb.x1) / 2 < mid)) {
          left = true;
          x0 = std::max(x0, wb.x1);
        } else {
          right = true;
          x1 = std::min(x1, wb.x0);
        }
      }
      if (crosses || x1 - x0 < kGutterKeep * l.h) break;
      g = {j + 1, x0, x1, g.both + (left && right ? 1 : 0)};
    }
    if (g.end > best.end || (g.end == best.end && g.x1 - g.x0 > best.x1 - best.x0)) best = g;
  }
  return best;
}

double WordsPerLine(const std::vector<Line>& lines) {
  size_t n = 0, words = 0;
  for (const Line& l : lines) {
    if (l.words.empty()) continue;
    ++n;
    words += l.words.size();
  }
  return n == 0 ? 0 : double(words) / double(n);
}

// Appends `lines` in reading order: runs of lines split by a gutter are read column by column
// when both sides are prose (a two-column page), row by row otherwise (a table, a form).
void OrderLines(const std::vector<Word>& ws, const std::vector<Line>& lines,
                std::vector<Line>* out) {
  for (size_t i = 0; i < lines.size();) {
    Gutter g = FindGutter(ws, lines, i);
    if (g.end >= i + 3 && g.both >= 2) {
      std::vector<Line> left, right;
      const double x = (g.x0 + g.x1) / 2;
      for (size_t j = i; j < g.end; ++j) {
        auto [l, r] = SplitLine(ws, lines[j], x);
        if (!l.words.empty()) left.push_back(std::move(l));
        if (!r.words.empty()) right.push_back(std::move(r));
      }
      if (WordsPerLine(left) >= kProseWords && WordsPerLine(right) >= kProseWords) {
        OrderLines(ws, left, out);
        OrderLines(ws, right, out);
      } else {
        out->insert(out->end(), lines.begin() + long(i), lines.begin() + long(g.end));
      }
      i = g.end;
      continue;
    }
    out->push_back(lines[i]);
    ++i;
  }
}

// Runs of single characters drawn apart (letter-spaced headings: "G C H Q" drawn one glyph
// at a time) read as one word; the wider gaps between their words still separate them.
std::vector<bool> LetterSpaced(const std::vector<Word>& ws, const std::vector<int>& line) {
  std::vector<bool> joined(line.size(), false);  // joined[k]: no separator after word k
  for (size_t k = 0; k < line.size();) {
    size_t e = k;
    auto single = [&](size_t i) { return DecodeUtf8(ws[size_t(line[i])].text).size() == 1; };
    while (e < line.size() && single(e)) ++e;
    if (e - k >= 3) {
      std::vector<double> gaps;
      for (size_t i = k; i + 1 < e; ++i) {
        gaps.push_back(ws[size_t(line[i + 1])].box.x0 - ws[size_t(line[i])].box.x1);
      }
      std::vector<double> sorted = gaps;
      std::nth_element(sorted.begin(), sorted.begin() + long(sorted.size() / 2), sorted.end());
      const double median = sorted[sorted.size() / 2];
      const double h = Height(ws[size_t(line[k])]);
      if (median < 1.0 * h) {
        for (size_t i = 0; i < gaps.size(); ++i) {
          joined[k + i] = gaps[i] < 1.6 * median + 0.05 * h;
        }
      }
    }
    k = std::max(e, k + 1);
  }
  return joined;
}

}  // namespace

PageText BuildPageText(int page, double width, double height, std::vector<Word> words,
                       const std::vector<bool>& space_after) {
  // Reading order from geometry. A page read by OCR alone keeps Tesseract's order: its layout
  // analysis already worked from the pixels.
  const bool all_ocr = std::all_of(words.begin(), words.end(),
                                   [](const Word& w) { return w.source == TextSource::kOcr; });
  std::vector<std::vector<int>> lines;  // indices into `words`
  if (all_ocr) {
    std::vector<int> line;
    for (size_t i = 0; i < words.size(); ++i) {
      if (!line.empty() && StartsNewLine(words[size_t(line.back())].box, words[i].box)) {
        lines.push_back(std::move(line));
        line.clear();
      }
      line.push_back(int(i));
    }
    if (!line.empty()) lines.push_back(std::move(line));
  } else {
    // Words no reader sees (invisible text, a stale OCR layer under a scan) are a layer of
    // their own: read after the visible ones, never interleaved with the words they lie on.
    std::vector<int> flat, hidden, vertical;
    for (size_t i = 0; i < words.size(); ++i) {
      (IsVertical(words[i]) ? vertical : words[i].hidden ? hidden : flat).push_back(int(i));
    }
    std::vector<Line> ordered;
    OrderLines(words, GroupLines(words, flat), &ordered);
    OrderLines(words, GroupLines(words, hidden), &ordered);
    for (Line& l : ordered) lines.push_back(std::move(l.words));
    for (int v : vertical) lines.push_back({v});
  }

  PageText pt;
  pt.page = page;
  pt.width = width;
  pt.height = height;
  // Words in reading order; `spaced[k]` says whether Poppler had a space after word k and its
  // next word is the same one in our order.
  std::vector<int> first_of_line;
  std::vector<bool> spaced;
  std::vector<bool> joined;
  for (const auto& line : lines) {
    first_of_line.push_back(int(pt.words.size()));
    std::vector<bool> letters = LetterSpaced(words, line);
    for (size_t k = 0; k < line.size(); ++k) {
      const size_t i = size_t(line[k]);
      const bool next_is_next = k + 1 < line.size() && size_t(line[k + 1]) == i + 1;
      spaced.push_back(i < space_after.size() && space_after[i] && next_is_next);
      joined.push_back(letters[k]);
      pt.words.push_back(std::move(words[i]));
    }
  }
  const auto& ws = pt.words;
  size_t line_no = 0;
  for (size_t i = 0; i < ws.size(); ++i) {
    bool last = i + 1 == ws.size();
    if (line_no < first_of_line.size() && first_of_line[line_no] == int(i)) ++line_no;
    bool new_line = !last && line_no < first_of_line.size() && first_of_line[line_no] == int(i + 1);
    const std::string& t = ws[i].text;
    bool hyphen_join = new_line && t.size() >= 2 && t.back() == '-' &&
                       IsAsciiLetter(t[t.size() - 2]) && !ws[i + 1].text.empty() &&
                       IsLower(ws[i + 1].text[0]) && !ws[i].char_boxes.empty();
    AppendWord(&pt, int(i), hyphen_join);
    if (last) break;
    if (hyphen_join) {
      pt.joins.push_back({pt.text.size(), {int32_t(i), int32_t(ws[i].char_boxes.size() - 1)}});
      continue;
    }
    if (new_line) {
      AppendSeparator(&pt, '\n');
      continue;
    }
    // On one line: a separator where the layout had a space, or where the words are drawn
    // apart (table cells, tab stops and columns have no space character between them).
    const double gap = ws[i + 1].box.x0 - ws[i].box.x1;
    const double h = std::min(Height(ws[i]), Height(ws[i + 1]));
    const bool apart = gap > kWordGap * h && !joined[i];
    if ((spaced[i] || apart) && !GlueOcrWords(ws[i], ws[i + 1])) AppendSeparator(&pt, ' ');
  }
  return pt;
}

PageText EveryWordSeparated(const PageText& page) {
  PageText out;
  out.page = page.page;
  out.width = page.width;
  out.height = page.height;
  out.words = page.words;
  if (page.byte_map.empty()) {
    out.text = page.text;
    return out;
  }
  // How the reader's text separated each word from the next: a line break (or a hyphen join,
  // read here as the line break it is) or anything else on one line.
  std::vector<bool> breaks_after(page.words.size(), false);
  for (size_t b = 0; b + 1 < page.byte_map.size(); ++b) {
    const int32_t w = page.byte_map[b].word;
    if (w >= 0 && page.byte_map[b + 1].word < 0 && page.text[b + 1] == '\n') {
      breaks_after[size_t(w)] = true;
    }
  }
  for (const HyphenJoin& j : page.joins) {
    if (j.hyphen.word >= 0) breaks_after[size_t(j.hyphen.word)] = true;
  }
  for (size_t i = 0; i < out.words.size(); ++i) {
    if (i > 0) AppendSeparator(&out, breaks_after[i - 1] ? '\n' : ' ');
    AppendWord(&out, int(i), false);
  }
  return out;
}

bool SpanInOtherReading(const PageText& from, size_t begin, size_t end, const PageText& to,
                        size_t* to_begin, size_t* to_end) {
  end = std::min(end, from.byte_map.size());
  size_t first = begin;
  while (first < end && from.byte_map[first].word < 0) ++first;
  size_t last = end;
  while (last > first && from.byte_map[last - 1].word < 0) --last;
  if (first >= last) return false;
  const CharRef a = from.byte_map[first], b = from.byte_map[last - 1];
  // Characters are compared as (word, character); a joined hyphen that `to` dropped falls to
  // the nearest character of its word that `to` has.
  auto key = [](const CharRef& r) { return std::pair(r.word, r.chr); };
  size_t lo = std::string::npos, hi = 0;
  for (size_t i = 0; i < to.byte_map.size(); ++i) {
    const CharRef& r = to.byte_map[i];
    if (r.word < 0) continue;
    if (lo == std::string::npos && key(r) >= key(a)) lo = i;
    if (key(r) <= key(b)) hi = i + 1;
  }
  if (lo == std::string::npos || hi <= lo) return false;
  *to_begin = lo;
  *to_end = hi;
  return true;
}

}  // namespace redact
