#include "pipeline/rules/rule_matcher.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>

#include "pipeline/core/normalize.h"
#include "pipeline/core/text.h"

namespace redact {
namespace {

RE2::Options MatcherOptions() {
  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingUTF8);
  o.set_log_errors(false);
  o.set_max_mem(int64_t(64) << 20);
  return o;
}

bool IsWordByte(unsigned char c) {
  return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The words in each checked capture group are in their lists ({{forename}}, ...).
// Every list word of a match passes its check and is a whole word: no letter of any script (nor
// a digit) right before or after it (the pattern's \b, which RE2 knows for ASCII only, is left to
// this; rule_loader.cpp), so "TED" in "REDACTED" and "Kova" in "Kovač" are no names. Returns
// npos if they do, else where the first word that does not ends.
size_t FirstFailingWordEnd(const std::vector<ListCheck>& checks,
                           const std::vector<re2::StringPiece>& sub, std::string_view text) {
  for (const ListCheck& c : checks) {
    const re2::StringPiece& g = sub[size_t(c.group)];
    if (g.data() == nullptr) continue;  // an optional part that did not take part
    const size_t b = size_t(g.data() - text.data()), e = b + g.size();
    const auto digit = [&](size_t i) {
      return i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '_');
    };
    if (IsLetterBefore(text, b) || IsLetterAt(text, e) || (b > 0 && digit(b - 1)) || digit(e)) {
      return e;
    }
    if (!c.Passes(std::string_view(g.data(), g.size()))) return e;
  }
  return std::string::npos;
}

// Each match of `re` over `text` (non-overlapping, left to right); `group` selects a capture.
// Where the rule checks words against lists and the longest match fails, shorter matches from
// the same start are tried ("Rachel Morgan said": the optional middle name is given back), each
// ending at a real word edge; then the search moves on a character.
Status AllMatches(const RE2& re, std::string_view text, int group,
                  std::vector<std::pair<size_t, size_t>>* out,
                  const std::vector<ListCheck>& checks = {}) {
  // RE2 falls back to slower automata when one runs out of memory, so a compiled pattern
  // always answers; one that did not compile would answer "no match" to everything.
  if (!re.ok()) return Status::Engine("a pattern RE2 could not compile was used: " + re.error());
  const int n = 1 + re.NumberOfCapturingGroups();
  std::vector<re2::StringPiece> sub(static_cast<size_t>(n));
  const re2::StringPiece all(text.data(), text.size());
  size_t pos = 0;
  while (pos <= text.size()) {
    // Where the next match lies first (RE2's DFAs alone), then its groups from that span only:
    // asked for groups over the rest of the page, RE2 runs its slower engines over all of it
    // (a page matched 20 to 70 times slower).
    if (!re.Match(all, pos, text.size(), RE2::UNANCHORED, sub.data(), 1)) break;
    size_t mb = size_t(sub[0].data() - text.data());
    size_t me = mb + sub[0].size();
    if (n > 1 && !re.Match(all, mb, me, RE2::ANCHOR_BOTH, sub.data(), n)) break;
    if (!checks.empty()) {
      size_t failed = FirstFailingWordEnd(checks, sub, text);
      bool ok = failed == std::string::npos;
      for (size_t end = me; !ok && end > mb + 1;) {
        // A shorter match that still holds the word that failed, where it was, fails again
        // (a name rule's first word is no forename: no shorter match helps), so the next one
        // tried ends no later than that word.
        const size_t limit = std::min(end - 1, failed);
        if (limit <= mb) break;
        if (!re.Match(all, mb, limit, RE2::ANCHOR_START, sub.data(), n)) break;
        end = mb + sub[0].size();
        const bool at_edge = end >= text.size() || end == mb ||
                             !IsWordByte(static_cast<unsigned char>(text[end - 1])) ||
                             !IsWordByte(static_cast<unsigned char>(text[end]));
        failed = at_edge ? FirstFailingWordEnd(checks, sub, text) : std::string::npos;
        ok = at_edge && failed == std::string::npos;
      }
      if (!ok) {
        pos = mb + std::max<size_t>(1, Utf8SequenceLength(static_cast<unsigned char>(text[mb])));
        continue;
      }
      me = mb + sub[0].size();
    }
    const re2::StringPiece& g = sub[size_t(group)];
    if (g.data() != nullptr && !g.empty()) {
      size_t gb = size_t(g.data() - text.data());
      out->emplace_back(gb, gb + g.size());
    }
    pos = me > mb ? me : mb + 1;  // step over an empty match
  }
  return Status::Ok();
}

// "RE2 error: missing ): offending piece '(a|b'" from a pattern that failed to compile.
// RE2's own error() already ends with the piece; it is split off and quoted.
std::string DescribeError(const RE2& re) {
  std::string msg = re.error();
  const std::string& arg = re.error_arg();
  if (!arg.empty() && msg.size() > arg.size() + 2 &&
      msg.compare(msg.size() - arg.size() - 2, std::string::npos, ": " + arg) == 0) {
    msg.resize(msg.size() - arg.size() - 2);
  }
  return "RE2 error: " + msg + (arg.empty() ? "" : ": offending piece '" + arg + "'");
}

}  // namespace

