#pragma once
// The daemon, `redact watch INBOX -o OUT`: files dropped into INBOX (or its sub-folders) are
// taken once complete, processed exactly like a batch of one, then archived (success) or
// quarantined (failure). It runs until SIGTERM/SIGINT, which let the documents in progress
// finish; SIGHUP reloads the rules.
//
// INBOX/.redact/ holds its state, never read as input:
//   work/      files it has claimed (moved here by rename), the inbox's tree mirrored;
//              whatever is here when it starts is processed first
//   attempts/  one journal per claimed input (claim.h): the step it reached, the names reserved
//              for it, its records once made, its attempts (a document in progress when redact
//              died twice is quarantined as poison instead of killing it a third time); a
//              restart finishes or rolls back each input from there, never releasing it twice
//   rules/     a copy of the rule files in force, so that editing rules/ changes nothing
//              until SIGHUP, and a broken edit never stops the daemon
//   lock       one daemon per inbox
// OUT gains archive/YYYY-MM-DD/ (the processed inputs) and audit/status.json.

#include <atomic>
#include <iosfwd>

#include "pipeline/batch/batch.h"
#include "pipeline/batch/job_config.h"

namespace redact {

struct WatchConfig {
  JobConfig job;              // job.inputs = {INBOX}, job.out = OUT; the batch's processing options
  double settle_seconds = 2;  // a file not closed after writing is taken once this still
  bool log_json = false;      // one JSON object per log line instead of text
  // A document whose outputs the machine refused (a full disk, a read-only OUT) stays claimed
  // and is tried again after this many seconds.
  double retry_seconds = 30;
};

// Runs the daemon until run.stop is set; run.reload (SIGHUP) reloads the rules. Returns an
// ExitCode: 0 after a clean stop.
int RunWatch(const WatchConfig& config, std::ostream& log, const RunEnvironment& run);

}  // namespace redact
