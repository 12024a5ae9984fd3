#pragma once
// One document through the whole pipeline: extract -> detect -> decide -> render -> write ->
// verify -> publish. Nothing is published unless every stage succeeded. ProcessDocument is the
// recipe; the stages it names are in document.cpp, the helpers they share in kept_text.h,
// page_scheduler.h and pending_outputs.h.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/batch/job_config.h"
#include "pipeline/batch/record.h"
#include "pipeline/core/env.h"
#include "pipeline/decide/decisions.h"
#include "pipeline/extract/document_reader.h"
#include "pipeline/extract/office_server.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/rules/rule_matcher.h"

namespace redact {

struct DocumentContext {
  const JobConfig* config = nullptr;
  std::shared_ptr<const RuleMatcher> matcher;
  std::string release_root;  // OUT/release
  // Release paths relative to release_root, planned by the batch so that no two inputs
  // share one (a.pdf and a.tif; a.pdf's sidecar and a.txt). Empty: derived from the input.
  std::string release_name;
  std::string sidecar_name;
  std::string attachments_dir;             // a message's; empty: derived from the input
  const DecisionSet* decisions = nullptr;  // a reviewer's decisions, if any
  Env* env = Env::Default();               // where outputs are written
  OfficeServerHandle office;  // the slot's LibreOffice, lent for this document (if any)
  // Called as pages are read and rendered (pages read, pages rendered, pages in all), from
  // the page threads: for a progress display. May be empty.
  std::function<void(int read, int rendered, int total)> on_pages;
};

// The text of a document as the pipeline sees it, before any decision.
struct ExtractedDocument {
  std::vector<PageText> pages;
  std::vector<PageInfo> info;  // one per page
};

ReaderOptions ReaderOptionsFrom(const JobConfig& config);

// Reads every page of `reader` (text layer, OCR or both).
Result<ExtractedDocument> ExtractDocument(DocumentReader* reader);

// An Office document or a message printed to PDF (by LibreOffice) for the PDF path to read.
struct PrintedDocument {
  std::string pdf_path;
  std::vector<HiddenItem> hidden;             // what the input holds that its reader does not see
  std::vector<std::string> withheld;          // text of it the release must not contain
  std::string visible;                        // what the cleaned input still says, when known
  std::vector<AttachmentRecord> attachments;  // a message's, written into attachments_dir
};

// Prints `source` (kind kOffice or kEmail) to PDF in `work_dir` (an empty folder the caller
// removes); a message's attachments are written into `attachments_dir`. An Office document is
// printed by `server` when it is valid, else by a LibreOffice started for this document; a
// message's text is typeset (extract/text_printout.h). With `matcher`, the names a
// message's list of attachments shows are those names as a release path redacts them
// ("Witness statement [REDACTED s.40(2)].txt"): the list is part of the message's release.
Result<PrintedDocument> PrintToPdf(const Source& source, const std::string& work_dir,
                                   const std::string& attachments_dir, double timeout_seconds,
                                   const OfficeServerHandle& server = {},
                                   const RuleMatcher* matcher = nullptr);

// Runs the pipeline for an ingested `source` and publishes its release under
// ctx.release_root, or, while a flag waits for a decision, under the "review" folder beside it.
// On failure nothing is left under either for this document, and the record says at which
// stage and why.
DocumentRecord ProcessDocument(const Source& source, const DocumentContext& ctx);

// Ingests the file `path` (relative name `relative`) and runs ProcessDocument on it; a file
// that cannot be ingested gives a record failed at Stage::kIngest.
DocumentRecord ProcessFile(const std::string& path, const std::string& relative,
                           const DocumentContext& ctx);

}  // namespace redact
