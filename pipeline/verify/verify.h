#pragma once
// verify: the release is read back as a new input and must come out clean before it is
// published. Fail closed: any doubt is a failure.

#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/rules/rule_matcher.h"

namespace redact {

struct VerifyRequest {
  std::string pdf_path;                 // the release PDF, if any
  std::vector<std::string> text_paths;  // released text files (release .txt, sidecar)
  std::vector<std::string> redacted;    // every string that was redacted
  std::vector<std::string> kept;        // texts a reviewer decided to release
  // Kept texts with the redactions still inside them taken out (a drafting note released, the
  // security body it names still redacted): a rule match within one is released text.
  std::vector<std::string> kept_around;
  int threads = 1;  // pages of the release read back in parallel
};

// What a failing self-check found: the text a rule still matches (`rule_id` that rule) or a
// redacted string still present (`rule_id` empty), and its page of the release (0: not a
// page: the PDF's objects, a released text file).
struct SelfCheckFinding {
  std::string text;
  std::string rule_id;
  int page = 0;
};

// Re-extracts the release with Poppler and runs every redact rule again; searches every
// decoded stream, object and text file for the redacted strings; checks the metadata holds
// nothing but the producer; checks that the structure tree says nothing its pages do not show
// (StructureText). Returns kLeak naming the first problem found, and what it found
// in `found` (if given).
Status VerifyRelease(const VerifyRequest& request, const RuleMatcher& matcher,
                     SelfCheckFinding* found = nullptr);

}  // namespace redact
