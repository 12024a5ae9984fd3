#pragma once
// DocumentRecord: what became of one document, the value the pipeline hands to the batch, the
// daemon and the audit. It is typed everywhere; JSON is made (and, for the worker's answer,
// read back) only here.
//
//   DocumentRecord r = ProcessDocument(source, ctx);
//   if (r.disposition() == Disposition::kQuarantined) ...
//   audit->Append(RecordJson(r, AuditText::kPlain, clock));
//
// A worker process sends its record to the batch as WireJson (every field, matched text in
// full whatever the audit mode); ParseWireRecord reads it back.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/batch/job_config.h"
#include "pipeline/core/env.h"
#include "pipeline/core/status.h"
#include "pipeline/core/types.h"
#include "pipeline/extract/document_reader.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/verify/release_path.h"

namespace redact {

// Where a document's processing stopped, for the record and the quarantine note.
enum class Stage {
  kNone,     // it did not stop: released or held
  kIngest,   // the file could not be read or is of no kind we handle
  kRules,    // the worker could not load the rules
  kConvert,  // an Office document cleaned and rendered to PDF (LibreOffice)
  kExtract,  // text layer / OCR
  kDetect,
  kRender,
  kWrite,
  kVerify,   // the release failed its self-check
  kPublish,  // renaming into release/
  kProcess,  // the worker died, timed out, or the document was set aside (poison)
};
const char* StageName(Stage stage);  // "ingest", ...; "" for kNone
Stage StageFromName(const std::string& name);

// What became of the document.
enum class Disposition {
  kReleased,     // its release is in release/
  kReview,       // held: its would-be release is in review/ until a reviewer decides
  kQuarantined,  // the document could not be made safe: copied to quarantine/ with why
  // The machine refused to store an output (a full disk, a read-only OUT): the document is
  // not to blame, nothing of it was published, and the same input succeeds once fixed.
  kOutputFailed,
};
const char* DispositionName(Disposition d);  // "released", "review", "quarantined", "output_failed"

struct OutputFile {
  std::string path;  // relative to OUT
  std::string sha256;
};

// An attachment of a message, processed as a document of its own.
struct AttachmentRecord {
  std::string name;  // the message's name for it, made safe ("a-2.pdf" for a second "a.pdf")
  std::string path;  // where it was written out (OUT/attachments/<message>/<name>)
  std::string content_type;
  uint64_t size = 0;
  std::string input;   // its own document's input name: "<message>.attachments/<name>"
  std::string status;  // what became of it (DispositionName), once processed
};

struct DocumentRecord {
  Source source;            // path, relative, kind, sha256
  bool kind_known = false;  // false until ingest has read the file ("unknown" in the record)
  int pages = 0;
  std::vector<PageInfo> page_info;
  // What the input holds that no reader of its pages sees (and the release does not carry).
  std::vector<HiddenItem> hidden;
  std::vector<Finding> findings;
  std::vector<OutputFile> outputs;
  // Flags no reviewer has decided yet; while there are any the document is held for review
  // (its would-be release is written to OUT/review/) unless the job releases flagged documents.
  size_t open_flags = 0;
  bool held = false;
  Status status;                    // ok unless it failed
  Stage stage = Stage::kNone;       // where it failed
  std::map<Stage, double> seconds;  // per stage

  std::vector<AttachmentRecord> attachments;  // a message's

  // Set by whoever ran it (the batch, the daemon).
  std::string parent;        // an attachment: the input name of the message it came with
  std::string release_name;  // planned release path under release/
  // Its planned sidecar (the released text of a PDF) under release/; empty if none or not known.
  // Never written to the audit: the parent sets it from the run's plan.
  std::string sidecar_name;
  int worker_signal = 0;  // the signal that killed its worker, if one did
  // How many times it was made: more than one when the self-check found text detection had
  // not redacted, which was then redacted wherever the draft has it (ProcessDocument).
  int selfcheck_rounds = 1;
  std::string reviewer;       // who decided its findings, when a decision applied
  std::string archived;       // the daemon's copy of the input, relative to OUT
  double seconds_total = -1;  // claim to filing, in the daemon; < 0: not recorded
  // What the rules found in the input's folder and file names and replaced in release_name
  // (the audit's mapping from "input" to "release_name"); empty: the input's own name.
  std::vector<PathRedaction> name_redactions;

  Disposition disposition() const;
  size_t redactions() const;  // findings redacted
  size_t flags() const;       // findings flagged or noted
  bool decided() const;       // a reviewer's decision applied to any finding
};

// The record of a document that failed at `stage` with `status` before (or without) the
// pipeline reading it: the input's path and relative name, its sha256 when it can be read.
DocumentRecord FailedRecord(const std::string& path, const std::string& relative, Stage stage,
                            Status status);

// The audit log's "document" event. Matched text (findings, context, hidden content) appears
// as `mode` says; times and durations come from `clock`.
// `key`: the installation's audit key, for --audit-text hash (text_hmac).
nlohmann::json RecordJson(const DocumentRecord& record, AuditText mode, const RecordClock& clock,
                          const std::string& key);

// The worker's answer to the batch: the record whole, text in full.
nlohmann::json WireJson(const DocumentRecord& record);
// Reads a WireJson back. A malformed answer is an error, never a record of a success.
Result<DocumentRecord> ParseWireRecord(const nlohmann::json& j);

// quarantine/<name>.error.json: why the document was set aside and what to do.
nlohmann::json QuarantineNoteJson(const DocumentRecord& record, const RecordClock& clock);

}  // namespace redact
