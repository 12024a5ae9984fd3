#include "pipeline/verify/release_path.h"

#include <algorithm>

#include "pipeline/core/text.h"

namespace redact {
namespace {

std::vector<std::string> SplitPath(const std::string& relative) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string::npos) slash = relative.size();
    out.push_back(relative.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Where the extension of a file name starts (".pdf", ".txt": a dot, then one to five ASCII
// letters or digits), or npos. A leading dot is no extension.
size_t ExtensionStart(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0 || name.size() - dot < 2 || name.size() - dot > 6) {
    return std::string::npos;
  }
  for (size_t i = dot + 1; i < name.size(); ++i) {
    const char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
      return std::string::npos;
    }
  }
  return dot;
}

bool IsSeparator(char c) { return c == '-' || c == '_' || c == '.'; }

// The markers the redact rules leave ("[REDACTED s.40(2)]"), longest first: read as spaces, so
// that a name redacted once is not read again (and its exemption's digits are no phone number).
// Only these exact markers: "[REDACTED Amy Lowe]" is read as written.
std::vector<std::string> Markers(const RuleMatcher& matcher) {
  std::vector<std::string> out = {PathMarker("")};
  for (const Rule& r : matcher.rules()) {
    if (r.action == Action::kRedact) out.push_back(PathMarker(r.exemption));
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// A name as the rules read it: as written, words apart and title-cased, each the same length
// in bytes as the name so that a span in any of them is a span of the name.
struct NameReadings {
  std::string raw;     // markers blanked
  std::string spaced;  // '-', '_', '.' as spaces
  std::string titled;  // spaced, each word lower case with a capital first letter
  std::vector<std::pair<size_t, size_t>> words;  // of spaced
};

NameReadings ReadName(const std::string& name, const std::vector<std::string>& markers) {
  NameReadings r;
  r.raw = name;
  for (size_t at = r.raw.find("[REDACTED"); at != std::string::npos;
       at = r.raw.find("[REDACTED", at + 1)) {
    for (const std::string& m : markers) {
      if (r.raw.compare(at, m.size(), m) == 0) {
        std::fill(r.raw.begin() + long(at), r.raw.begin() + long(at + m.size()), ' ');
        break;
      }
    }
  }
  r.spaced = r.raw;
  for (char& c : r.spaced) {
    if (IsSeparator(c) || c == '\t') c = ' ';
  }
  r.titled = FoldCase(r.spaced);
  for (size_t i = 0; i < r.titled.size();) {
    if (r.titled[i] == ' ') {
      ++i;
      continue;
    }
    const size_t begin = i;
    while (i < r.titled.size() && r.titled[i] != ' ') ++i;
    r.words.emplace_back(begin, i);
    // The first letter a capital: ASCII, or Latin-1 (U+00E0..U+00FE but U+00F7, two bytes).
    unsigned char& c0 = reinterpret_cast<unsigned char&>(r.titled[begin]);
    if (c0 >= 'a' && c0 <= 'z') {
      c0 = static_cast<unsigned char>(c0 - 32);
    } else if (c0 == 0xC3 && begin + 1 < i) {
      unsigned char& c1 = reinterpret_cast<unsigned char&>(r.titled[begin + 1]);
      if (c1 >= 0xA0 && c1 <= 0xBE && c1 != 0xB7) c1 = static_cast<unsigned char>(c1 - 0x20);
    }
  }
  return r;
}

struct RawHit {
  size_t begin = 0, end = 0;
  size_t rule = 0;
};

// The words of `s` between its spaces.
std::vector<std::string_view> SpacedWords(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == ' ') {
      ++i;
      continue;
    }
    const size_t begin = i;
    while (i < s.size() && s[i] != ' ') ++i;
    out.push_back(s.substr(begin, i - begin));
  }
  return out;
}

// Whether every word of `span` is in a name list of the rule's name_parts checks (a forename
// or a surname) and one of them is no ordinary word as well: the capitals a title-cased reading
// gives every word are the reading's, not the author's, so there a name rule's hit counts only
// on words that are names in any capitals ("Tom Reid"; never "Psni Common" of
// "01_psni_common_purpose" or "Ocrmypdf Linn").
bool AllNames(const Rule& rule, std::string_view span) {
  bool one_is_no_word = false;
  for (const std::string_view word : SpacedWords(span)) {
    bool listed = false;
    for (const ListCheck& c : rule.name_parts) {
      listed = listed || (c.in && c.in->Has(word));
      one_is_no_word = one_is_no_word || (c.in && c.Passes(word));
    }
    if (!listed) return false;
  }
  return one_is_no_word;
}

// Every redact rule's span in every reading of `r`, as bytes of the name.
Result<std::vector<RawHit>> FindRuleHits(const NameReadings& r, const RuleMatcher& matcher) {
  struct Line {
    std::string_view text;
    size_t offset;  // where it starts in the name
    bool titled;    // capitals given by the reading
  };
  std::vector<Line> lines;
  lines.push_back({r.raw, 0, false});
  if (r.spaced != r.raw) lines.push_back({r.spaced, 0, false});
  if (r.titled != r.spaced) lines.push_back({r.titled, 0, true});
  for (size_t k = 2; k <= 3; ++k) {
    if (r.words.size() <= k) break;
    for (size_t i = 0; i + k <= r.words.size(); ++i) {
      const size_t begin = r.words[i].first, end = r.words[i + k - 1].second;
      lines.push_back({std::string_view(r.titled).substr(begin, end - begin), begin, true});
    }
  }
  std::vector<RawHit> out;
  // A name of digits and punctuation alone ("001-100188", "2024-0917", and "001-100188.txt" as
  // a fallback name has it) is a reference number: what a number rule reads in it is the
  // number it is filed under, not a phone number.
  std::string stem = r.raw;
  for (size_t e = ExtensionStart(stem); e != std::string::npos; e = ExtensionStart(stem)) {
    stem.resize(e);
  }
  const bool reference = std::none_of(stem.begin(), stem.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           static_cast<unsigned char>(c) >= 0x80;
  });
  if (reference) return out;
  for (const Line& line : lines) {
    auto spans = matcher.FindSpans(line.text);
    if (!spans.ok()) return spans.status();
    for (const RuleSpan& s : *spans) {
      const Rule& rule = matcher.rules()[s.rule];
      if (rule.action != Action::kRedact || s.end <= s.begin) continue;
      if (line.titled && !AllNames(rule, line.text.substr(s.begin, s.end - s.begin))) {
        continue;
      }
      out.push_back({line.offset + s.begin, line.offset + s.end, s.rule});
    }
  }
  return out;
}

