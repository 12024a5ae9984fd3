#include "pipeline/core/rule.h"

#include <algorithm>

#include "pipeline/core/text.h"

namespace redact {

namespace {

// Folds case (ASCII and the Latin alphabets) and a typographic apostrophe to "'", as the
// lists are written.
std::string Key(std::string_view word) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    if (word.compare(i, 3, "\xE2\x80\x99") == 0) {  // ’
      out.push_back('\'');
      i += 2;
      continue;
    }
    if (word.compare(i, 2, "\xC4\xB0") == 0) {  // İ: the lists write "ismail"
      out.push_back('i');
      i += 1;
      continue;
    }
    out.push_back(c);
  }
  out = FoldCase(out);  // "SIÂN" is "siân", as the lists write it
  if (out.size() > 2 && out.compare(out.size() - 2, 2, "'s") == 0) out.resize(out.size() - 2);
  return out;
}

}  // namespace

bool WordList::Has(std::string_view word) const {
  const std::string key = Key(word);
  return std::binary_search(words.begin(), words.end(), std::string_view(key));
}

bool ListCheck::Passes(std::string_view text) const {
  if (text.empty()) return false;
  for (const auto& out : not_in) {
    if (out->Has(text)) return false;
  }
  // "Smith-Jones": each part is a name ("Mary-Rose" is one, though "rose" is a word).
  size_t from = 0;
  while (from <= text.size()) {
    size_t dash = text.find('-', from);
    if (dash == std::string_view::npos) dash = text.size();
    std::string_view part = text.substr(from, dash - from);
    // "Fenwick-\nHale": a name broken over a line at its hyphen.
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t' || part.front() == '\n')) {
      part.remove_prefix(1);
    }
    if (part.empty() || (in && !in->Has(part))) return false;
    from = dash + 1;
  }
  return true;
}

}  // namespace redact
