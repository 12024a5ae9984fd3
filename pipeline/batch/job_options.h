#pragma once
// The options a document's processing depends on, listed once: the worker's job carries
// every one of them (batch/worker.h), and the audit's run records (run_start, watch_start)
// every one that is no secret. Adding a JobConfig member that changes how a document is
// processed means adding its line to JobOptions(); a test checks that the worker reads back
// what it was sent and that no secret reaches a record.

#include <nlohmann/json.hpp>
#include <vector>

#include "pipeline/batch/job_config.h"
#include "pipeline/core/status.h"

namespace redact {

struct JobOption {
  enum class Recorded {
    kValue,  // the run records hold its value
    kGiven,  // a secret (a password): the records say only whether one was given
    kNever,  // a secret the records name otherwise (the audit key: by its id)
  };
  const char* key;  // in the worker's job and the run records (snake case)
  Recorded recorded;
  nlohmann::json (*get)(const JobConfig&);
  void (*set)(const nlohmann::json&, JobConfig*);  // throws nlohmann::json::exception
};

const std::vector<JobOption>& JobOptions();

// Every option, secrets included: what a worker is sent.
nlohmann::json JobOptionsJson(const JobConfig& config);

// Reads back JobOptionsJson's object; every key must be there.
Status ReadJobOptions(const nlohmann::json& j, JobConfig* config);

// The options as the audit's run records hold them: no secret's value.
nlohmann::json RecordedJobOptions(const JobConfig& config);

}  // namespace redact