// [begin, end) grown to whole words of `spaced`: part of a name is a name.
void Widen(const std::string& spaced, size_t* begin, size_t* end) {
  while (*begin > 0 && spaced[*begin - 1] != ' ') --*begin;
  while (*end < spaced.size() && spaced[*end] != ' ') ++*end;
}

// A person's forename and surname in a name hit, on their own (as detection's consistency
// takes them): words of three letters or more that pass one of the rule's name_parts checks.
std::vector<std::string> NamePartsOf(const Rule& rule, std::string_view titled) {
  std::vector<std::string> out;
  if (rule.name_parts.empty()) return out;
  for (const std::string_view word : SpacedWords(titled)) {
    if (word.size() < 3) continue;
    if (std::any_of(rule.name_parts.begin(), rule.name_parts.end(),
                    [&](const ListCheck& c) { return c.Passes(word); })) {
      out.push_back(FoldCase(word));
    }
  }
  return out;
}

}  // namespace

std::string PathMarker(const std::string& exemption) {
  std::string m = exemption.empty() ? "[REDACTED]" : "[REDACTED " + exemption + "]";
  std::replace(m.begin(), m.end(), '/', '-');
  std::replace(m.begin(), m.end(), '\0', '-');
  return m;
}

Result<std::vector<ReleasePathRedactor::Hit>> ReleasePathRedactor::RuleHits(
    const std::string& name) const {
  const NameReadings r = ReadName(name, Markers(*matcher_));
  auto raw = FindRuleHits(r, *matcher_);
  if (!raw.ok()) return raw.status();
  std::vector<Hit> out;
  for (const RawHit& h : *raw) {
    const Rule& rule = matcher_->rules()[h.rule];
    Hit hit{h.begin, h.end, rule.id, rule.exemption, rule.priority};
    Widen(r.spaced, &hit.begin, &hit.end);
    out.push_back(std::move(hit));
  }
  return out;
}

Result<std::vector<ReleasePathRedactor::Hit>> ReleasePathRedactor::Hits(
    const std::string& name) const {
  std::vector<Hit> out;
  if (auto cached = rule_hits_.find(name); cached != rule_hits_.end()) {
    out = cached->second;
  } else {
    auto found = RuleHits(name);
    if (!found.ok()) return found.status();
    out = std::move(*found);
  }
  if (!finder_ || finder_->empty()) return out;
  const NameReadings r = ReadName(name, Markers(*matcher_));
  for (const std::string* text : {&r.raw, &r.spaced}) {
    auto spans = finder_->Find(*text);
    if (!spans.ok()) return spans.status();
    for (auto [begin, end] : *spans) {
      auto literal = literals_.find(NormalizeForMatch(text->substr(begin, end - begin)));
      const PathRedaction& from =
          literal != literals_.end() ? literal->second : literals_.begin()->second;
      Hit hit{begin, end, from.rule_id, from.exemption, 0};
      Widen(r.spaced, &hit.begin, &hit.end);
      out.push_back(std::move(hit));
    }
  }
  return out;
}

