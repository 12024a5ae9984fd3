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
  std::vector<std::string> examples_redact;
  std::vector<std::string> examples_keep;
  std::string file;  // where it was defined, for messages
};

struct RuleSet {
  std::string id;
  std::string description;
  std::string path;
  std::string sha256;  // of the file's bytes, for the audit
  std::vector<Rule> rules;
};

}  // namespace redact
