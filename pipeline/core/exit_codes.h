#pragma once
// Exit codes: a stable interface, documented in the README. Never renumber.

namespace redact {

enum ExitCode : int {
  kExitOk = 0,
  kExitBadArguments = 1,
  kExitSomeFailed = 2,  // some inputs were quarantined
  kExitFindings = 3,    // `scan` only: something would be redacted
  kExitInvalidRules = 4,
  kExitMissingDependency = 5,  // e.g. tessdata
  kExitOutputNotWritable = 6,
  kExitWaitingForReview = 7,  // nothing failed; some documents wait for a reviewer's decision
  kExitAuditBroken = 8,       // `audit verify` / `audit merge`: a log's hash chain is broken
  kExitInterrupted = 130,
};

}  // namespace redact
