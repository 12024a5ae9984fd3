#include "pipeline/write/release_text.h"

#include <algorithm>

#include "pipeline/core/normalize.h"

namespace redact {

namespace {

// Appends text[from, to) leaving out the bytes of hidden words.
void AppendVisible(const PageText& page, size_t from, size_t to, const std::vector<bool>& hidden,
                   std::string* out) {
  if (hidden.empty() || page.byte_map.empty()) {
    out->append(page.text, from, to - from);
    return;
  }
  for (size_t i = from; i < to; ++i) {
    int32_t w = page.byte_map[i].word;
    if (w >= 0 && size_t(w) < hidden.size() && hidden[size_t(w)]) continue;
    out->push_back(page.text[i]);
  }
}

// Redactions that are places, not text (a reviewer's area): every character whose centre
// lies under one is redacted wherever it is in the text, as it is in the pixels.
std::vector<std::pair<size_t, size_t>> AreaSpans(const PageText& page,
                                                 const std::vector<Finding>& findings) {
  std::vector<const Box*> areas;
  for (const Finding& f : findings) {
    if (f.page != page.page || f.action != Action::kRedact || f.begin != f.end) continue;
    for (const Box& b : f.boxes) areas.push_back(&b);
  }
  std::vector<std::pair<size_t, size_t>> out;
  if (areas.empty()) return out;
  for (size_t i = 0; i < page.byte_map.size() && i < page.text.size(); ++i) {
    const CharRef& r = page.byte_map[i];
    if (r.word < 0 || size_t(r.word) >= page.words.size()) continue;
    const Word& w = page.words[size_t(r.word)];
    const Box& c =
        r.chr >= 0 && size_t(r.chr) < w.char_boxes.size() ? w.char_boxes[size_t(r.chr)] : w.box;
    const double cx = (c.x0 + c.x1) / 2, cy = (c.y0 + c.y1) / 2;
    const bool under = std::any_of(areas.begin(), areas.end(), [&](const Box* a) {
      return cx >= a->x0 && cx <= a->x1 && cy >= a->y0 && cy <= a->y1;
    });
    if (!under) continue;
    if (!out.empty() && out.back().second == i) {
      out.back().second = i + 1;
    } else {
      out.push_back({i, i + 1});
    }
  }
  return out;
}

// A plain text that reading changed: the redacted spans taken back to the file's own bytes
// (the smallest stretch holding each), the rest copied as the file has it.
std::string RedactedSource(const PageText& page, const std::vector<const Finding*>& spans) {
  struct Cut {
    size_t begin, end;
    const std::string* exemption;
  };
  std::vector<Cut> cuts;
  for (const Finding* f : spans) {
    size_t b = f->begin, e = std::min(f->end, page.source_map.size());
    if (b >= e) continue;
    size_t sb = page.source_map[b].begin, se = page.source_map[b].end;
    for (size_t i = b; i < e; ++i) {
      sb = std::min<size_t>(sb, page.source_map[i].begin);
      se = std::max<size_t>(se, page.source_map[i].end);
    }
    const SourceRange wide = WidenOverInvisible(page.source_text, {uint32_t(sb), uint32_t(se)});
    cuts.push_back({wide.begin, wide.end, &f->exemption});
  }
  std::sort(cuts.begin(), cuts.end(), [](const Cut& a, const Cut& b) { return a.begin < b.begin; });
  std::string out;
  size_t pos = 0;
  for (const Cut& c : cuts) {
    if (c.end <= pos) continue;  // inside the previous marker
    if (c.begin > pos) out.append(page.source_text, pos, c.begin - pos);
    out += "[REDACTED " + *c.exemption + "]";
    pos = c.end;
  }
  if (pos < page.source_text.size()) out.append(page.source_text, pos, std::string::npos);
  return out;
}

}  // namespace

std::string RedactedText(const PageText& page, const std::vector<Finding>& findings,
                         const std::vector<bool>& hidden) {
  std::vector<const Finding*> spans;
  for (const Finding& f : findings) {
    if (f.page == page.page && f.action == Action::kRedact && f.end > f.begin) spans.push_back(&f);
  }
  // An area's characters, as spans of their own labelled with the area's exemption.
  std::vector<Finding> area_spans;
  for (const Finding& f : findings) {
    if (f.page != page.page || f.action != Action::kRedact || f.begin != f.end) continue;
    std::vector<Finding> one = {f};
    for (const auto& [b, e] : AreaSpans(page, one)) {
      Finding piece = f;
      piece.begin = b;
      piece.end = e;
      area_spans.push_back(piece);
    }
  }
  for (const Finding& f : area_spans) spans.push_back(&f);
  std::sort(spans.begin(), spans.end(),
            [](const Finding* a, const Finding* b) { return a->begin < b->begin; });
  if (!page.source_text.empty()) return RedactedSource(page, spans);
  std::string out;
  size_t pos = 0;
  for (const Finding* f : spans) {
    if (f->end <= pos) continue;  // covered by the previous marker
    size_t b = std::max(f->begin, pos);
    AppendVisible(page, pos, b, hidden, &out);
    out += "[REDACTED " + f->exemption + "]";
    pos = f->end;
  }
  if (pos < page.text.size()) AppendVisible(page, pos, page.text.size(), hidden, &out);
  return out;
}

std::string RedactedDocumentText(const std::vector<PageText>& pages,
                                 const std::vector<Finding>& findings,
                                 const std::vector<std::vector<bool>>& hidden) {
  std::string out;
  for (size_t i = 0; i < pages.size(); ++i) {
    if (i > 0) out += "\f";
    out += RedactedText(pages[i], findings, i < hidden.size() ? hidden[i] : std::vector<bool>());
    if (out.empty() || out.back() != '\n') out += "\n";
  }
  return out;
}

}  // namespace redact
