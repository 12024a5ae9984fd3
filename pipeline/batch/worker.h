#pragma once
// The document worker protocol. The batch and the daemon run each document in a child process
// (`redact __document`, so that a crash, a runaway or a memory blow-up costs one document):
// the parent writes one WorkerJob as JSON on the child's stdin, the child answers with the
// document's record (WireJson, record.h) on stdout and exits 0. Anything else (a signal, a
// timeout, a non-zero exit, an answer that does not parse) is the parent's to report.

#include <nlohmann/json.hpp>
#include <string>

#include "pipeline/batch/inputs.h"
#include "pipeline/batch/job_config.h"
#include "pipeline/core/status.h"
#include "pipeline/extract/office_server.h"

namespace redact {

struct WorkerJob {
  InputFile input;   // path, relative name, planned release and sidecar
  std::string out;   // OUT
  JobConfig config;  // the options a document needs; config.rules are the rule files in force
  OfficeServerHandle office;  // the slot's LibreOffice, lent for this document (if any)
};

nlohmann::json WorkerJobJson(const WorkerJob& job);
// A field missing or of the wrong type is an error (a bug between the two processes), never
// an exception.
Result<WorkerJob> ParseWorkerJob(const nlohmann::json& j);

// The hidden `redact __document` command: reads one job on stdin, processes it, writes its
// record on stdout. Returns an ExitCode. An allocation refused under the worker's memory limit
// ends it at once with kWorkerOutOfMemoryExit, so that the parent can say "out of memory"
// rather than the abort() an uncaught std::bad_alloc would be.
int DocumentWorkerMain();
inline constexpr int kWorkerOutOfMemoryExit = 75;

// A zygote's preload (isolation.h): the rule files in force and, with `ocr`, Tesseract's model
// (a tenth of a second, wasted on a batch that OCRs nothing). WorkerPreload(config, true)
// sent later loads the model then (the rules are loaded once).
std::string WorkerPreload(const JobConfig& config, bool ocr);
// The zygote's `prepare`: loads those rules and Tesseract's model, for every worker it forks.
void PrepareWorkers(const std::string& preload);

}  // namespace redact