struct RuleMatcher::Compiled {
  std::unique_ptr<RE2::Set> set;
  // One per rule; compiled at first use (under `once`) when Compile was not asked to check.
  std::vector<std::unique_ptr<RE2>> patterns;
  std::unique_ptr<std::once_flag[]> once;
  const RE2& Pattern(const std::vector<Rule>& rules, size_t i) {
    std::call_once(once[i], [&] {
      if (!patterns[i]) patterns[i] = std::make_unique<RE2>(rules[i].pattern, MatcherOptions());
    });
    return *patterns[i];
  }
  // Allow patterns, each compiled once however many rules share it (the encryption pack
  // gives five rules one "this is a question" pattern), and per rule the ones it uses.
  std::vector<std::unique_ptr<RE2>> allow_patterns;
  std::vector<std::vector<size_t>> allows;  // per rule: indexes into allow_patterns
};

Status CheckPattern(const std::string& pattern, int* groups) {
  RE2 re(pattern, MatcherOptions());
  if (!re.ok()) {
    return Status::InvalidRules("pattern: " + DescribeError(re));
  }
  if (groups) *groups = re.NumberOfCapturingGroups();
  return Status::Ok();
}

bool PatternMatchesEmpty(const std::string& pattern) {
  RE2 re(pattern, MatcherOptions());
  return re.ok() && RE2::FullMatch("", re);
}

RuleMatcher::RuleMatcher(std::vector<Rule> rules, std::unique_ptr<Compiled> compiled)
    : rules_(std::move(rules)), compiled_(std::move(compiled)) {}
RuleMatcher::~RuleMatcher() = default;

