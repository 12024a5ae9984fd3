#pragma once
// How every run begins, the batch's and the daemon's alike, before the first document is
// touched: the options are checked (and OCR, if it will be used, is installed), then OUT's
// folders are made, OUT is proved writable and the audit log is opened, continuing a chain
// that must verify. A failure is a Status whose code ExitCodeFor turns into the README's exit
// code; its message and hint are for the user.

#include <memory>
#include <string>
#include <vector>

#include "pipeline/audit/audit_log.h"
#include "pipeline/batch/job_config.h"
#include "pipeline/core/env.h"
#include "pipeline/core/status.h"

namespace redact {

// Status::InvalidInput for options that make no sense (CheckJobConfig), MissingDependency
// when OCR would run and Tesseract's data is not installed.
Status CheckRunConfig(const JobConfig& config);

// Creates OUT/<folder> for each of `folders`, writes and removes a probe file, and opens
// OUT/audit/audit.jsonl (keeping its records when `keep_records`: AuditLog::Open). Tampered
// when the existing log does not verify, or does not match its anchor under `audit_key`.
Result<std::unique_ptr<AuditLog>> OpenRunOutput(const std::string& out,
                                                const std::vector<std::string>& folders, Env* env,
                                                bool keep_records = false,
                                                const std::string& audit_key = {});

// Removes the temp files and folders (".<name>.tmp.<pid>.<n>") under `root` whose writer no
// longer runs: what a killed worker, batch or daemon left half-written, and the folders of a
// LibreOffice kept for a killed run (OUT/attachments/.libreoffice.tmp.*).
void RemoveDeadTemps(const std::string& root);

// The exit code for a failed start: 1 bad options, 4 invalid rules, 5 missing dependency,
// 6 output not writable, 8 audit log broken.
int ExitCodeFor(const Status& s);

}  // namespace redact
