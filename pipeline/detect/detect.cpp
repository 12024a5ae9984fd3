#include "pipeline/detect/detect.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "pipeline/core/hash.h"
#include "pipeline/core/normalize.h"
#include "pipeline/core/page_text_builder.h"
#include "pipeline/core/text.h"

namespace redact {

std::vector<Box> BoxesForSpan(const PageText& page, size_t begin, size_t end, double padding) {
  std::vector<Box> boxes;
  if (page.byte_map.empty()) return boxes;
  end = std::min(end, page.byte_map.size());
  // One box per word touched (its characters in the span), in text order.
  std::vector<std::pair<int32_t, Box>> per_word;
  auto add = [&](const CharRef& ref) {
    if (ref.word < 0) return;
    const Word& w = page.words[size_t(ref.word)];
    Box b = (ref.chr >= 0 && size_t(ref.chr) < w.char_boxes.size()) ? w.char_boxes[size_t(ref.chr)]
                                                                    : w.box;
    if (!per_word.empty() && per_word.back().first == ref.word) {
      per_word.back().second = per_word.back().second.United(b);
    } else {
      per_word.emplace_back(ref.word, b);
    }
  };
  for (size_t i = begin; i < end; ++i) {
    add(page.byte_map[i]);
    for (const HyphenJoin& j : page.joins) {
      if (j.offset == i + 1 && i + 1 < end) add(j.hyphen);
    }
  }
  // Merge consecutive words on one line into a single box (covers the gaps between them).
  for (const auto& [word, b] : per_word) {
    if (!boxes.empty() && !StartsNewLine(boxes.back(), b)) {
      boxes.back() = boxes.back().United(b);
    } else {
      boxes.push_back(b);
    }
  }
  for (Box& b : boxes) b = b.Padded(padding);
  return boxes;
}

void AssignFingerprints(std::vector<Finding>* findings, const std::string& key_bytes) {
  std::map<std::string, int> seen;
  for (Finding& f : *findings) {
    std::string key = f.rule_id + "\n" + NormalizeForMatch(f.text);
    int n = seen[key]++;
    f.fingerprint = HmacSha256Hex(key_bytes, key + "\n" + std::to_string(n)).substr(0, 16);
  }
}

namespace {

Finding MakeFinding(const PageText& page, const Rule& rule, size_t b, size_t e, double padding) {
  // White space a pattern took at either end is not what it found: a marker in its place would
  // join the words around it ("-1.23456\nGroup" read "[REDACTED]Group").
  const auto blank = [&](size_t i) {
    const char c = page.text[i];
    return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
  };
  while (e > b + 1 && blank(e - 1)) --e;
  while (b + 1 < e && blank(b)) ++b;
  Finding f;
  f.rule_id = rule.id;
  f.action = rule.action;
  f.exemption = rule.exemption;
  f.priority = rule.priority;
  f.min_confidence = rule.min_confidence;
  f.box_width = rule.box_width_cm * 72 / 2.54;
  // A detail that is the person's only here: the same text elsewhere is released, so the
  // self-check does not look for it.
  f.only_here = !rule.consistency;
  f.page = page.page;
  f.begin = b;
  f.end = e;
  f.text = page.text.substr(b, e - b);
  f.boxes = BoxesForSpan(page, b, e, padding);
  // Up to 50 bytes either side, cut at character boundaries, on one line.
  size_t cb = b > 50 ? b - 50 : 0, ce = std::min(page.text.size(), e + 50);
  while (cb > 0 && (static_cast<unsigned char>(page.text[cb]) & 0xC0) == 0x80) --cb;
  while (ce < page.text.size() && (static_cast<unsigned char>(page.text[ce]) & 0xC0) == 0x80) ++ce;
  f.context_before = page.text.substr(cb, b - cb);
  f.context_after = page.text.substr(e, ce - e);
  for (std::string* c : {&f.context_before, &f.context_after}) {
    std::replace(c->begin(), c->end(), '\n', ' ');
  }
  for (size_t i = b; i < e && i < page.byte_map.size(); ++i) {
    const CharRef& r = page.byte_map[i];
    if (r.word < 0) continue;
    const Word& w = page.words[size_t(r.word)];
    if (w.source == TextSource::kOcr) f.source = TextSource::kOcr;
    f.confidence = std::min(f.confidence, w.confidence);
  }
  return f;
}

// Words as a name is written: letters and apostrophes (a hyphen separates two words, as the
// self-check's word edges do); a possessive 's is left off ("Okafor's" gives "Okafor").
std::vector<std::pair<size_t, size_t>> NameTokens(std::string_view text) {
  // The length of the letter at `i` (0 if none): ASCII letters and the Latin letters of
  // Latin-1 and Latin Extended-A/B, as names are written; quotes, dashes and spaces are not,
  // so a token ends where the self-check's word edge does.
  auto letter = [&](size_t i) -> size_t {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    if (c < 0xC3 || c > 0xC9 || i + 1 >= text.size()) return 0;  // U+00C0..U+024F lead bytes
    const unsigned char d = static_cast<unsigned char>(text[i + 1]);
    if ((d & 0xC0) != 0x80) return 0;
    const unsigned cp = ((c & 0x1Fu) << 6) | (d & 0x3Fu);
    return cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7 ? 2 : 0;
  };
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t i = 0; i < text.size();) {
    if (letter(i) == 0) {
      ++i;
      continue;
    }
    size_t e = i;
    while (e < text.size()) {
      if (const size_t n = letter(e)) {
        e += n;
      } else if (text[e] == '\'' && e + 1 < text.size() && letter(e + 1)) {
        ++e;
      } else {
        break;
      }
    }
    size_t end = e;
    if (end - i > 2 && text[end - 2] == '\'' && (text[end - 1] == 's' || text[end - 1] == 'S')) {
      end -= 2;
    }
    out.emplace_back(i, end);
    i = e;
  }
  return out;
}

// The words of a name finding that stand for the person alone: those passing one of the
// rule's name_parts checks (a forename or surname that is not an ordinary word), capitalised
// in the finding and at least three letters; lower-cased, for they are redacted in any
// capitals, as the self-check looks for every redacted string.
std::vector<std::string> NameParts(const Rule& rule, std::string_view text) {
  std::vector<std::string> out;
  if (rule.name_parts.empty()) return out;
  for (const auto& [b, e] : NameTokens(text)) {
    const std::string_view word = text.substr(b, e - b);
    if (word.size() < 3 || !(word[0] >= 'A' && word[0] <= 'Z')) continue;
    if (std::any_of(rule.name_parts.begin(), rule.name_parts.end(),
                    [&](const ListCheck& c) { return c.Passes(word); }) ||
        (rule.name_continues && rule.name_continues->Passes(word))) {
      out.push_back(FoldCase(word));
    }
  }
  return out;
}

// The code point at byte `i` of `s` and its length (U+FFFD, 1 for a stray byte).
std::pair<char32_t, size_t> CodePointAt(std::string_view s, size_t i) {
  const size_t len = std::min(Utf8SequenceLength(static_cast<unsigned char>(s[i])), s.size() - i);
  const std::vector<char32_t> cps = DecodeUtf8(s.substr(i, len));
  return cps.size() == 1 ? std::make_pair(cps[0], len)
                         : std::make_pair(char32_t(0xFFFD), size_t(1));
}

// The byte where the code point ending just before byte `i` starts.
size_t PreviousCodePoint(std::string_view s, size_t i) {
  size_t b = i - 1;
  while (b > 0 && i - b < 4 && (static_cast<unsigned char>(s[b]) & 0xC0) == 0x80) --b;
  return b;
}

bool IsApostrophe(char32_t c) { return c == '\'' || c == 0x2019; }

// The end of the word of letters starting at `i` (apostrophes and hyphens inside it, between
// letters: "O'Brien", "Fenwick-Hale"); `i` if no letter starts there.
size_t WordEndAt(std::string_view s, size_t i) {
  size_t e = i;
  while (e < s.size()) {
    auto [c, n] = CodePointAt(s, e);
    if (IsLetter(c)) {
      e += n;
    } else if ((IsApostrophe(c) || c == '-') && e > i && e + n < s.size() &&
               IsLetter(CodePointAt(s, e + n).first)) {
      e += n;
    } else {
      break;
    }
  }
  return e;
}

// The start of the word of letters ending at byte `e`; `e` if no letter ends there.
size_t WordStartAt(std::string_view s, size_t e) {
  size_t b = e;
  while (b > 0) {
    const size_t p = PreviousCodePoint(s, b);
    const char32_t c = CodePointAt(s, p).first;
    if (IsLetter(c)) {
      b = p;
    } else if ((IsApostrophe(c) || c == '-') && b < e && p > 0 &&
               IsLetter(CodePointAt(s, PreviousCodePoint(s, p)).first)) {
      b = p;
    } else {
      break;
    }
  }
  return b;
}

// Suffixes written after a name (as the titled-name rule writes them).
bool IsNameSuffix(std::string_view w) {
  static const std::set<std::string, std::less<>> kSuffixes = {"jr", "sr",  "jnr", "snr",
                                                               "ii", "iii", "iv"};
  return kSuffixes.count(LowerAscii(w)) > 0 && w[0] >= 'A' && w[0] <= 'Z';
}

// How a name beside a match goes on: its rule's checks and the capitals it is written in.
class NameShape {
 public:
  NameShape(const Rule& rule, const PageText& page, std::string_view name)
      : rule_(rule), page_(page), text_(page.text) {
    for (size_t i = 0; i < name.size();) {
      auto [c, n] = CodePointAt(name, i);
      if (IsLetter(c) && !IsCapital(c)) small_letters_ = true;
      i += n;
    }
  }

