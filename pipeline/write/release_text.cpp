#include "pipeline/write/release_text.h"

#include <algorithm>

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

}  // namespace

std::string RedactedText(const PageText& page, const std::vector<Finding>& findings,
                         const std::vector<bool>& hidden) {
  std::vector<const Finding*> spans;
  for (const Finding& f : findings) {
    if (f.page == page.page && f.action == Action::kRedact) spans.push_back(&f);
  }
  std::sort(spans.begin(), spans.end(),
            [](const Finding* a, const Finding* b) { return a->begin < b->begin; });
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
