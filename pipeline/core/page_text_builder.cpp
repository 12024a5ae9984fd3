#include "pipeline/core/page_text_builder.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "pipeline/core/normalize.h"
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
// when both sides are prose (a two-column page), row by row otherwise (a table, a form);
// those tables are also appended to `tables`, when given.
void OrderLines(const std::vector<Word>& ws, const std::vector<Line>& lines, std::vector<Line>* out,
                std::vector<std::vector<Line>>* tables = nullptr) {
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
        OrderLines(ws, left, out, tables);
        OrderLines(ws, right, out, tables);
      } else {
        out->insert(out->end(), lines.begin() + long(i), lines.begin() + long(g.end));
        if (tables) tables->emplace_back(lines.begin() + long(i), lines.begin() + long(g.end));
      }
      i = g.end;
      continue;
    }
    out->push_back(lines[i]);
    ++i;
  }
}

// Runs of single characters drawn apart (letter-spaced headings: "G C H Q" drawn one glyph
// at a time) read as one word; the wider gaps between their words still separate them. A
// reader may take two capitals of a heading as one word ("L I A IS O N", "R E P O RT"): a pair
// of capitals beside a single capital belongs to the run ("N C S C by" ends before "by"; the
// reading with every word on its own joins single letters alone, so a pair taken wrongly
// never hides the letters before it from the rules).
std::vector<bool> LetterSpaced(const std::vector<Word>& ws, const std::vector<int>& line) {
  std::vector<bool> joined(line.size(), false);  // joined[k]: no separator after word k
  auto letters = [&](size_t i) { return DecodeUtf8(ws[size_t(line[i])].text); };
  auto single = [&](size_t i) { return letters(i).size() == 1; };
  auto capitals = [&](size_t i, size_t n) {
    const std::vector<char32_t> cps = letters(i);
    return cps.size() == n && std::all_of(cps.begin(), cps.end(), IsCapital);
  };
  auto in_run = [&](size_t i) {
    return single(i) || (capitals(i, 2) && ((i > 0 && capitals(i - 1, 1)) ||
                                            (i + 1 < line.size() && capitals(i + 1, 1))));
  };
  for (size_t k = 0; k < line.size();) {
    size_t e = k, singles = 0;
    while (e < line.size() && in_run(e)) singles += single(e++) ? 1 : 0;
    if (singles >= 3) {
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
                       const std::vector<bool>& space_after_as_read) {
  // Every word as the rules read it (core/normalize.h); a word of invisible characters alone
  // is no word, its space kept by the word before it.
  std::vector<bool> space_after;
  {
    std::vector<Word> kept;
    kept.reserve(words.size());
    for (size_t i = 0; i < words.size(); ++i) {
      const bool spaced = i < space_after_as_read.size() && space_after_as_read[i];
      if (!NormalizeWord(&words[i])) {
        if (!space_after.empty() && spaced) space_after.back() = true;
        continue;
      }
      kept.push_back(std::move(words[i]));
      space_after.push_back(spaced);
    }
    words = std::move(kept);
  }
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
    // A letter-spaced run is one word whether its letters were drawn apart or typed with a
    // space between each ("N C S C"), as a plain text's reading takes it (core/normalize.h).
    const bool apart = gap > kWordGap * h && !joined[i];
    if (((spaced[i] && !joined[i]) || apart) && !GlueOcrWords(ws[i], ws[i + 1])) {
      AppendSeparator(&pt, ' ');
    }
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
  // Runs of three or more single characters on one line ("N C S C") read as one word, as in
  // a plain text's reading: the main reading may have joined a pair of capitals to the run
  // ("N C S C BY"), and this one must still find the letters.
  const auto single = [&](size_t i) {
    return i < out.words.size() && DecodeUtf8(out.words[i].text).size() == 1;
  };
  std::vector<bool> in_letter_run(out.words.size(), false);
  for (size_t i = 0; i < out.words.size();) {
    size_t e = i;
    while (single(e) && (e == i || !breaks_after[e - 1])) ++e;
    if (e - i >= 3)
      std::fill(in_letter_run.begin() + long(i), in_letter_run.begin() + long(e - 1), true);
    i = std::max(e, i + 1);
  }
  for (size_t i = 0; i < out.words.size(); ++i) {
    if (i > 0 && !in_letter_run[i - 1]) AppendSeparator(&out, breaks_after[i - 1] ? '\n' : ' ');
    AppendWord(&out, int(i), false);
  }
  return out;
}

std::vector<std::pair<size_t, size_t>> SpansInOtherReading(const PageText& from, size_t begin,
                                                           size_t end, const PageText& to) {
  auto key = [](const CharRef& r) { return (uint64_t(uint32_t(r.word)) << 32) | uint32_t(r.chr); };
  std::unordered_set<uint64_t> chars;
  end = std::min(end, from.byte_map.size());
  for (size_t i = begin; i < end; ++i) {
    if (from.byte_map[i].word >= 0) chars.insert(key(from.byte_map[i]));
  }
  // Runs of `to` made of those characters, bridging only separators between them.
  std::vector<std::pair<size_t, size_t>> spans;
  bool open = false;
  for (size_t i = 0; i < to.byte_map.size(); ++i) {
    const CharRef& r = to.byte_map[i];
    if (r.word < 0) continue;
    if (!chars.count(key(r))) {
      open = false;
      continue;
    }
    if (open) {
      spans.back().second = i + 1;
    } else {
      spans.emplace_back(i, i + 1);
      open = true;
    }
  }
  return spans;
}

namespace {

// Where the table's cells start: left edges that begin a run of words after a gutter-wide gap
// (or a line) somewhere, and where words start on at least two lines (a cell that overflows
// into the next one leaves no gap there, but its neighbours still start at the edge).
std::vector<double> ColumnStarts(const std::vector<Word>& ws, const std::vector<Line>& table) {
  std::vector<std::pair<double, double>> starts;  // x0, line height
  for (const Line& l : table) {
    for (size_t k = 0; k < l.words.size(); ++k) {
      const Box& b = ws[size_t(l.words[k])].box;
      if (k == 0 || b.x0 - ws[size_t(l.words[k - 1])].box.x1 >= kGutterGap * l.h) {
        starts.emplace_back(b.x0, l.h);
      }
    }
  }
  std::sort(starts.begin(), starts.end());
  std::vector<double> columns;
  for (size_t i = 0; i < starts.size();) {
    size_t e = i + 1;
    while (e < starts.size() && starts[e].first - starts[e - 1].first <= 0.3 * starts[e].second) {
      ++e;
    }
    const double x = starts[i].first, x_end = starts[e - 1].first;
    int lines = 0;
    for (const Line& l : table) {
      lines += std::any_of(l.words.begin(), l.words.end(), [&](int w) {
        const double x0 = ws[size_t(w)].box.x0;
        return x0 >= x - 0.3 * l.h && x0 <= x_end + 0.3 * l.h;
      });
    }
    if (lines >= 2) columns.push_back(x);
    i = e;
  }
  return columns;
}

// Part of a word in a table cell: characters [from, to) of word `word`. A word is split where
// it runs over the start of the next column (two cells drawn touching: "PatelUnder").
struct Piece {
  int word = 0;
  size_t from = 0, to = 0;
  Box box;
  char first = 0, last = 0;  // its first and last bytes
};

// Byte offsets of each character of `text`, and its size at the end.
std::vector<size_t> CharOffsets(const std::string& text) {
  std::vector<size_t> out;
  for (size_t i = 0; i < text.size();) {
    out.push_back(i);
    i += std::max<size_t>(1, Utf8SequenceLength(static_cast<unsigned char>(text[i])));
  }
  out.push_back(text.size());
  return out;
}

void AppendPiece(PageText* pt, const Piece& piece) {
  const Word& w = pt->words[size_t(piece.word)];
  const std::vector<size_t> at = CharOffsets(w.text);
  for (size_t c = piece.from; c < piece.to && c + 1 < at.size(); ++c) {
    for (size_t k = at[c]; k < std::min(at[c + 1], w.text.size()); ++k) {
      pt->text.push_back(w.text[k]);
      pt->byte_map.push_back({piece.word, int32_t(c)});
    }
  }
}

// The pieces of word `i`, split at the column starts its characters run over.
std::vector<Piece> PiecesOf(const std::vector<Word>& ws, int i, const std::vector<double>& starts,
                            double h) {
  const Word& w = ws[size_t(i)];
  const std::vector<size_t> at = CharOffsets(w.text);
  const size_t n_chars = std::min(w.char_boxes.size(), at.size() - 1);
  std::vector<size_t> cuts = {0};
  for (double s : starts) {
    if (n_chars < 2 || !(w.box.x0 < s - 0.3 * h && w.box.x1 > s + 0.3 * h)) continue;
    size_t c = 1;
    while (c < n_chars && w.char_boxes[c].x0 < s - 0.15 * h) ++c;
    if (c < n_chars && c > cuts.back()) cuts.push_back(c);
  }
  cuts.push_back(std::max<size_t>(n_chars, 1));
  std::vector<Piece> out;
  for (size_t k = 0; k + 1 < cuts.size(); ++k) {
    Piece p{i, cuts[k], cuts[k + 1], w.box, 0, 0};
    if (n_chars >= 1) {
      p.box = w.char_boxes[p.from];
      for (size_t c = p.from; c < p.to; ++c) p.box = p.box.United(w.char_boxes[c]);
      p.first = w.text[at[p.from]];
      p.last = w.text[at[p.to] - 1];
    } else {
      p.first = w.text.empty() ? 0 : w.text.front();
      p.last = w.text.empty() ? 0 : w.text.back();
      p.to = DecodeUtf8(w.text).size();
    }
    out.push_back(p);
  }
  return out;
}

void AppendTable(PageText* out, const std::vector<Line>& table, double margin) {
  const std::vector<Word>& ws = out->words;
  const std::vector<double> starts = ColumnStarts(ws, table);
  if (starts.size() < 2) return;
  const size_t n = starts.size();
  auto column_of = [&](const Box& b, double h) {
    size_t c = 0;
    while (c + 1 < n && starts[c + 1] <= b.x0 + 0.3 * h) ++c;
    return c;
  };
  // cells[line][column]: the pieces of words of that line in that column, left to right.
  std::vector<std::vector<std::vector<Piece>>> cells(table.size(),
                                                     std::vector<std::vector<Piece>>(n));
  std::vector<double> right(n, 0);  // how far each column's words reach
  for (size_t li = 0; li < table.size(); ++li) {
    const double h = table[li].h;
    for (int i : table[li].words) {
      for (const Piece& p : PiecesOf(ws, i, starts, h)) {
        const size_t c = column_of(p.box, h);
        cells[li][c].push_back(p);
        right[c] = std::max(right[c], p.box.x1);
      }
    }
  }
  // A cell ends where the next column starts; the last column where the page's other text
  // ends (its margin), if that is further right than the column's own words reach.
  auto limit = [&](size_t c) { return c + 1 < n ? starts[c + 1] : std::max(right[c], margin); };
  // A line continues the row above when every cell on it holds words that would not have fit
  // at the end of the same cell's line above (so the cell wrapped onto this line).
  auto continues = [&](size_t li) {
    bool any = false;
    for (size_t c = 0; c < n; ++c) {
      const auto& here = cells[li][c];
      if (here.empty()) continue;
      any = true;
      const auto& above = cells[li - 1][c];
      if (above.empty()) return false;
      const double used = above.back().box.x1 - starts[c];
      const double room = limit(c) - starts[c];
      if (used + 0.25 * table[li].h + here.front().box.width() <= room) return false;
    }
    return any;
  };
  std::vector<size_t> row_starts;
  for (size_t li = 0; li < table.size(); ++li) {
    if (li == 0 || !continues(li)) row_starts.push_back(li);
  }
  row_starts.push_back(table.size());
  auto token_char = [](char ch) { return ch != 0 && ch != ' ' && ch != '\n'; };
  for (size_t r = 0; r + 1 < row_starts.size(); ++r) {
    for (size_t c = 0; c < n; ++c) {
      const Piece* prev = nullptr;  // the last piece written of this cell
      for (size_t li = row_starts[r]; li < row_starts[r + 1]; ++li) {
        const auto& pieces = cells[li][c];
        for (size_t k = 0; k < pieces.size(); ++k) {
          const Piece& p = pieces[k];
          if (prev && k > 0) {
            AppendSeparator(out, ' ');
          } else if (prev) {
            // A cell's line that ended at the cell's edge, or in a hyphen, broke a word. Only
            // a word too long for the cell breaks inside it, so it is alone on its line; the
            // last column's edge is known only from a margin beyond its own words.
            const bool alone = cells[li - 1][c].size() == 1;
            const bool at_edge =
                prev->box.x1 >= limit(c) - 0.5 * table[li].h && (c + 1 < n || limit(c) > right[c]);
            const bool broken = token_char(prev->last) && token_char(p.first) &&
                                (prev->last == '-' || (alone && at_edge));
            if (!broken) AppendSeparator(out, ' ');
          }
          AppendPiece(out, p);
          prev = &p;
        }
      }
      if (prev) AppendSeparator(out, '\n');
    }
  }
}

}  // namespace

PageText CellReading(const PageText& page) {
  PageText out;
  out.page = page.page;
  out.width = page.width;
  out.height = page.height;
  out.words = page.words;
  if (page.byte_map.empty()) return out;
  std::vector<int> flat;
  for (size_t i = 0; i < page.words.size(); ++i) {
    if (!page.words[i].hidden && !IsVertical(page.words[i])) flat.push_back(int(i));
  }
  std::vector<std::vector<Line>> tables;
  std::vector<Line> ordered;
  OrderLines(out.words, GroupLines(out.words, flat), &ordered, &tables);
  for (const auto& t : tables) {
    // The right margin: how far the page's words outside this table reach.
    std::unordered_set<int> in_table;
    for (const Line& l : t) in_table.insert(l.words.begin(), l.words.end());
    double margin = 0;
    for (int i : flat) {
      if (!in_table.count(i)) margin = std::max(margin, out.words[size_t(i)].box.x1);
    }
    AppendTable(&out, t, margin);
  }
  return out;
}

}  // namespace redact
