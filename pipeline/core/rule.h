#pragma once
// Rules as plain data, as read from rules/*.toml. Compiling them is the rules stage's job.

#include <string>
#include <vector>

#include "pipeline/core/types.h"

namespace redact {

struct Rule {
  std::string id;
  std::string description;
  std::string pattern;  // RE2 syntax
  Action action = Action::kRedact;
  std::string exemption;              // e.g. "s.31(1)(a)"
  std::vector<std::string> keywords;  // lower-case; the rule only runs where one occurs
  std::vector<std::string> allow;     // RE2 patterns; a match inside one of their spans is kept
  int group = 0;                      // capture group to redact; 0 = the whole match
  // Context: the match counts only if one of `context_require` (when given) and none of
  // `context_forbid` occur within `context_before` / `context_after` characters of it
  // (lower-case substrings).
  std::vector<std::string> context_require;
  std::vector<std::string> context_forbid;
  int context_before = 60;
  int context_after = 60;
  bool case_sensitive = true;  // false: the pattern matches in any case
  bool enabled = true;         // false (or disabled by another set): loaded, checked, not run
  int priority = 0;            // names a merged finding where rules overlap (higher wins)
  double min_confidence = -1;  // OCR confidence below which a flag is dropped; -1: the global one
  std::vector<std::string> examples_redact;
  std::vector<std::string> examples_keep;
  std::string file;  // where it was defined, for messages
};

struct RuleSet {
  std::string id;
  std::string description;
  std::string extends;               // another set's id that must be loaded too
  std::vector<std::string> disable;  // rule ids (of any set) this set turns off
  std::string path;
  std::string sha256;  // of the file's bytes, for the audit
  std::vector<Rule> rules;
};

}  // namespace redact
