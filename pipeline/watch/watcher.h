#pragma once
// The daemon's inner parts, shared by its files (not installed): the Watcher and what it
// keeps. watch.cpp starts and runs it; inbox.cpp sees files arrive and settle;
// rule_snapshots.cpp puts rules in force and reloads them; steps.cpp takes one input through
// its claim journal to its release; status.cpp writes status.json, the review files and the
// counts.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "pipeline/audit/audit_log.h"
#include "pipeline/batch/batch.h"
#include "pipeline/batch/inputs.h"
#include "pipeline/batch/isolation.h"
#include "pipeline/batch/job_options.h"
#include "pipeline/batch/office_pool.h"
#include "pipeline/batch/quarantine.h"
#include "pipeline/batch/record.h"
#include "pipeline/batch/release_names.h"
#include "pipeline/batch/review_files.h"
#include "pipeline/batch/run_start.h"
#include "pipeline/batch/runner.h"
#include "pipeline/core/audit_key.h"
#include "pipeline/core/build_info.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"
#include "pipeline/report/report.h"
#include "pipeline/rules/rule_loader.h"
#include "pipeline/watch/claim.h"

#include "pipeline/watch/watch.h"

namespace redact::daemon {
namespace fs = std::filesystem;
using nlohmann::json;

using Clock = std::chrono::steady_clock;

// A claimed file is started at most this often; the next start quarantines it as poison.
constexpr int kMaxAttempts = 2;
// A file that was closed after writing (or moved in) is taken after this much quiet, in case
// the writer opens it again at once.
constexpr auto kClosedQuiet = std::chrono::milliseconds(250);
constexpr int kPollMillis = 200;

// Names that are never inputs: hidden files (our .redact/, editors' and sync tools' temps)
// and the usual partial-download suffixes.
bool IgnoredName(const std::string& name);

bool IgnoredPath(const fs::path& rel);

// Whether some process has `path` open for writing. A read lease is granted only when nobody
// has: asked for one and let go at once (no writer is ever kept waiting). Where a lease cannot
// be had (a file of another owner without CAP_LEASE, a file system without leases), the
// processes' open files this user may see are searched. A writer whose files cannot be seen
// at all is left to the settle time.
bool OpenForWriting(const fs::path& path);

std::string LocalDate();

// Moves a file, across file systems if need be (copy, fsync, rename, then unlink).
Status MoveFile(const fs::path& from, const fs::path& to);

// `rel` under `root`, or with ".2", ".3"... before the extension when that is taken.
fs::path FreeName(const fs::path& root, const std::string& rel);

// A record as the claim journal keeps it: the worker's answer (WireJson) with what the daemon
// set on it, so that a restart reads back the record it would have written.
json DaemonRecordJson(const DocumentRecord& r, const std::string& quarantine_name);

DocumentRecord RecordFromDaemonJson(const json& j);

// One line per event on the log stream: text for people and journald, or JSON. A text line
// starts with the time unless journald (which stamps each line itself) reads the stream.
class EventLog {
 public:
  EventLog(std::ostream& out, bool json, Env* env)
      : out_(out),
        json_(json),
        stamped_(std::getenv("JOURNAL_STREAM") == nullptr),
        clock_(env, /*deterministic=*/false) {}

  void Write(const char* level, const std::string& event, const std::string& input,
             const std::string& message, json fields = json::object()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (json_) {
      json line = {{"time", clock_.Now()}, {"level", level}, {"event", event}};
      if (!input.empty()) line["input"] = input;
      line["message"] = message;
      for (auto& [k, v] : fields.items()) line[k] = v;
      out_ << line.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
    } else {
      if (stamped_) out_ << clock_.Now() << " ";
      out_ << level << ": " << event;
      if (!input.empty()) out_ << " " << input;
      if (!message.empty()) out_ << ": " << message;
      out_ << "\n";
    }
    out_.flush();
  }

 private:
  std::mutex mu_;
  std::ostream& out_;
  bool json_;
  bool stamped_;
  RecordClock clock_;  // log lines carry the real time, even in a deterministic run
};

// A file seen in the inbox, not yet taken.
struct Candidate {
  uintmax_t size = 0;
  int64_t mtime_ns = 0;
  Clock::time_point changed;
  bool closed = false;  // closed after writing, or moved in, since it last changed
};

// The rules in force: files copied under .redact/rules/<generation>/ and loaded from there.
struct LoadedRules {
  std::shared_ptr<const DocumentRunner> runner;
  json files = json::array();  // id, path (as given), sha256, rules
  size_t rule_count = 0;
  std::string loaded_at;
};

class Watcher {
 public:
  Watcher(const WatchConfig& config, std::ostream& log, const RunEnvironment& run)
      : config_(config),
        run_(run),
        clock_(run.env, config.job.deterministic),
        log_(log, config.log_json, run.env) {
    inbox_ = fs::absolute(config.job.inputs.at(0)).lexically_normal();
    out_ = fs::absolute(config.job.out).lexically_normal();
    state_ = inbox_ / ".redact";
    work_ = state_ / "work";
    attempts_ = state_ / "attempts";
    jobs_ = config.job.jobs > 0 ? config.job.jobs
                                : int(std::max(1u, std::thread::hardware_concurrency()));
  }

