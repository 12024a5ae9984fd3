#pragma once
// quarantine/: where a document that could not be made safe goes, a copy of the input with
// <name>.error.json beside it saying why and what to do. The input itself is never touched.

#include <string>

#include "pipeline/batch/record.h"
#include "pipeline/core/env.h"
#include "pipeline/core/status.h"

namespace redact {

// Copies the failed document's input into OUT/quarantine/ (regular files only: reading a FIFO
// or a device would block or never end) with its .error.json, and adds both to its outputs.
// `rerun` (a batch over the same inputs as earlier runs): the release an earlier run published
// for this input (its planned name and sidecar only, never another input's) is removed, so
// release/ only holds what passed this run. Otherwise (the daemon) a name already quarantined
// is numbered, never replaced. `name` (the daemon's, planned and reserved before anything is
// written): the copy's name under quarantine/, written there whatever is there (so filing
// again after a crash gives the same files, not a second copy).
Status Quarantine(DocumentRecord* record, const std::string& out, bool rerun, Env* env,
                  const RecordClock& clock, const std::string& name = {});

// The name under quarantine/ for an input named `relative`: itself, unless its file name is
// too long to take ".error.json" and a temp prefix within the file system's 255 bytes; then
// its start, a hash of the whole and its extension ("<first 150 bytes>-1a2b3c4d5e6f.pdf").
std::string QuarantineName(const std::string& relative);

// For a document that passed on a rerun: what earlier runs left of it in quarantine/, and, now
// that it is released, the would-be release held in review/.
void ClearEarlierRuns(const DocumentRecord& record, const std::string& out, Env* env);

}  // namespace redact
