#pragma once
// DocumentRunner: runs single documents as the batch and the daemon do, each in a worker
// process (worker.h) under the config's memory and time limits, then files the outcome: a
// failed document into OUT/quarantine/, a released one clearing what earlier runs left.
// Thread-safety: Process and File may be called from several threads at once; the decisions,
// the env and the Office pool must outlive the runner.

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/batch/inputs.h"
#include "pipeline/batch/isolation.h"
#include "pipeline/batch/job_config.h"
#include "pipeline/batch/office_pool.h"
#include "pipeline/batch/record.h"
#include "pipeline/core/env.h"
#include "pipeline/decide/decisions.h"
#include "pipeline/rules/rule_matcher.h"

namespace redact {

class DocumentRunner {
 public:
  // `rule_paths` are the rule files a worker loads; `matcher` the same rules, loaded, for a
  // document run in this process (config.isolate false). `page_jobs`: threads per document.
  DocumentRunner(const JobConfig& config, std::vector<std::string> rule_paths,
                 std::shared_ptr<const RuleMatcher> matcher, const DecisionSet* decisions,
                 int page_jobs, Env* env, OfficePool* office = nullptr, bool one_document = false);

  // Processes `in` (publishing its release when it passes) and returns its record, with its
  // planned release name. A worker that did not answer gives a record failed at
  // Stage::kProcess saying what happened to it.
  // `on_pages` (may be empty) hears of its pages as they are read and rendered.
  DocumentRecord Process(
      const InputFile& in,
      const std::function<void(int read, int rendered, int total)>& on_pages = {}) const;

  // A message's attachments (record.attachments, written out by its worker), each processed
  // as a document of its own, an attached message's own attachments too (to a depth of 5):
  // input name "<message>.attachments/<name>", released under
  // "<message's release without extension>.attachments/", with "parent" the message. Each
  // attachment's status is set in `message`. Returns their records, in order.
  std::vector<DocumentRecord> ProcessAttachments(DocumentRecord* message, const InputFile& in,
                                                 int depth = 1) const;

  // Quarantines a failed document (copy + .error.json) or, for a released one, clears what an
  // earlier run of the same input left in quarantine/ or review/. `rerun`: OUT holds earlier
  // runs over the same inputs (a batch), so a failed document's own older release goes too.
  // The daemon passes false: every file is a new document, nothing of another is removed, and
  // a second bad file of a name is quarantined as "name.2.pdf" beside the first. A document
  // whose outputs the machine refused (Disposition::kOutputFailed) is not the document's
  // fault: nothing is filed for it.
  // `quarantine_name`: the copy's planned name under quarantine/ (Quarantine's `name`).
  Status File(DocumentRecord* record, bool rerun, const RecordClock& clock,
              const std::string& quarantine_name = {}) const;

  // The rules in force, loaded: release names are planned with them (release_names.h).
  const RuleMatcher& matcher() const { return *matcher_; }

  // Has the workers' zygote load Tesseract's model now, for the documents to come (done by
  // itself after the first document that needed OCR).
  void PreloadOcr() const;

 private:
  DocumentRecord ProcessHere(const InputFile& in,
                             const std::function<void(int, int, int)>& on_pages) const;
  DocumentRecord ProcessInWorker(const InputFile& in,
                                 const std::function<void(int, int, int)>& on_pages) const;

  JobConfig config_;  // page_jobs set; rules = the files in force
  std::shared_ptr<const RuleMatcher> matcher_;
  const DecisionSet* decisions_;
  Env* env_;
  OfficePool* office_;  // LibreOffice kept running per slot; null: one per document
  std::string self_;
  std::string release_root_;
  // Forks the document workers, rules and OCR model loaded (null: each worker is exec'd, as
  // for a batch of one document, where a zygote would only be one more process to start).
  std::unique_ptr<WorkerZygote> zygote_;
  mutable std::atomic<bool> ocr_preloaded_{false};
};

}  // namespace redact
