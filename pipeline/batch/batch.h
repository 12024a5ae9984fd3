#pragma once
// batch: every input file through ProcessDocument, in parallel, with quarantine, audit,
// progress and a summary. The command line is a thin shell over RunBatch.

#include <atomic>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "pipeline/batch/job_config.h"

#include "pipeline/core/status.h"
#include "pipeline/decide/decisions.h"
#include "pipeline/rules/rule_loader.h"
#include "pipeline/rules/rule_matcher.h"

namespace redact {

struct InputFile {
  std::string path;
  std::string relative;
  std::string release;  // planned release path under release/ (see PlanReleaseNames)
  std::string sidecar;  // planned .txt sidecar of a release PDF
};

// Gives every input a release path no other input takes: "a/scan.tif" -> "a/scan.pdf", or
// "a/scan.tif.pdf" when "a/scan.pdf" is an input too; sidecars likewise. The kind is read
// from the file's first bytes as the pipeline will read it (text releases as .txt, so an
// e-mail saved as "b.eml" releases as "b.txt", or "b.eml.txt" beside an input "b.txt");
// a file that cannot be read is guessed from its extension.
void PlanReleaseNames(std::vector<InputFile>* inputs);

// The rule files of `catalog` as the audit and status.json list them (id, path, sha256,
// rules), and the number of rules in all.
nlohmann::json RuleFilesRecord(const RuleCatalog& catalog, size_t* rule_count);

// `in`'s planned names numbered as the n-th file of that name (n >= 2), as the daemon's
// archive numbers them: "a/b.pdf" -> "a/b.2.pdf" with sidecar "a/b.2.txt", "b.txt" ->
// "b.2.txt". `planned` is the input as PlanReleaseNames left it.
void NumberReleaseName(const InputFile& planned, int n, InputFile* in);

// The audit record of a document that never got as far as the pipeline (its worker died,
// timed out, or it was set aside): stage "process", quarantined, with the input's sha256.
nlohmann::json FailedDocumentRecord(const InputFile& in, const std::string& error,
                                    const std::string& hint, const std::string& code);

// The shard (1..shard_count) an input belongs to, from the sha256 of its bytes: the same file
// lands in the same shard wherever and whenever it is run.
int ShardOf(const InputFile& in, int shard_count);

// Checks the config before anything is written: inputs exist, OUT is not inside an input
// (nor an input inside OUT). Returns a message for the user, or empty when fine.
std::string CheckJobConfig(const JobConfig& config);

// Lists every file under the inputs (folders recursively, sorted), with the relative path it
// will have under release/. Hidden files (".name") and symbolic links are skipped; the
// skipped ones are reported in `skipped`.
std::vector<InputFile> CollectInputs(const std::vector<std::string>& inputs,
                                     std::vector<std::string>* skipped);

// Writes OUT/audit/schedule.csv (redactions per document, page, exemption, rule; RFC 4180)
// and OUT/audit/decisions.toml (one entry per finding, pre-filled from `previous`) from the
// document records of a run.
Status WriteReviewFiles(const std::string& out, const std::vector<nlohmann::json>& documents,
                        const DecisionSet& previous);

// The default rule packs: next to an installed binary, else the source tree's rules/.
std::vector<std::string> DefaultRulePaths();

// Runs single documents as a batch does: each in a worker process (`redact __document`) with
// the config's memory and time limits, then files a failed one in OUT/quarantine/. Shared by
// the batch and the daemon. Thread-safe; the decisions must outlive it.
class DocumentRunner {
 public:
  DocumentRunner(const JobConfig& config, std::vector<std::string> rule_paths,
                 std::shared_ptr<const RuleMatcher> matcher, const DecisionSet* decisions,
                 int page_jobs);

  // Processes `in` (publishing its release when it passes) and returns its audit record, with
  // "release_name". A worker that died carries "worker_signal".
  nlohmann::json Process(const InputFile& in) const;

  // Quarantines a failed document (copy + .error.json) or, for a released one, clears what an
  // earlier run of the same input left in quarantine/ or review/. `rerun`: OUT holds earlier
  // runs over the same inputs (a batch), so a failed document's own older release goes too.
  // The daemon passes false: every file is a new document, nothing of another is removed, and
  // a second bad file of a name is quarantined as "name.2.pdf" beside the first.
  Status File(nlohmann::json* record, bool rerun = true) const;

 private:
  JobConfig config_;
  std::shared_ptr<const RuleMatcher> matcher_;
  const DecisionSet* decisions_;
  nlohmann::json worker_config_;
  std::string self_;
  std::string release_root_;
};

// Set by SIGINT/SIGTERM: no new document is started, the run ends with kExitInterrupted.
extern std::atomic<bool> g_interrupted;

// The hidden `redact __document` command: reads one job (JSON) on stdin, processes it,
// writes its audit record (JSON) on stdout. Run by RunBatch in a child process.
int DocumentWorkerMain();

// Runs the batch and returns an ExitCode. Messages go to `err`, the summary to `out`.
int RunBatch(const JobConfig& config, std::ostream& out, std::ostream& err);

}  // namespace redact
