#pragma once
// batch: every input file through a DocumentRunner, in parallel, with quarantine, audit,
// progress and a summary. The command line is a thin shell over RunBatch. Where the parts
// are:
//   inputs.h         checking the options, listing the inputs, shards
//   release_names.h  where each input's release goes
//   run_start.h      the start every run makes (batch and daemon)
//   runner.h         one document in a worker process, then filed
//   worker.h         the worker protocol (`redact __document`)
//   quarantine.h     what a failed document leaves in OUT/quarantine/
//   review_files.h   schedule.csv and decisions.toml
//   record.h         the document record and its JSON
//   document.h       the pipeline for one document

#include <atomic>
#include <iosfwd>
#include <nlohmann/json.hpp>

#include "pipeline/batch/job_config.h"
#include "pipeline/core/env.h"
#include "pipeline/rules/rule_loader.h"

namespace redact {

// What a run takes from its surroundings, passed in rather than reached for.
struct RunEnvironment {
  Env* env = Env::Default();
  // Set (by SIGINT/SIGTERM): no new document is started; the documents in progress finish and
  // the run ends with kExitInterrupted. Null: never set.
  const std::atomic<bool>* stop = nullptr;
  // The daemon: set (by SIGHUP) to reload the rules, cleared when they are. Null: never.
  std::atomic<bool>* reload = nullptr;
};

// The rule files of `catalog` as the audit and status.json list them (id, path, sha256,
// rules), and the number of rules in all.
nlohmann::json RuleFilesRecord(const RuleCatalog& catalog, size_t* rule_count);

// Runs the batch and returns an ExitCode. Messages go to `err`, the summary to `out`.
int RunBatch(const JobConfig& config, std::ostream& out, std::ostream& err,
             const RunEnvironment& run = {});

}  // namespace redact
