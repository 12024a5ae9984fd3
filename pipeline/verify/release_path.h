#pragma once
// Release paths read by the rules. A release's folder and file names are published with it,
// so they are redacted like its text: what a redact rule finds in a name is replaced by
// "[REDACTED <exemption>]" in that name ("Grievance - PC Amy Lowe/lowe-amy-notes.pdf" ->
// "Grievance - [REDACTED s.40(2)]/[REDACTED s.40(2)]-notes.pdf"), and the self-check reads the
// planned path again before anything is published.
//
// A name is read in several ways, each a line of text the rules run over:
//   - as written ("amy.lowe@police.uk", where the dots matter);
//   - its words apart: '-', '_' and '.' read as spaces ("lowe amy notes");
//   - title-cased ("Lowe Amy Notes"): names in file names are often lower case, and the name
//     rules want capitals;
//   - every two and three words of the title-cased name on a line of their own ("Tom Reid" of
//     "Witness statement Tom Reid"): a name alone on a line is a name to the rules, and a file
//     name is a title with a name at its end or start.
// A hit is widened to whole words (part of a name is a name), and what was redacted in one
// name (and a person's forename and surname on their own) is redacted wherever it recurs in the
// names read together, as consistency does within a document.
//
//   auto redactor = ReleasePathRedactor::Make(matcher, {"a/PC Amy Lowe.txt", "b/lowe.txt"});
//   auto r = redactor->Redact("b/lowe.txt");  // r->path == "b/[REDACTED s.40(2)].txt"
//
// Thread-safety: a ReleasePathRedactor is immutable once made.

#include <map>
#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/rules/rule_matcher.h"

namespace redact {

// One redaction made in a release path: the rule (or, for a string the document redacted,
// that finding's rule) and the exemption its marker names.
struct PathRedaction {
  std::string rule_id;
  std::string exemption;
};

struct RedactedPath {
  std::string path;                       // `relative` with every hit replaced
  std::vector<PathRedaction> redactions;  // one per marker, in path order; empty: unchanged
};

// A string known to be redacted (a message's own redactions, for its attachments' names).
struct KnownRedaction {
  std::string text;
  std::string rule_id;
  std::string exemption;
};

// The marker a redaction leaves in a path: "[REDACTED s.40(2)]" ("[REDACTED]" without an
// exemption); a '/' of an exemption becomes '-' so that it never makes a folder.
std::string PathMarker(const std::string& exemption);

class ReleasePathRedactor {
 public:
  // Reads every component of `paths` (relative, '/' between components) with the redact rules
  // of `matcher`, so that a name redacted in one is redacted in all; `known` are redacted
  // wherever they occur too. An engine failure is an error, never "nothing found".
  static Result<ReleasePathRedactor> Make(const RuleMatcher& matcher,
                                          const std::vector<std::string>& paths,
                                          const std::vector<KnownRedaction>& known = {});

  // `relative` with each hit in each component replaced by its marker; the last component's
  // extension (".pdf", ".txt") is kept as it is. A path Make was not given is read too, but
  // what it holds is not redacted in the others.
  Result<RedactedPath> Redact(const std::string& relative) const;

 private:
  struct Hit {
    size_t begin = 0, end = 0;  // bytes of the component
    std::string rule_id, exemption;
    int priority = 0;
  };
  explicit ReleasePathRedactor(const RuleMatcher& matcher) : matcher_(&matcher) {}
  Result<std::vector<Hit>> RuleHits(const std::string& name) const;
  Result<std::vector<Hit>> Hits(const std::string& name) const;

  const RuleMatcher* matcher_;
  std::map<std::string, std::vector<Hit>> rule_hits_;  // component -> what the rules found
  // Normalised literal -> the redaction it came from; one finder over all of them.
  std::map<std::string, PathRedaction> literals_;
  std::shared_ptr<const LiteralFinder> finder_;
};

// Convenience: `relative` redacted on its own (no other paths, no known strings).
Result<RedactedPath> RedactReleasePath(const std::string& relative, const RuleMatcher& matcher);

// The self-check of a planned release path (relative to release/ or review/): kLeak when a
// redact rule matches any reading of any component (the last one's extension aside), or when
// `redacted` (the document's redacted strings; may be null) finds one in a component. The
// message names the rule and whether a folder or the file name holds it, never the text.
Status CheckReleasePath(const std::string& relative, const RuleMatcher& matcher,
                        const LiteralFinder* redacted);

}  // namespace redact