Result<std::shared_ptr<const RuleMatcher>> RuleMatcher::Compile(std::vector<Rule> rules,
                                                                bool check) {
  auto c = std::make_unique<Compiled>();
  c->once = std::make_unique<std::once_flag[]>(rules.size());
  c->set = std::make_unique<RE2::Set>(MatcherOptions(), RE2::UNANCHORED);
  std::map<std::string, size_t> allow_index;
  for (Rule& r : rules) {
    const std::string where = r.file + ":" + r.id + ": ";
    if (!r.case_sensitive && r.pattern.rfind("(?i)", 0) != 0) r.pattern = "(?i)" + r.pattern;
    std::unique_ptr<RE2> re;
    if (check) {
      re = std::make_unique<RE2>(r.pattern, MatcherOptions());
      if (!re->ok()) {
        return Status::InvalidRules(where + "pattern: " + DescribeError(*re));
      }
      if (r.group < 0 || r.group > re->NumberOfCapturingGroups()) {
        return Status::InvalidRules(where + "group " + std::to_string(r.group) +
                                    " is beyond the pattern's " +
                                    std::to_string(re->NumberOfCapturingGroups()) + " groups");
      }
    }
    std::string err;
    // A disabled rule still takes its slot so indexes line up; it matches nothing.
    if (c->set->Add(r.enabled ? r.pattern : std::string("[^\\x00-\\x{10FFFF}]"), &err) < 0) {
      return Status::InvalidRules(where + "pattern: RE2 error: " + err);
    }
    c->patterns.push_back(std::move(re));
    std::vector<size_t> allows;
    for (const std::string& a : r.allow) {
      auto known = allow_index.find(a);
      if (known == allow_index.end()) {
        auto are = std::make_unique<RE2>(a, MatcherOptions());
        if (!are->ok()) {
          return Status::InvalidRules(where + "allow pattern: " + DescribeError(*are));
        }
        known = allow_index.emplace(a, c->allow_patterns.size()).first;
        c->allow_patterns.push_back(std::move(are));
      }
      allows.push_back(known->second);
    }
    c->allows.push_back(std::move(allows));
  }
  if (!c->set->Compile()) {
    return Status::InvalidRules("the rules together are too large for RE2 to compile",
                                "Split or simplify the largest patterns.");
  }
  return std::shared_ptr<const RuleMatcher>(new RuleMatcher(std::move(rules), std::move(c)));
}

namespace {

// The context rule of `r` for a match at [b, e) of `lower` (the lower-cased text); empty when
// it passes, else why not.
std::string CheckContext(const Rule& r, const std::string& lower, size_t b, size_t e) {
  if (r.context_require.empty() && r.context_forbid.empty()) return {};
  size_t from = b > size_t(r.context_before) ? b - size_t(r.context_before) : 0;
  size_t to = std::min(lower.size(), e + size_t(r.context_after));
  std::string around = lower.substr(from, b - from) + " \x01 " + lower.substr(e, to - e);
  for (const std::string& f : r.context_forbid) {
    if (around.find(f) != std::string::npos) return "context: \"" + f + "\" is near";
  }
  if (r.context_require.empty()) return {};
  for (const std::string& q : r.context_require) {
    if (around.find(q) != std::string::npos) return {};
  }
  return "context: none of the required words is near";
}

}  // namespace

