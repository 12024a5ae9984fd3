#pragma once
// detect: rules over page text -> findings with boxes.

#include <string>
#include <utility>
#include <vector>

#include "pipeline/core/page_store.h"
#include "pipeline/core/status.h"
#include "pipeline/core/types.h"
#include "pipeline/rules/rule_matcher.h"

namespace redact {

struct DetectOptions {
  // Redact a literal wherever it recurs in the document once any rule has redacted it.
  bool consistency = true;
  // Literals shorter than this (in bytes) are not propagated: too likely to hit innocent text.
  size_t min_consistency_length = 3;
  double box_padding = 1.0;  // points around every character box
  // OCR words below this confidence mark a finding low-confidence. A low-confidence flag is
  // dropped (likely OCR noise); a low-confidence redaction is kept (fail safe).
  double min_flag_confidence = 60;
  // The key fingerprints are made with (the installation's audit key).
  std::string fingerprint_key;
  // Texts to redact wherever they occur, as the rule of the given id redacts (text, rule id):
  // what the self-check still found in an earlier release of the same document.
  std::vector<std::pair<std::string, std::string>> also_redact;
};

// Finds every redaction and flag in one document's pages. Overlapping redactions merge into
// one finding (the earliest, longest rule names it); a flag inside a redaction is dropped.
// Fingerprints are computed over the whole document. Reads each page at most twice and holds
// one at a time.
Result<std::vector<Finding>> DetectFindings(const PageStore& pages, const RuleMatcher& matcher,
                                            const DetectOptions& options = {});
Result<std::vector<Finding>> DetectFindings(const std::vector<PageText>& pages,
                                            const RuleMatcher& matcher,
                                            const DetectOptions& options = {});

// The boxes covering text bytes [begin, end) of `page`: character boxes, merged per line,
// including any joined hyphen inside the span. Empty for plain text.
std::vector<Box> BoxesForSpan(const PageText& page, size_t begin, size_t end, double padding);

// Every occurrence of `literal` on `page` (as RuleMatcher::FindLiteral finds them: case and
// runs of white space aside, never inside a longer word), in page order, as findings of
// `rule_id` with their boxes; action, exemption and the rest left for the caller.
Result<std::vector<Finding>> LiteralFindings(const PageText& page, const std::string& literal,
                                             const std::string& rule_id, double padding);

// Assigns Finding::fingerprint: HMAC-SHA256 under `key` of rule id + normalised text + its
// occurrence number, so a fingerprint survives edits elsewhere in the document, and without the
// key cannot be computed from a guess at the text.
void AssignFingerprints(std::vector<Finding>* findings, const std::string& key);

}  // namespace redact