  ~Watcher() {
    if (inotify_fd_ >= 0) ::close(inotify_fd_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  int Run();

 private:
  int Start();
  int LockInbox();
  Status LoadRuleSnapshot();
  Status StartOnLastGoodRules(const Status& why);
  // Puts rules in force for the documents to come, with `error` shown in status.json (empty
  // when none), and records them in the audit.
  Status InstallRules(std::shared_ptr<const DocumentRunner> runner, json files, size_t rule_count,
                      int generation, const std::string& error, json audit_extra);
  void ReloadRules();
  void Recover();
  void AddWatchTree(const fs::path& rel);
  void DrainEvents();
  void ScanTree(const fs::path& rel, bool closed);
  void Note(const fs::path& rel, bool closed);
  void ClaimReady();
  void WorkerLoop();
  void Handle(const std::string& rel);
  // The steps of Handle, each returning false when the input waits (still claimed).
  bool StepProcess(const DocumentRunner& runner, ClaimIntent* it);
  bool StepAttachments(const DocumentRunner& runner, ClaimIntent* it);
  bool StepRecord(const DocumentRunner& runner, ClaimIntent* it, Clock::time_point started);
  void StepArchive(ClaimIntent* it);
  fs::path IntentPath(const std::string& rel) const;
  bool SaveIntent(const ClaimIntent& it);
  void RollBack(const ClaimIntent& it, bool attachments_only);
  InputFile InputOf(const ClaimIntent& it) const;
  void Unreserve(const ClaimIntent& it);
  std::set<std::string> RecordedInputs(const std::string& claim) const;
  std::string PlanQuarantineName(const std::string& rel);
  std::optional<InputFile> ReserveReleaseName(const std::string& rel, const RuleMatcher& matcher,
                                              Status* s);
  void RetryLater(const std::string& rel, const DocumentRecord& record);
  void Account(const std::string& rel, const DocumentRecord& record, double secs);
  DocumentRecord PoisonRecord(const InputFile& in, int attempts) const;
  bool Stopping() const { return run_.stop && run_.stop->load(); }
  OfficePool* Office() { return config_.job.libreoffice_per_document ? nullptr : &office_; }
  void Enqueue(const std::string& rel, bool front);
  void WriteStatus();
  void KeepReviewFilesCurrent(const std::vector<DocumentRecord>& documents);
  void WriteReviewReport();

  const WatchConfig& config_;
  const RunEnvironment& run_;
  const RecordClock clock_;
  EventLog log_;
  fs::path inbox_, out_, state_, work_, attempts_;
  int jobs_ = 1;
  // LibreOffice kept running per worker, for Office documents and messages; declared before
  // the rules so that no runner outlives it.
  OfficePool office_{config_.job.jobs > 0 ? config_.job.jobs
                                          : int(std::max(1u, std::thread::hardware_concurrency())),
                     config_.job.max_memory_bytes, SelfExecutable(),
                     (fs::path(config_.job.out) / "attachments").string()};
  int inotify_fd_ = -1;
  int lock_fd_ = -1;
  std::unordered_map<int, fs::path> watches_;  // inotify descriptor -> folder under the inbox
  std::map<fs::path, Candidate> candidates_;   // main thread only
  // Handles open on inbox files, from inotify's open and close events (main thread only): a
  // file still open is never taken, however long its writer pauses.
  std::map<fs::path, int> open_handles_;
  std::set<std::string> reported_links_;  // symbolic links already logged as skipped
  std::set<fs::path> claim_refused_;      // files the daemon may not move (logged once)
  std::unique_ptr<AuditLog> audit_;
  std::vector<std::string> rule_paths_;  // as given (files or folders)
  int rules_generation_ = 0;

  std::mutex status_write_mu_;  // taken before mu_, by WriteStatus only

  // Shared with the workers, under mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;  // the queue's members, so a name is never queued twice
  std::set<std::string> in_progress_;
  // Names under release/ (and review/) reserved by inputs not yet archived: each one's release,
  // sidecar and attachments folder, from before anything is written under them.
  std::set<std::string> reserved_;
  std::set<std::string> quarantine_reserved_;  // likewise under quarantine/
  // Documents the machine refused to store (a full disk), and when to try each again.
  std::map<std::string, Clock::time_point> retry_at_;
  bool stop_ = false;
  LoadedRules rules_;
  std::string rules_error_;
  size_t processed_ = 0, released_ = 0, waiting_for_review_ = 0, failed_ = 0;
  json last_error_ = nullptr;
  std::string started_;
  std::string run_state_ = "running";  // running, stopping, stopped
  std::atomic<bool> status_dirty_{true};
  std::atomic<bool> report_dirty_{false};  // documents done since report.html was written
  std::atomic<size_t> waiting_{0};         // candidates_.size(), for the status
};

}  // namespace redact::daemon
