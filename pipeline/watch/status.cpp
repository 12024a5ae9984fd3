// What the daemon tells: status.json, the counts, the review files kept current, retries.
#include "pipeline/watch/watcher.h"

namespace redact::daemon {

// decisions.toml at once (a reviewer may be deciding in OUT meanwhile: merged under the lock
// their changes take); report.html once the queue is empty, as it reads the whole log.
void Watcher::KeepReviewFilesCurrent(const std::vector<DocumentRecord>& documents) {
  Status s = UpdateDecisionsFile(out_.string(), documents, config_.job.audit_text, run_.env);
  if (!s.ok()) log_.Write("error", "review-files", "", "decisions.toml: " + s.message());
  report_dirty_ = true;
}

void Watcher::WriteReviewReport() {
  report_dirty_ = false;
  ReportOptions options;
  options.out_root = out_.string();
  Status s = WriteReport((out_ / "audit" / "audit.jsonl").string(),
                         (out_ / "audit" / "report.html").string(), options);
  if (!s.ok()) log_.Write("error", "review-files", "", "report.html: " + s.message());
}

// The machine refused the outputs (a full disk, a read-only OUT): not the document's fault.
// It stays claimed in work/ and is tried again later; nothing is quarantined or archived.
void Watcher::RetryLater(const std::string& rel, const DocumentRecord& record) {
  log_.Write("error", "output-failed", rel,
             record.status.message() + " - " + record.status.hint() + " The file stays in " +
                 work_.string() + " and is tried again in " +
                 std::to_string(int(config_.retry_seconds)) + " s.",
             {{"error", record.status.message()}});
  std::lock_guard<std::mutex> lock(mu_);
  retry_at_[rel] = Clock::now() + std::chrono::milliseconds(int64_t(config_.retry_seconds * 1000));
  last_error_ = {{"input", rel},
                 {"stage", StageName(record.stage)},
                 {"error", record.status.message()},
                 {"time", clock_.Now()}};
  status_dirty_ = true;
}

// The counters of status.json and the log line.
void Watcher::Account(const std::string& rel, const DocumentRecord& record, double secs) {
  const Disposition d = record.disposition();
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++processed_;
    if (d == Disposition::kReview) {
      ++waiting_for_review_;
    } else if (d == Disposition::kReleased) {
      ++released_;
    } else {
      ++failed_;
      last_error_ = {{"input", rel},
                     {"stage", StageName(record.stage)},
                     {"error", record.status.message()},
                     {"time", clock_.Now()}};
    }
    status_dirty_ = true;
  }
  std::ostringstream msg;
  msg << std::fixed << std::setprecision(1);
  if (d == Disposition::kQuarantined) {
    msg << StageName(record.stage) << ": " << record.status.message() << " -> quarantine/" << rel
        << ".error.json";
    log_.Write("error", "quarantined", rel, msg.str(),
               {{"stage", StageName(record.stage)},
                {"error", record.status.message()},
                {"code", Status::CodeName(record.status.code())}});
    return;
  }
  const bool held = d == Disposition::kReview;
  msg << record.pages << " pages, " << record.redactions() << " redactions, " << record.flags()
      << " flags in " << secs << " s -> " << (held ? "review/" : "release/") << record.release_name;
  if (held) msg << " (" << record.open_flags << " flag(s) wait for a decision)";
  log_.Write("info", held ? "waiting-for-review" : "released", rel, msg.str(),
             {{"pages", record.pages},
              {"redactions", record.redactions()},
              {"flags", record.flags()},
              {"seconds", secs}});
}

void Watcher::WriteStatus() {
  // One writer at a time, the snapshot taken under the same lock: a snapshot taken before
  // another thread's newer one must not be written after it (the file would show a state
  // already gone, until the next change).
  std::lock_guard<std::mutex> write_lock(status_write_mu_);
  json status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status_dirty_) return;
    status_dirty_ = false;
    status = {{"state", run_state_},
              {"pid", ::getpid()},
              {"version", kVersion},
              {"inbox", inbox_.string()},
              {"out", out_.string()},
              {"started", started_},
              {"updated", clock_.Now()},
              {"waiting", waiting_.load()},
              {"queued", queue_.size()},
              {"in_progress", in_progress_},
              {"processed", processed_},
              {"released", released_},
              {"waiting_for_review", waiting_for_review_},
              {"failed", failed_},
              {"last_error", last_error_},
              {"rules",
               {{"files", rules_.files},
                {"rules", rules_.rule_count},
                {"loaded_at", rules_.loaded_at},
                {"reload_error", rules_error_.empty() ? json(nullptr) : json(rules_error_)}}}};
  }
  Status s = WriteFileAtomic((out_ / "audit" / "status.json").string(),
                             status.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
  if (!s.ok()) log_.Write("error", "status", "", "cannot write status.json: " + s.message());
}

}  // namespace redact::daemon
