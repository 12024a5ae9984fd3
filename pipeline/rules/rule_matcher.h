#pragma once
// The only place RE2 is used. A RuleMatcher holds every rule compiled once; it is immutable
// after construction and safe to share between threads.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/rule.h"
#include "pipeline/core/status.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace redact {

// A match of rule `rule` (index into the matcher's rules) over text bytes [begin, end).
struct RuleSpan {
  size_t rule = 0;
  size_t begin = 0, end = 0;
};

// Why a candidate match was kept or dropped, for `redact rules explain`.
struct MatchTrace {
  size_t rule = 0;
  size_t begin = 0, end = 0;
  std::string decision;  // "match", "allowed: <pattern>", "context: ...", "keywords: none present"
};

// Checks that `pattern` compiles; on failure the Status carries RE2's message and the
// offending piece of the pattern. `groups` receives the number of capture groups.
Status CheckPattern(const std::string& pattern, int* groups);

// True if `pattern` matches the empty string (a rule that would match everywhere).
bool PatternMatchesEmpty(const std::string& pattern);

class RuleMatcher {
 public:
  // Compiles every rule. Fails (kInvalidRules) with "file:rule-id: ..." if any pattern is bad.
  // With `check` false (rules another process has already checked: a document worker), each
  // rule's own pattern is compiled the first time the rule set says the rule fires, so a
  // document pays only for the rules its text wakes; a pattern that then fails to compile is
  // an engine error, never "no match".
  static Result<std::shared_ptr<const RuleMatcher>> Compile(std::vector<Rule> rules,
                                                            bool check = true);
  ~RuleMatcher();

  const std::vector<Rule>& rules() const { return rules_; }

  // Every span of every rule over `text`, allow-listed spans removed, in text order.
  // An engine failure (e.g. the DFA running out of memory) is an error, never "no match".
  // `trace`, when given, receives every candidate and what decided it. Disabled rules never run.
  Result<std::vector<RuleSpan>> FindSpans(std::string_view text,
                                          std::vector<MatchTrace>* trace = nullptr) const;

  // Every occurrence of `literal` in `text`: case-insensitive, any run of white space for a
  // space, not inside a longer word. Used to redact a string wherever it recurs.
  static Result<std::vector<std::pair<size_t, size_t>>> FindLiteral(std::string_view text,
                                                                    std::string_view literal);

 private:
  struct Compiled;
  RuleMatcher(std::vector<Rule> rules, std::unique_ptr<Compiled> compiled);
  std::vector<Rule> rules_;
  std::unique_ptr<Compiled> compiled_;
};

// Finds many literals in one pass, with FindLiteral's rules for case, white space and word
// edges. Where two literals start at the same place the longer one wins. Immutable.
class LiteralFinder {
 public:
  static Result<LiteralFinder> Compile(const std::vector<std::string>& literals);
  LiteralFinder(LiteralFinder&&) noexcept;
  LiteralFinder& operator=(LiteralFinder&&) noexcept;
  ~LiteralFinder();
  bool empty() const { return re_ == nullptr; }
  // Spans of every (non-overlapping) occurrence, left to right; an engine failure is an
  // error, never "not found" (the self-check relies on it).
  Result<std::vector<std::pair<size_t, size_t>>> Find(std::string_view text) const;

 private:
  LiteralFinder() = default;
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace redact
