#include "pipeline/write/release_text.h"

#include <algorithm>

namespace redact {

std::string RedactedText(const PageText& page, const std::vector<Finding>& findings) {
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
    out.append(page.text, pos, b - pos);
    out += "[REDACTED " + f->exemption + "]";
    pos = f->end;
  }
  if (pos < page.text.size()) out.append(page.text, pos, std::string::npos);
  return out;
}

std::string RedactedDocumentText(const std::vector<PageText>& pages,
                                 const std::vector<Finding>& findings) {
  std::string out;
  for (size_t i = 0; i < pages.size(); ++i) {
    if (i > 0) out += "\f";
    out += RedactedText(pages[i], findings);
    if (out.empty() || out.back() != '\n') out += "\n";
  }
  return out;
}

}  // namespace redact
