#include "pipeline/batch/kept_text.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "pipeline/core/page_text_builder.h"
#include "pipeline/core/text.h"

namespace redact {
namespace {

// Characters of `page`'s words that are redacted: any byte inside a redaction span, a joined
// hyphen inside one, or a character whose centre lies under a redaction box.
std::vector<std::vector<bool>> RedactedChars(const PageText& page,
                                             const std::vector<const Finding*>& redactions) {
  std::vector<std::vector<bool>> out(page.words.size());
  for (size_t w = 0; w < page.words.size(); ++w)
    out[w].assign(page.words[w].char_boxes.size(), false);
  auto mark = [&](const CharRef& r) {
    if (r.word >= 0 && r.chr >= 0 && size_t(r.chr) < out[size_t(r.word)].size()) {
      out[size_t(r.word)][size_t(r.chr)] = true;
    }
  };
  for (const Finding* f : redactions) {
    for (size_t i = f->begin; i < f->end && i < page.byte_map.size(); ++i) mark(page.byte_map[i]);
    for (const HyphenJoin& j : page.joins) {
      if (f->begin < j.offset && j.offset < f->end) mark(j.hyphen);
    }
  }
  for (size_t w = 0; w < page.words.size(); ++w) {
    const auto& boxes = page.words[w].char_boxes;
    for (size_t c = 0; c < boxes.size(); ++c) {
      double cx = (boxes[c].x0 + boxes[c].x1) / 2, cy = (boxes[c].y0 + boxes[c].y1) / 2;
      for (const Finding* f : redactions) {
        for (const Box& b : f->boxes) {
          if (cx >= b.x0 && cx <= b.x1 && cy >= b.y0 && cy <= b.y1) out[w][c] = true;
        }
      }
    }
  }
  return out;
}

}  // namespace

// Text-layer words a reader cannot see: their box holds no ink in the rendered page
// (invisible text, white on white, text clipped away or off the page). OCR words came from
// ink, so they are always visible.
std::vector<bool> InvisibleWords(const PageText& page, const GrayImage& raster) {
  std::vector<bool> hidden(page.words.size(), false);
  const double s = raster.dpi / 72.0;
  for (size_t w = 0; w < page.words.size(); ++w) {
    const Word& word = page.words[w];
    if (word.source == TextSource::kOcr) continue;
    // A lone dash or stop says nothing, and may be too thin to leave ink at the release's
    // resolution; dropping it would join the words either side into a phrase the draft never
    // had (the self-check then finds "Athena NK" where the page said "Athena - NK").
    if (!word.hidden && PunctuationOnly(word.text)) continue;  // extract keeps it visible too
    if (word.hidden) {
      hidden[w] = true;
      continue;
    }
    int x0 = std::clamp(int(word.box.x0 * s), 0, raster.width);
    int x1 = std::clamp(int(std::ceil(word.box.x1 * s)), 0, raster.width);
    int y0 = std::clamp(int(word.box.y0 * s), 0, raster.height);
    int y1 = std::clamp(int(std::ceil(word.box.y1 * s)), 0, raster.height);
    size_t ink = 0;
    for (int y = y0; y < y1; ++y) {
      const uint8_t* row = raster.pixels.data() + size_t(y) * size_t(raster.width);
      for (int x = x0; x < x1; ++x) ink += IsInk(row[x]);
    }
    hidden[w] = ink == 0;
  }
  return hidden;
}

// The kept runs of characters of every word, each over the union of its characters' boxes.
std::vector<KeptText> KeptWords(const PageText& page, const std::vector<const Finding*>& redactions,
                                const std::vector<bool>& hidden) {
  std::vector<KeptText> kept;
  auto redacted = RedactedChars(page, redactions);
  // Words the reading joined with no separator on one line where one of them is a letter or
  // two: a letter-spaced heading ("L I A IS O N"), one word of the text layer, so a reader of
  // the release reads the word the page shows.
  std::vector<bool> glued(page.words.size(), false);  // glued[w]: word w + 1 continues it
  for (size_t b = 0; b + 1 < page.byte_map.size(); ++b) {
    const int32_t w = page.byte_map[b].word, next = page.byte_map[b + 1].word;
    if (w < 0 || next != w + 1) continue;
    const Word& a = page.words[size_t(w)];
    const Word& c = page.words[size_t(next)];
    const bool short_piece = DecodeUtf8(a.text).size() <= 2 || DecodeUtf8(c.text).size() <= 2;
    glued[size_t(w)] = short_piece && !StartsNewLine(a.box, c.box);
  }
  KeptText run;
  auto flush = [&] {
    if (!run.text.empty()) kept.push_back(run);
    run = KeptText();
  };
  for (size_t w = 0; w < page.words.size(); ++w) {
    const Word& word = page.words[w];
    if (hidden[w]) {  // not carried into the release, even if no rule matched it
      flush();
      continue;
    }
    std::vector<char32_t> cps = DecodeUtf8(word.text);
    for (size_t c = 0; c < cps.size() && c < word.char_boxes.size(); ++c) {
      if (redacted[w][c]) {
        flush();
        continue;
      }
      run.text += EncodeUtf8(cps[c]);
      run.box = run.box.United(word.char_boxes[c]);
    }
    if (!glued[w]) flush();
  }
  flush();
  return kept;
}

std::vector<std::string> RedactedStrings(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings) {
    // A reviewer's area or withheld page has no text to look for: what it covers is gone
    // from the text layer and the pixels by where it lies.
    if (f.action != Action::kRedact || f.text.empty() || f.only_here) continue;
    // A piece of a broken word stands for itself only when it is long enough to mean
    // something; the whole word is looked for in every reading of the release.
    if (f.whole.empty() || NormalizeForMatch(f.text).size() >= 6) out.push_back(f.text);
    if (!f.whole.empty()) out.push_back(f.whole);
  }
  return out;
}

// Each kept finding's text with the redactions still inside it taken out: a passage released
// by a reviewer reads so in the release, the security body it names still boxed.
std::vector<std::string> KeptAroundRedactions(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& k : findings) {
    if (k.decision != "keep") continue;
    std::string rest;
    size_t at = k.begin;
    for (const Finding& r : findings) {
      if (r.action != Action::kRedact || r.page != k.page || r.begin < at || r.end > k.end) {
        continue;
      }
      rest += k.text.substr(at - k.begin, r.begin - at) + " ";
      at = r.end;
    }
    if (at == k.begin) continue;  // nothing redacted inside: the whole text is kept as is
    rest += k.text.substr(std::min(at - k.begin, k.text.size()));
    out.push_back(std::move(rest));
  }
  return out;
}

}  // namespace redact