Result<ReleasePathRedactor> ReleasePathRedactor::Make(const RuleMatcher& matcher,
                                                      const std::vector<std::string>& paths,
                                                      const std::vector<KnownRedaction>& known) {
  ReleasePathRedactor out(matcher);
  const std::vector<std::string> markers = Markers(matcher);
  for (const std::string& path : paths) {
    std::vector<std::string> parts = SplitPath(path);
    if (size_t ext = ExtensionStart(parts.back()); ext != std::string::npos) {
      parts.back().resize(ext);
    }
    for (const std::string& name : parts) {
      if (out.rule_hits_.count(name)) continue;
      const NameReadings r = ReadName(name, markers);
      auto raw = FindRuleHits(r, matcher);
      if (!raw.ok()) return raw.status();
      std::vector<Hit>& hits = out.rule_hits_[name];
      for (const RawHit& h : *raw) {
        const Rule& rule = matcher.rules()[h.rule];
        const PathRedaction from{rule.id, rule.exemption};
        if (std::string lit = NormalizeForMatch(r.spaced.substr(h.begin, h.end - h.begin));
            lit.size() >= 3) {
          out.literals_.emplace(std::move(lit), from);
        }
        for (std::string& part :
             NamePartsOf(rule, std::string_view(r.titled).substr(h.begin, h.end - h.begin))) {
          out.literals_.emplace(std::move(part), from);
        }
        Hit hit{h.begin, h.end, rule.id, rule.exemption, rule.priority};
        Widen(r.spaced, &hit.begin, &hit.end);
        hits.push_back(std::move(hit));
      }
    }
  }
  for (const KnownRedaction& k : known) {
    if (std::string lit = NormalizeForMatch(k.text); lit.size() >= 3) {
      out.literals_.emplace(std::move(lit), PathRedaction{k.rule_id, k.exemption});
    }
  }
  std::vector<std::string> keys;
  for (const auto& [lit, from] : out.literals_) keys.push_back(lit);
  auto finder = LiteralFinder::Compile(keys);
  if (!finder.ok()) return finder.status();
  out.finder_ = std::make_shared<const LiteralFinder>(std::move(*finder));
  return out;
}

Result<RedactedPath> ReleasePathRedactor::Redact(const std::string& relative) const {
  RedactedPath out;
  std::vector<std::string> parts = SplitPath(relative);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string name = parts[i], ext;
    if (i + 1 == parts.size()) {
      if (size_t e = ExtensionStart(name); e != std::string::npos) {
        ext = name.substr(e);
        name.resize(e);
      }
    }
    // Again until no reading finds anything: a marker may bring words together that the
    // rules then read as one name.
    for (int round = 0; round < 4; ++round) {
      auto found = round == 0 ? Hits(name) : RuleHits(name);
      if (!found.ok()) return found.status();
      std::vector<Hit> hits = std::move(*found);
      if (hits.empty()) break;
      std::sort(hits.begin(), hits.end(),
                [](const Hit& a, const Hit& b) { return a.begin < b.begin; });
      std::vector<Hit> merged;
      for (Hit& h : hits) {
        if (!merged.empty() && h.begin <= merged.back().end) {
          Hit& last = merged.back();
          last.end = std::max(last.end, h.end);
          if (h.priority > last.priority) {
            last.rule_id = h.rule_id;
            last.exemption = h.exemption;
            last.priority = h.priority;
          }
          continue;
        }
        merged.push_back(std::move(h));
      }
      std::string redacted;
      size_t at = 0;
      for (const Hit& h : merged) {
        redacted += name.substr(at, h.begin - at) + PathMarker(h.exemption);
        at = h.end;
        out.redactions.push_back({h.rule_id, h.exemption});
      }
      name = redacted + name.substr(at);
    }
    if (i > 0) out.path += '/';
    out.path += name + ext;
  }
  return out;
}

Result<RedactedPath> RedactReleasePath(const std::string& relative, const RuleMatcher& matcher) {
  auto redactor = ReleasePathRedactor::Make(matcher, {relative});
  if (!redactor.ok()) return redactor.status();
  return redactor->Redact(relative);
}

Status CheckReleasePath(const std::string& relative, const RuleMatcher& matcher,
                        const LiteralFinder* redacted) {
  const std::vector<std::string> markers = Markers(matcher);
  std::vector<std::string> parts = SplitPath(relative);
  if (size_t ext = ExtensionStart(parts.back()); ext != std::string::npos) parts.back().resize(ext);
  const char* const kHint =
      "The release was not published: its path would have carried what the rules redact. "
      "Rename the file or folder so that its name does not hold it, and run it again.";
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string where =
        i + 1 == parts.size() ? "the release's file name" : "a folder name of the release's path";
    const NameReadings r = ReadName(parts[i], markers);
    auto hits = FindRuleHits(r, matcher);
    if (!hits.ok()) return hits.status();
    if (!hits->empty()) {
      return Status::Leak(
          "self-check: rule " + matcher.rules()[hits->front().rule].id + " matches " + where,
          kHint);
    }
    if (redacted == nullptr || redacted->empty()) continue;
    for (const std::string* text : {&r.raw, &r.spaced}) {
      auto found = redacted->Find(*text);
      if (!found.ok()) return found.status();
      if (!found->empty()) {
        return Status::Leak("self-check: a string the document redacts is in " + where, kHint);
      }
    }
  }
  return Status::Ok();
}

}  // namespace redact
