#pragma once
// The files a reviewer works from after a run: OUT/audit/schedule.csv (redactions per
// document, page, exemption and rule; RFC 4180) and OUT/audit/decisions.toml (one entry per
// finding, to decide and pass back with --decisions).

#include <string>
#include <vector>

#include "pipeline/batch/job_config.h"
#include "pipeline/batch/record.h"
#include "pipeline/core/env.h"
#include "pipeline/core/status.h"
#include "pipeline/decide/decisions.h"

namespace redact {

// Writes both files from the records of a run. decisions.toml is merged forward from
// `previous` (the --decisions file, else the decisions.toml already in OUT): each finding's
// entry keeps the decision, note and reviewer it had there, entries of documents not in this
// run and every [[bulk]] and [[redact]] entry are kept; the matched text appears only when
// `mode` is plain. `each_arrival_new`: a document is its path and its content (the daemon's
// OUT, where another file of the same name is another document), else its path (a batch's,
// where a draft edited since replaces its earlier entries).
Status WriteReviewFiles(const std::string& out, const std::vector<DocumentRecord>& documents,
                        const DecisionSet& previous, AuditText mode, Env* env,
                        const std::string& decisions_suffix = "", bool each_arrival_new = false);

// The daemon's decisions.toml brought up to date with `documents` (just processed): merged
// forward from the file in OUT as WriteReviewFiles does, each arrival a document of its own
// (another file of the same name keeps its entries), under a lock that a reviewer's changes
// take too. A file that cannot be read is left for its reviewer; the entries go to
// decisions.toml.new.
Status UpdateDecisionsFile(const std::string& out, const std::vector<DocumentRecord>& documents,
                           AuditText mode, Env* env);

// Decisions (document and fingerprint) whose finding no longer exists in a document of this
// run: the text changed, or the rules did.
std::vector<std::string> StaleDecisions(const std::vector<DocumentRecord>& documents,
                                        const DecisionSet& decisions);

}  // namespace redact
