#pragma once
// Reads rules/*.toml (toml++) into RuleSets and checks them: unknown keys, duplicate ids,
// patterns RE2 rejects, a group beyond the pattern's groups, examples the rule disagrees with.
// Every error names the file and rule: "rules/x.toml:rule-id: reason".

#include <memory>
#include <string>
#include <vector>

#include "pipeline/core/rule.h"
#include "pipeline/core/status.h"
#include "pipeline/rules/rule_matcher.h"

namespace redact {

struct RuleCatalog {
  std::vector<RuleSet> sets;
  std::shared_ptr<const RuleMatcher> matcher;  // every rule of every set, in load order
};

struct LoadOptions {
  bool check_examples = true;  // fail when a rule disagrees with its own examples
  // Compile and check every pattern now. A document worker, whose parent loaded and checked
  // the same files a moment before, turns this off: the patterns compile when first used.
  bool check_patterns = true;
};

// `paths` are files or folders (folders are read recursively for *.toml, sorted by name).
Result<RuleCatalog> LoadRules(const std::vector<std::string>& paths,
                              const LoadOptions& options = {});

// The result of running one rule over one of its examples.
struct ExampleResult {
  std::string rule_id;
  std::string file;
  bool expect_redact = true;
  std::string example;
  std::vector<std::pair<size_t, size_t>> found;  // spans the rule matched
  bool passed = false;
  std::string error;  // the engine could not run the rule: never a pass
};

// Runs every example of every rule in `catalog` against that rule alone.
std::vector<ExampleResult> RunRuleExamples(const RuleCatalog& catalog);

}  // namespace redact
