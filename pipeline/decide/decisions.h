#pragma once
// decide: a reviewer's decisions applied to the findings. Flags are not redacted until
// decided; a redaction can be reversed. Decisions are keyed by (document, fingerprint) and
// read from / written to a TOML file the reviewer fills in.

#include <map>
#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"

namespace redact {

struct Decision {
  std::string document;  // input path relative to its root, as in the audit
  std::string fingerprint;
  std::string decision;  // "redact", "keep" or "" (not decided yet)
  std::string note;
  std::string exemption;  // the label of the redaction; a reviewer may change it
  // Context for the reviewer (written to the template, ignored when read):
  int page = 0;
  std::string rule, action, text;
};

struct DecisionSet {
  std::map<std::pair<std::string, std::string>, Decision> by_key;  // (document, fingerprint)
};

// Reads a decisions file. Unknown decision values are an error naming the entry.
Result<DecisionSet> LoadDecisions(const std::string& path);

// The TOML template: one [[decision]] per entry, with the reviewer's fields first.
std::string DecisionsToml(const std::vector<Decision>& decisions);

// Applies the decisions for `document` to `findings`: "keep" removes a finding, "redact"
// turns a flag into a redaction. Marks applied ones in `applied` (fingerprints).
// Returns the findings that were kept by decision (for the self-check).
std::vector<Finding> ApplyDecisions(const DecisionSet& decisions, const std::string& document,
                                    std::vector<Finding>* findings,
                                    std::vector<std::pair<std::string, std::string>>* applied);

}  // namespace redact
