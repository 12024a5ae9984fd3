#include "pipeline/extract/page_text_builder.h"

#include <algorithm>

#include "pipeline/core/text.h"

namespace redact {

bool StartsNewLine(const Box& a, const Box& b) {
  double ca = (a.y0 + a.y1) / 2, cb = (b.y0 + b.y1) / 2;
  double h = std::max(std::min(a.height(), b.height()), 1.0);
  if (std::abs(ca - cb) > h * 0.5) return true;
  return b.x0 < a.x0;  // same band but back to the left: a new column or line
}

namespace {

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

}  // namespace

PageText BuildPageText(int page, double width, double height, std::vector<Word> words,
                       const std::vector<bool>& space_after) {
  PageText pt;
  pt.page = page;
  pt.width = width;
  pt.height = height;
  pt.words = std::move(words);
  const auto& ws = pt.words;
  for (size_t i = 0; i < ws.size(); ++i) {
    bool last = i + 1 == ws.size();
    bool new_line = !last && StartsNewLine(ws[i].box, ws[i + 1].box);
    const std::string& t = ws[i].text;
    bool hyphen_join = new_line && t.size() >= 2 && t.back() == '-' &&
                       IsAsciiLetter(t[t.size() - 2]) && !ws[i + 1].text.empty() &&
                       IsLower(ws[i + 1].text[0]) && !ws[i].char_boxes.empty();
    AppendWord(&pt, int(i), hyphen_join);
    if (last) break;
    if (hyphen_join) {
      pt.joins.push_back({pt.text.size(), {int32_t(i), int32_t(ws[i].char_boxes.size() - 1)}});
    } else if (new_line) {
      AppendSeparator(&pt, '\n');
    } else if (space_after[i] && !GlueOcrWords(ws[i], ws[i + 1])) {
      AppendSeparator(&pt, ' ');
    }
  }
  return pt;
}

}  // namespace redact