  // A word that is the same name: capitalised as the name is (title case beside title case,
  // capitals beside capitals), letters only, and no ordinary word.
  bool Continues(size_t b, size_t e) const {
    if (e <= b) return false;
    const std::string_view w = text_.substr(b, e - b);
    auto [first, n] = CodePointAt(w, 0);
    if (!IsCapital(first) || n == w.size()) return false;
    bool small = false;
    for (size_t i = n; i < w.size();) {
      auto [c, len] = CodePointAt(w, i);
      if (IsLetter(c) && !IsCapital(c)) small = true;
      i += len;
    }
    if (small != small_letters_) return false;
    if (IsNameSuffix(w)) return false;
    return rule_.name_continues->Passes(w);
  }

  // "de la", "van der", "bin": lower case in a name in title case ("De" too, as some write
  // it), any case in one in capitals.
  bool Particle(size_t b, size_t e) const {
    if (!rule_.name_particles || e <= b) return false;
    const std::string_view w = text_.substr(b, e - b);
    if (!rule_.name_particles->Has(w)) return false;
    if (!small_letters_) return true;
    const std::string lower = FoldCase(w);
    return lower == w || lower.substr(1) == w.substr(1);
  }

  // Words of a page drawn with no more than a word space between them: on a page with
  // geometry, a wider gap is another cell or column, never the same name.
  bool Near(size_t left_end, size_t right_begin) const {
    if (page_.byte_map.empty()) return true;
    const CharRef a = page_.byte_map[left_end - 1], b = page_.byte_map[right_begin];
    if (a.word < 0 || b.word < 0) return true;
    const Box& ba = CharBox(a);
    const Box& bb = CharBox(b);
    const double h = std::max(1.0, std::min(ba.height(), bb.height()));
    return bb.x0 - ba.x1 <= 0.6 * h && !StartsNewLine(ba, bb);
  }