Result<std::vector<RuleSpan>> RuleMatcher::FindSpans(std::string_view text,
                                                     std::vector<MatchTrace>* trace) const {
  std::vector<RuleSpan> spans;
  if (rules_.empty()) return spans;
  std::vector<int> hits;
  RE2::Set::ErrorInfo info;
  if (!compiled_->set->Match(re2::StringPiece(text.data(), text.size()), &hits, &info)) {
    if (info.kind != RE2::Set::kNoError) {
      return Status::Engine(
          "RE2 could not match the rule set (error " + std::to_string(int(info.kind)) + ")",
          "The page is too large for the matcher's memory; split the document.");
    }
    return spans;
  }
  std::sort(hits.begin(), hits.end());
  std::string lower;
  // Spans of each allow pattern over this text, found once however many rules use it.
  std::vector<std::optional<std::vector<std::pair<size_t, size_t>>>> allow_spans(
      compiled_->allow_patterns.size());
  for (int h : hits) {
    const Rule& r = rules_[size_t(h)];
    if (!r.enabled) continue;
    if (lower.empty()) lower = LowerAscii(text);
    if (!r.keywords.empty()) {
      bool any = std::any_of(r.keywords.begin(), r.keywords.end(), [&](const std::string& k) {
        return lower.find(k) != std::string::npos;
      });
      if (!any) {
        if (trace) trace->push_back({size_t(h), 0, 0, "keywords: none present"});
        continue;
      }
    }
    std::vector<std::pair<size_t, size_t>> found;
    const RE2& re = compiled_->Pattern(rules_, size_t(h));
    if (r.group > re.NumberOfCapturingGroups()) {
      return Status::Engine(r.file + ":" + r.id + ": group " + std::to_string(r.group) +
                            " is beyond the pattern's groups");
    }
    Status s = AllMatches(re, text, r.group, &found, r.list_checks);
    if (!s.ok()) return s;
    if (found.empty()) continue;
    std::vector<std::pair<size_t, size_t>> allowed;
    std::vector<size_t> allowed_by;
    for (size_t a = 0; a < compiled_->allows[size_t(h)].size(); ++a) {
      const size_t pattern = compiled_->allows[size_t(h)][a];
      if (!allow_spans[pattern]) {
        allow_spans[pattern].emplace();
        s = AllMatches(*compiled_->allow_patterns[pattern], text, 0, &*allow_spans[pattern]);
        if (!s.ok()) return s;
      }
      allowed.insert(allowed.end(), allow_spans[pattern]->begin(), allow_spans[pattern]->end());
      allowed_by.resize(allowed.size(), a);
    }
    for (const auto& [b, e] : found) {
      std::string why;
      for (size_t k = 0; k < allowed.size() && why.empty(); ++k) {
        if (allowed[k].first <= b && e <= allowed[k].second) {
          why = "allowed: " + r.allow[allowed_by[k]];
        }
      }
      if (why.empty()) why = CheckContext(r, lower, b, e);
      if (trace) trace->push_back({size_t(h), b, e, why.empty() ? "match" : why});
      if (why.empty()) spans.push_back({size_t(h), b, e});
    }
  }
  std::sort(spans.begin(), spans.end(), [](const RuleSpan& a, const RuleSpan& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  return spans;
}

namespace {

bool IsWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The pattern for one literal: quoted words joined by \s+, with \b where it starts or ends
// with a word character. Empty for an all-blank literal.
std::string LiteralPattern(std::string_view lit) {
  std::vector<std::string> words;
  std::string word;
  for (char c : lit) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  if (words.empty()) return {};
  std::string pat;
  if (IsWordChar(words.front().front())) pat += "\\b";
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) pat += "\\s+";
    pat += RE2::QuoteMeta(words[i]);
  }
  if (IsWordChar(words.back().back())) pat += "\\b";
  return pat;
}

}  // namespace

LiteralFinder::LiteralFinder(LiteralFinder&&) noexcept = default;
LiteralFinder& LiteralFinder::operator=(LiteralFinder&&) noexcept = default;
LiteralFinder::~LiteralFinder() = default;

Result<LiteralFinder> LiteralFinder::Compile(const std::vector<std::string>& literals) {
  std::vector<std::string> pats;
  for (const std::string& l : literals) {
    std::string p = LiteralPattern(l);
    if (!p.empty()) pats.push_back(std::move(p));
  }
  LiteralFinder f;
  if (pats.empty()) return f;
  // Longest first: RE2 alternation is leftmost-first, so at one position the longer literal
  // ("the Security Service (MI5)") wins over its part ("MI5").
  std::sort(pats.begin(), pats.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  pats.erase(std::unique(pats.begin(), pats.end()), pats.end());
  std::string all = "(?i)(?:";
  for (size_t i = 0; i < pats.size(); ++i) {
    if (i > 0) all += "|";
    all += pats[i];
  }
  all += ")";
  RE2::Options o = MatcherOptions();
  o.set_max_mem(int64_t(256) << 20);
  f.re_ = std::make_unique<RE2>(all, o);
  if (!f.re_->ok()) return Status::Engine("cannot search for redacted strings: " + f.re_->error());
  return f;
}

Result<std::vector<std::pair<size_t, size_t>>> LiteralFinder::Find(std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  if (re_) {
    Status s = AllMatches(*re_, text, 0, &out);
    if (!s.ok()) return s;
  }
  return out;
}

Result<std::vector<std::pair<size_t, size_t>>> RuleMatcher::FindLiteral(std::string_view text,
                                                                        std::string_view literal) {
  auto finder = LiteralFinder::Compile({std::string(literal)});
  if (!finder.ok()) return finder.status();
  return finder->Find(text);
}

}  // namespace redact
