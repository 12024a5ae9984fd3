#pragma once
// One document through the whole pipeline: ingest -> extract -> detect -> render -> write ->
// verify -> publish. Nothing is published unless every stage succeeded.

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pipeline/batch/job_config.h"
#include "pipeline/core/status.h"
#include "pipeline/core/types.h"
#include "pipeline/decide/decisions.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/rules/rule_matcher.h"

namespace redact {

struct OutputFile {
  std::string path;  // relative to OUT
  std::string sha256;
};

struct DocumentResult {
  Source source;
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
  Status status;
  std::string stage;  // where it failed (ingest, extract, detect, render, write, verify, publish)
  std::map<std::string, double> seconds;  // per stage
};

struct DocumentContext {
  const JobConfig* config = nullptr;
  std::shared_ptr<const RuleMatcher> matcher;
  std::string release_root;  // OUT/release
  // Release paths relative to release_root, planned by the batch so that no two inputs
  // share one (a.pdf and a.tif; a.pdf's sidecar and a.txt). Empty: derived from the input.
  std::string release_name;
  std::string sidecar_name;
  const DecisionSet* decisions = nullptr;  // a reviewer's decisions, if any
};

// The text of a document as the pipeline sees it, before any decision.
struct ExtractedDocument {
  std::vector<PageText> pages;
  std::vector<PageInfo> info;  // one per page
};

ReaderOptions ReaderOptionsFrom(const JobConfig& config);

// Reads every page of `reader` (text layer, OCR or both).
Result<ExtractedDocument> ExtractDocument(DocumentReader* reader);

// Runs the pipeline for an ingested `source` and publishes its release under
// ctx.release_root, or, while a flag waits for a decision, under the "review" folder beside it.
// On failure nothing is left under either for this document.
DocumentResult ProcessDocument(const Source& source, const DocumentContext& ctx);

// The audit record of a processed (or failed) document: input, hashes, every finding,
// outputs, status, timings. Matched text appears as `mode` says.
nlohmann::json DocumentRecord(const DocumentResult& result, AuditText mode);

// Current UTC time as ISO 8601, for records. Deterministic mode (--deterministic) fixes it at
// $SOURCE_DATE_EPOCH (or 1970-01-01) and zeroes the per-stage seconds of records, so that two
// runs of the same inputs give byte-identical audit records. Process-wide.
std::string UtcNow();
void SetDeterministic(bool on);
bool Deterministic();

// The release path (relative to release/) for an input's relative path and kind.
std::string ReleaseName(const std::string& relative, SourceKind kind);

}  // namespace redact