 private:
  const Box& CharBox(const CharRef& r) const {
    const Word& w = page_.words[size_t(r.word)];
    return r.chr >= 0 && size_t(r.chr) < w.char_boxes.size() ? w.char_boxes[size_t(r.chr)] : w.box;
  }
  const Rule& rule_;
  const PageText& page_;
  std::string_view text_;
  bool small_letters_ = false;
};

// Grows a name finding over the rest of its name: to its words' edges, then over the words
// beside it that are the same name (Dr. María J. Ortega de la Fuente II, whichever of them a
// rule matched). Part of a name left beside a box is the name released.
void GrowNameToWhole(const PageText& page, const Rule& rule, Finding* f, double padding) {
  if (!rule.name_continues || f->action != Action::kRedact || f->begin >= f->end) return;
  const std::string_view s = page.text;
  const NameShape shape(rule, page, std::string_view(s).substr(f->begin, f->end - f->begin));
  size_t begin = WordStartAt(s, f->begin), end = WordEndAt(s, f->end);
  if (end < f->end) end = f->end;
  // A space, or a line break where `line_ok`, before byte `i`: where the next word starts.
  const auto after_gap = [&](size_t i, bool line_ok) -> size_t {
    if (i < s.size() && (s[i] == ' ' || (line_ok && s[i] == '\n'))) return i + 1;
    return std::string::npos;
  };
  // An initial or a run of them at `i`: "J.", "Z.M.", "E.-L."; its end, or npos.
  const auto initials_at = [&](size_t i) -> size_t {
    size_t e = i;
    while (e < s.size()) {
      auto [c, n] = CodePointAt(s, e);
      if (!IsCapital(c) || e + n >= s.size() || s[e + n] != '.') break;
      if (e + n + 1 < s.size() && IsLetterAt(s, e + n + 1)) break;
      e += n + 1;
      if (e + 1 < s.size() && s[e] == '-') ++e;
    }
    if (e > i && s[e - 1] == '-') --e;
    return e > i ? e : std::string::npos;
  };
  // Rightwards: initials and particles only when a name word follows them.
  for (;;) {
    size_t p = end;
    if (p + 1 < s.size() && s[p] == ',') {  // "Carver, Jr."
      const size_t q = after_gap(p + 1, false);
      const size_t e = q == std::string::npos ? q : WordEndAt(s, q);
      if (e != std::string::npos && e > q && IsNameSuffix(s.substr(q, e - q))) {
        end = e < s.size() && s[e] == '.' ? e + 1 : e;
      }
      break;
    }
    size_t q = after_gap(p, false);
    if (q == std::string::npos) break;
    size_t lead = q;  // where the words that need a name after them start
    bool needs_name = false;
    for (;;) {
      const size_t init = initials_at(q);
      if (init != std::string::npos) {
        needs_name = true;
        const size_t next = after_gap(init, false);
        if (next == std::string::npos) break;
        q = next;
        continue;
      }
      const size_t e = WordEndAt(s, q);
      if (e > q && shape.Particle(q, e)) {
        needs_name = true;
        const size_t next = after_gap(e, true);
        if (next == std::string::npos) break;
        q = next;
        continue;
      }
      break;
    }
    const size_t e = WordEndAt(s, q);
    if (e > q && IsNameSuffix(s.substr(q, e - q)) && !needs_name && shape.Near(p, q)) {
      end =
          e < s.size() && s[e] == '.' && (e + 1 >= s.size() || s[e + 1] == ' ' || s[e + 1] == '\n')
              ? e + 1
              : e;
      break;
    }
    if (e > q && shape.Continues(q, e) && shape.Near(p, lead)) {
      end = e;
      continue;
    }
    break;
  }
  // Leftwards: a name word, initials, or particles with a name word before them.
  for (;;) {
    if (begin < 2 || s[begin - 1] != ' ') break;
    const size_t gap = begin - 1;
    // Initials: "J. " before the name.
    size_t b = gap;
    while (b >= 2 && s[b - 1] == '.' &&
           IsCapital(CodePointAt(s, PreviousCodePoint(s, b - 1)).first)) {
      const size_t c = PreviousCodePoint(s, b - 1);
      if (c > 0 && IsLetterBefore(s, c)) break;
      b = c;
      if (b >= 1 && s[b - 1] == '-') --b;
    }
    if (b < gap && (b == 0 || s[b - 1] == ' ' || s[b - 1] == '\n') && s[b] != '-' &&
        shape.Near(gap, begin)) {
      begin = b;
      continue;
    }
    const size_t wb = WordStartAt(s, gap);
    if (wb < gap && shape.Continues(wb, gap) && shape.Near(gap, begin)) {
      begin = wb;
      continue;
    }
    // Particles, then a name word before them: "Ortega de la [Fuente]".
    size_t pb = gap, cursor = wb;
    bool particles = false;
    while (cursor < pb && shape.Particle(cursor, pb)) {
      particles = true;
      if (cursor < 2 || (s[cursor - 1] != ' ' && s[cursor - 1] != '\n')) break;
      pb = cursor - 1;
      cursor = WordStartAt(s, pb);
    }
    if (particles && cursor < pb && shape.Continues(cursor, pb)) {
      begin = cursor;
      continue;
    }
    break;
  }
  if (begin == f->begin && end == f->end) return;
  f->begin = begin;
  f->end = end;
  f->text = page.text.substr(begin, end - begin);
  f->boxes = BoxesForSpan(page, begin, end, padding);
}

// A name ends where its cell of a table does: cells drawn side by side read as one line
// ("Mr Dev Patel Under contract": Owner, then Notes), and a name pattern that takes the
// capitalised words after a title would take the next cell's first word. Cut only after two
// words, so a title alone in its cell ("Mr" | "Dev Patel") keeps the name it introduces.
void EndNameAtItsCell(const PageText& page, const PageText& cells, Finding* f, double padding) {
  if (cells.text.empty() || f->action != Action::kRedact || f->end > page.byte_map.size()) return;
  auto key = [](const CharRef& r) { return (uint64_t(uint32_t(r.word)) << 32) | uint32_t(r.chr); };
  // The line of the cell reading (one cell's text a line) each of the finding's characters
  // is on.
  std::unordered_map<uint64_t, size_t> wanted;
  for (size_t i = f->begin; i < f->end; ++i) {
    if (page.byte_map[i].word >= 0) wanted.emplace(key(page.byte_map[i]), 0);
  }
  size_t line = 0;
  for (size_t i = 0; i < cells.byte_map.size() && i < cells.text.size(); ++i) {
    if (cells.text[i] == '\n') ++line;
    if (cells.byte_map[i].word < 0) continue;
    auto it = wanted.find(key(cells.byte_map[i]));
    if (it != wanted.end()) it->second = line + 1;  // 0: not in a table
  }
  size_t cell = 0, words = 0;
  for (size_t i = f->begin; i < f->end; ++i) {
    const CharRef& r = page.byte_map[i];
    if (r.word < 0) continue;
    const bool starts_word = i == f->begin || page.byte_map[i - 1].word < 0;
    if (starts_word) ++words;
    const size_t here = wanted[key(r)];
    if (here == 0) continue;
    if (cell == 0) cell = here;
    if (here == cell) continue;
    if (!starts_word || words < 3) return;
    size_t end = i;
    while (end > f->begin && page.byte_map[end - 1].word < 0) --end;
    f->end = end;
    f->text = page.text.substr(f->begin, end - f->begin);
    f->boxes = BoxesForSpan(page, f->begin, end, padding);
    return;
  }
}

// Merges overlapping redactions on one page; drops flags that lie inside a redaction.
std::vector<Finding> MergePage(std::vector<Finding> in, const PageText& page, double padding) {
  std::sort(in.begin(), in.end(), [](const Finding& a, const Finding& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<Finding> redactions, flags;
  size_t outer = 0;  // index of the redaction the next ones may overlap
  for (Finding& f : in) {
    if (f.action != Action::kRedact) {
      flags.push_back(std::move(f));
      continue;
    }
    if (!redactions.empty() && f.begin < redactions[outer].end) {
      Finding& last = redactions[outer];
      // A finding of another rule wholly inside a passage (a security body named in a
      // drafting note) keeps its own record and exemption: a reviewer who releases the
      // passage does not release it too. Terms inside terms (a host in an e-mail address)
      // merge as before. A passage is a line or more, or five words or more.
      const bool passage = last.end - last.begin >= 80 ||
                           last.text.find('\n') != std::string::npos ||
                           std::count(last.text.begin(), last.text.end(), ' ') >= 4;
      if (f.end <= last.end && f.rule_id != last.rule_id && passage) {
        redactions.push_back(std::move(f));
        continue;
      }
      if (f.end > last.end) {
        last.end = f.end;
        last.text = page.text.substr(last.begin, last.end - last.begin);
        last.boxes = BoxesForSpan(page, last.begin, last.end, padding);
      }
      last.consistency = last.consistency && f.consistency;
      if (last.whole.empty()) last.whole = std::move(f.whole);
      if (f.priority > last.priority) {  // the more specific rule names the merged box
        last.rule_id = f.rule_id;
        last.exemption = f.exemption;
        last.priority = f.priority;
        last.min_confidence = f.min_confidence;
      }
      last.confidence = std::min(last.confidence, f.confidence);
      if (f.source == TextSource::kOcr) last.source = TextSource::kOcr;
      continue;
    }
    redactions.push_back(std::move(f));
    outer = redactions.size() - 1;
  }
  std::vector<Finding> out = std::move(redactions);
  for (Finding& f : flags) {
    bool covered = std::any_of(out.begin(), out.end(), [&](const Finding& r) {
      return r.action == Action::kRedact && r.begin <= f.begin && f.end <= r.end;
    });
    if (!covered) out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(),
            [](const Finding& a, const Finding& b) { return a.begin < b.begin; });
  return out;
}

// The same words read two more ways: every word on its own, where the page drew two words so
// close that the reading joined them ("1.2vpn.example"); and the tables cell by cell, where a
// narrow cell broke a word over lines ("mdm01.corp" / ".example.pol" / "ice.uk"). The
// self-check reads the release the same three ways, so the two never disagree.
Status FindInOtherReadings(const PageText& text, const PageText& cells, const RuleMatcher& matcher,
                           const DetectOptions& options, std::vector<Finding>* found) {
  for (const PageText* other_reading : {&cells, static_cast<const PageText*>(nullptr)}) {
    const PageText separated = other_reading ? PageText() : EveryWordSeparated(text);
    const PageText& other = other_reading ? *other_reading : separated;
    if (other.text.empty() || other.text == text.text) continue;
    auto more = matcher.FindSpans(other.text);
    if (!more.ok()) return more.status();
    for (const RuleSpan& s : *more) {
      const Rule& rule = matcher.rules()[s.rule];
      const auto pieces = SpansInOtherReading(other, s.begin, s.end, text);
      for (const auto& [b, e] : pieces) {
        bool known = std::any_of((*found).begin(), (*found).end(), [&](const Finding& f) {
          return f.rule_id == rule.id && f.begin <= b && e <= f.end;
        });
        if (known) continue;
        Finding f = MakeFinding(text, rule, b, e, options.box_padding);
        if (pieces.size() > 1) f.whole = other.text.substr(s.begin, s.end - s.begin);
        (*found).push_back(std::move(f));
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Finding>> DetectFindings(const PageStore& pages, const RuleMatcher& matcher,
                                            const DetectOptions& options) {
  std::vector<std::vector<Finding>> per_page(pages.size());
  std::unordered_map<std::string, const Rule*> rules_by_id;
  for (const Rule& r : matcher.rules()) {
    if (r.name_continues) rules_by_id.emplace(r.id, &r);
  }
  for (size_t p = 0; p < pages.size(); ++p) {
    auto page = pages.Get(p);
    if (!page.ok()) return page.status();
    const PageText& text = **page;
    auto spans = matcher.FindSpans(text.text);
    if (!spans.ok()) return spans.status();
    for (const RuleSpan& s : *spans) {
      per_page[p].push_back(
          MakeFinding(text, matcher.rules()[s.rule], s.begin, s.end, options.box_padding));
    }
    // The same words read two more ways: every word on its own, where the page drew two words
    // so close that the reading joined them ("1.2vpn.example"); and the tables cell by cell,
    // where a narrow cell broke a word over lines ("mdm01.corp" / ".example.pol" / "ice.uk").
    // The self-check reads the release the same three ways, so the two never disagree.
    const PageText cells = text.byte_map.empty() ? PageText() : CellReading(text);
    if (!text.byte_map.empty()) {
      if (Status st = FindInOtherReadings(text, cells, matcher, options, &per_page[p]); !st.ok()) {
        return st;
      }
    }
    // A name is redacted whole (and its parts found again elsewhere, below), and within its
    // cell of a table.
    for (Finding& f : per_page[p]) {
      auto r = rules_by_id.find(f.rule_id);
      if (r == rules_by_id.end()) continue;
      EndNameAtItsCell(text, cells, &f, options.box_padding);
      GrowNameToWhole(text, *r->second, &f, options.box_padding);
    }
  }
  // literal (normalised) -> the rule that first redacted it; a name's parts as written ->
  // the name's rule.
  std::map<std::string, std::pair<size_t, std::string>> literals;  // and the text as found
  std::unordered_map<std::string, size_t> name_parts;
  if (options.consistency) {
    std::map<std::string, size_t> rule_index;
    for (size_t i = 0; i < matcher.rules().size(); ++i) rule_index[matcher.rules()[i].id] = i;
    for (const auto& fs : per_page) {
      for (const Finding& f : fs) {
        if (f.action != Action::kRedact) continue;
        const size_t rule = rule_index[f.rule_id];
        if (!matcher.rules()[rule].consistency) continue;
        const std::string& found = f.whole.empty() ? f.text : f.whole;
        std::string lit = NormalizeForMatch(found);
        if (lit.size() >= options.min_consistency_length) {
          literals.emplace(std::move(lit), std::make_pair(rule, found));
        }
        for (const std::string& part : NameParts(matcher.rules()[rule], f.text)) {
          name_parts.emplace(part, rule);
        }
      }
    }
  }
  // What the self-check found in an earlier release, found as any redacted string is.
  {
    std::map<std::string, size_t> rule_index;
    for (size_t i = 0; i < matcher.rules().size(); ++i) rule_index[matcher.rules()[i].id] = i;
    for (const auto& [text, rule_id] : options.also_redact) {
      auto rule = rule_index.find(rule_id);
      if (rule == rule_index.end() || NormalizeForMatch(text).empty()) continue;
      literals.emplace(NormalizeForMatch(text), std::make_pair(rule->second, text));
    }
  }
  std::vector<std::string> keys;
  for (const auto& [lit, rule] : literals) keys.push_back(rule.second);
  auto finder = LiteralFinder::Compile(keys);
  if (!finder.ok()) return finder.status();
  std::vector<Finding> all;
  for (size_t p = 0; p < pages.size(); ++p) {
    if (finder->empty() && per_page[p].empty()) continue;
    auto loaded = pages.Get(p);
    if (!loaded.ok()) return loaded.status();
    const PageText& page = **loaded;
    // Redacts bytes [b, e) of `page` as rule `rule` redacted them elsewhere, unless already.
    const auto add = [&](size_t rule, size_t b, size_t e, std::string whole) {
      bool covered = std::any_of(per_page[p].begin(), per_page[p].end(), [&](const Finding& f) {
        return f.action == Action::kRedact && f.begin <= b && e <= f.end;
      });
      if (covered) return;
      Finding f = MakeFinding(page, matcher.rules()[rule], b, e, options.box_padding);
      f.consistency = true;
      f.whole = std::move(whole);
      per_page[p].push_back(std::move(f));
    };
    // Searches one reading of the page: the redacted strings, and a forename or surname of a
    // redacted name alone elsewhere ("Okafor also said Daniel was away", "OKAFOR").
    const auto search = [&](const PageText& reading) -> Status {
      const bool same = &reading == &page;
      const auto add_span = [&](size_t rule, size_t b, size_t e) {
        if (same) return add(rule, b, e, {});
        const auto pieces = SpansInOtherReading(reading, b, e, page);
        for (const auto& [pb, pe] : pieces) {
          add(rule, pb, pe, pieces.size() > 1 ? reading.text.substr(b, e - b) : std::string());
        }
      };
      auto found = finder->Find(reading.text);
      if (!found.ok()) return found.status();
      for (const auto& [b, e] : *found) {
        auto rule = literals.find(NormalizeForMatch(reading.text.substr(b, e - b)));
        if (rule != literals.end()) add_span(rule->second.first, b, e);
      }
      if (name_parts.empty()) return Status::Ok();
      for (const auto& [b, e] : NameTokens(reading.text)) {
        auto part = name_parts.find(FoldCase(std::string_view(reading.text).substr(b, e - b)));
        if (part != name_parts.end()) add_span(part->second, b, e);
      }
      return Status::Ok();
    };
    if (Status s = search(page); !s.ok()) return s;
    // The two other readings detection and the self-check use (above), so that a string the
    // page draws over two cells of a table is redacted where it recurs too, not only found by
    // the self-check.
    if ((!finder->empty() || !name_parts.empty()) && !page.byte_map.empty()) {
      for (const PageText& other : {EveryWordSeparated(page), CellReading(page)}) {
        if (other.text.empty() || other.text == page.text) continue;
        if (Status s = search(other); !s.ok()) return s;
      }
    }
    // A name is redacted whole: every name finding grown over the rest of its name.
    for (Finding& f : per_page[p]) {
      auto r = rules_by_id.find(f.rule_id);
      if (r != rules_by_id.end()) GrowNameToWhole(page, *r->second, &f, options.box_padding);
    }
    for (Finding& f : MergePage(std::move(per_page[p]), page, options.box_padding)) {
      f.low_confidence =
          f.confidence < (f.min_confidence >= 0 ? f.min_confidence : options.min_flag_confidence);
      if (f.action != Action::kRedact && f.low_confidence) continue;
      all.push_back(std::move(f));
    }
  }
  AssignFingerprints(&all, options.fingerprint_key);
  return all;
}

Result<std::vector<Finding>> LiteralFindings(const PageText& page, const std::string& literal,
                                             const std::string& rule_id, double padding) {
  auto spans = RuleMatcher::FindLiteral(page.text, literal);
  if (!spans.ok()) return spans.status();
  std::vector<Finding> out;
  for (const auto& [b, e] : *spans) {
    Finding f;
    f.rule_id = rule_id;
    f.page = page.page;
    f.begin = b;
    f.end = e;
    f.text = page.text.substr(b, e - b);
    f.boxes = BoxesForSpan(page, b, e, padding);
    out.push_back(std::move(f));
  }
  return out;
}

Result<std::vector<Finding>> DetectFindings(const std::vector<PageText>& pages,
                                            const RuleMatcher& matcher,
                                            const DetectOptions& options) {
  return DetectFindings(PageStore(pages), matcher, options);
}

}  // namespace redact
