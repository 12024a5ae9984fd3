#include "pipeline/watch/watch.h"

#include "pipeline/watch/watcher.h"

namespace redact {
namespace daemon {

// INBOX/.redact/ made, and its lock taken: one daemon per inbox.
int Watcher::LockInbox() {
  std::error_code ec;
  for (const fs::path& dir : {work_, attempts_, state_ / "rules"}) {
    fs::create_directories(dir, ec);
    if (ec) {
      log_.Write("error", "start", "",
                 "cannot create " + dir.string() + ": " + ec.message() +
                     " (the daemon needs to write inside the inbox to claim files)");
      return kExitOutputNotWritable;
    }
  }
  lock_fd_ = ::open((state_ / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    log_.Write("error", "start", "",
               "another redact watch is already working on " + inbox_.string() +
                   "; stop it first (one daemon per inbox)");
    return kExitBadArguments;
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_, 0) != 0 || ::write(lock_fd_, pid.data(), pid.size()) < 0) {
    // The pid in the lock file is for people only; the lock itself is what counts.
  }
  return kExitOk;
}

int Watcher::Start() {
  std::error_code ec;
  if (!fs::is_directory(inbox_, ec)) {
    log_.Write("error", "start", "", "the inbox " + inbox_.string() + " is not a folder");
    return kExitBadArguments;
  }
  JobConfig check = config_.job;
  check.inputs = {inbox_.string()};
  check.out = out_.string();
  if (Status s = CheckRunConfig(check); !s.ok()) {
    log_.Write("error", "start", "", s.message() + (s.hint().empty() ? "" : " " + s.hint()));
    return ExitCodeFor(s);
  }
  ShareOutWithItsGroup(out_.string());
  if (int rc = LockInbox(); rc != kExitOk) return rc;
  auto audit = OpenRunOutput(out_.string(), {"release", "audit", "quarantine", "archive"}, run_.env,
                             /*keep_records=*/false, config_.job.audit_key);
  if (!audit.ok()) {
    log_.Write("error", "start", "", audit.status().message() + " " + audit.status().hint());
    return ExitCodeFor(audit.status());
  }
  audit_ = std::move(*audit);
  if (Status s = audit_->Append({{"event", "watch_start"},
                                 {"time", clock_.Now()},
                                 {"tool", "redact"},
                                 {"version", kVersion},
                                 {"inbox", inbox_.string()},
                                 {"jobs", jobs_},
                                 {"settle_seconds", config_.settle_seconds},
                                 {"options", RecordedJobOptions(config_.job)},
                                 {"audit_key_id", AuditKeyId(config_.job.audit_key)}});
      !s.ok()) {
    log_.Write("error", "start", "", "cannot write the audit log: " + s.message());
    return kExitOutputNotWritable;
  }
  rule_paths_ = RulePathsOf(config_.job);
  if (Status s = LoadRuleSnapshot(); !s.ok()) {
    // A file broken since the last start (a reload refused it, or an edit with the daemon
    // down) must not keep the service down: the copy an earlier run loaded still holds.
    if (Status fallback = StartOnLastGoodRules(s); !fallback.ok()) {
      log_.Write("error", "start", "", "invalid rules: " + s.message());
      return kExitInvalidRules;
    }
  }
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (inotify_fd_ < 0) {
    log_.Write("warning", "start", "",
               std::string("inotify is not available (") + std::strerror(errno) +
                   "); the inbox is scanned every " + std::to_string(config_.settle_seconds) +
                   " s instead");
  }
  return kExitOk;
}

// Work left by an earlier run (claimed, not finished) goes first. The names its journals
// reserved are reserved again before anything new is claimed. Files never started go before
// those that were in progress when redact died, the least tried first: the files in progress at
// one crash are not all in progress at the next (where each would count one more attempt).
void Watcher::Recover() {
  std::error_code ec;
  RemoveDeadTemps(out_);
  RemoveDeadTemps(state_);
  std::vector<std::pair<int, std::string>> left;  // attempts, name
  auto it = fs::recursive_directory_iterator(work_, ec);
  for (; !ec && it != fs::end(it); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    fs::path rel = it->path().lexically_relative(work_);
    if (IgnoredName(rel.filename().string())) continue;
    left.emplace_back(0, rel.string());
  }
  std::set<std::string> claimed;
  for (auto& [attempts, rel] : left) {
    claimed.insert(rel);
    auto intent = LoadClaimIntent(IntentPath(rel).string(), rel);
    if (!intent.ok()) continue;
    attempts = intent->attempts;
    std::lock_guard<std::mutex> lock(mu_);
    if (!intent->release.empty()) {
      reserved_.insert(intent->release);
      if (!intent->sidecar.empty()) reserved_.insert(intent->sidecar);
      reserved_.insert(ClaimIntent::AttachmentsFolder(intent->release));
    }
    if (!intent->quarantine.empty()) quarantine_reserved_.insert(intent->quarantine);
    for (const json& a : intent->attachments) {
      if (a.contains("quarantine_name")) quarantine_reserved_.insert(a["quarantine_name"]);
    }
  }
  // Journals whose input has left work/: archived just before a crash (done), or taken away.
  for (auto j = fs::directory_iterator(attempts_, ec); !ec && j != fs::end(j); j.increment(ec)) {
    auto text = ReadFile(j->path().string(), size_t(64) << 20);
    if (!text.ok()) continue;
    json parsed = json::parse(*text, nullptr, false);
    if (!parsed.is_object()) continue;
    const std::string rel = parsed.value("input", "");
    if (rel.empty() || claimed.count(rel)) continue;
    auto intent = LoadClaimIntent(j->path().string(), rel);
    if (intent.ok() && intent->step < ClaimStep::kRecorded) {
      log_.Write("error", "recovered", rel,
                 "its input is no longer in " + work_.string() +
                     "; what it had published without a record is rolled back");
      RollBack(*intent, /*attachments_only=*/false);
    }
    std::error_code rm;
    fs::remove(j->path(), rm);
  }
  std::sort(left.begin(), left.end());
  for (const auto& [attempts, rel] : left) {
    log_.Write("info", "recovered", rel, "left in progress by an earlier run; processing it now");
    Enqueue(rel, false);
  }
}

void Watcher::WorkerLoop() {
  while (true) {
    std::string rel;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;  // what is still queued stays in work/ for the next start
      rel = queue_.front();
      queue_.pop_front();
      queued_.erase(rel);
      in_progress_.insert(rel);
      status_dirty_ = true;
    }
    WriteStatus();
    Handle(rel);
    {
      std::lock_guard<std::mutex> lock(mu_);
      in_progress_.erase(rel);
      status_dirty_ = true;
    }
    WriteStatus();
  }
}

int Watcher::Run() {
  started_ = clock_.Now();
  if (int rc = Start(); rc != kExitOk) return rc;

  log_.Write("info", "start", "",
             "watching " + inbox_.string() + " -> " + out_.string() + " with " +
                 std::to_string(jobs_) + " workers and " + std::to_string(rules_.rule_count) +
                 " rules",
             {{"inbox", inbox_.string()}, {"out", out_.string()}, {"jobs", jobs_}});
  Recover();
  AddWatchTree({});
  ScanTree({}, false);
  WriteStatus();

  std::vector<std::thread> workers;
  for (int i = 0; i < jobs_; ++i) workers.emplace_back([this] { WorkerLoop(); });

  const auto rescan_every =
      std::chrono::milliseconds(int64_t(std::max(1.0, config_.settle_seconds) * 1000));
  auto last_scan = Clock::now();
  while (!Stopping()) {
    struct pollfd pfd = {inotify_fd_, POLLIN, 0};
    ::poll(&pfd, inotify_fd_ >= 0 ? 1 : 0, kPollMillis);
    DrainEvents();
    if (run_.reload && run_.reload->exchange(false)) {
      log_.Write("info", "reload", "", "SIGHUP: reloading the rules");
      ReloadRules();
    }
    if (Clock::now() - last_scan >= rescan_every) {
      ScanTree({}, false);
      last_scan = Clock::now();
    }
    ClaimReady();
    WriteStatus();
    if (report_dirty_) {
      bool idle;
      {
        std::lock_guard<std::mutex> lock(mu_);
        idle = queue_.empty() && in_progress_.empty();
      }
      if (idle) WriteReviewReport();
    }
  }

  size_t busy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    busy = in_progress_.size();
    run_state_ = "stopping";
    status_dirty_ = true;
  }
  cv_.notify_all();
  log_.Write("info", "stopping", "",
             "finishing " + std::to_string(busy) +
                 " document(s) in progress; queued files stay claimed for the next start");
  WriteStatus();
  for (std::thread& t : workers) t.join();
  if (report_dirty_) WriteReviewReport();
  Status stop = audit_->Append({{"event", "watch_stop"},
                                {"time", clock_.Now()},
                                {"processed", processed_},
                                {"released", released_},
                                {"waiting_for_review", waiting_for_review_},
                                {"failed", failed_}});
  {
    std::lock_guard<std::mutex> lock(mu_);
    run_state_ = "stopped";
    status_dirty_ = true;
  }
  WriteStatus();
  log_.Write("info", "stopped", "",
             std::to_string(processed_) + " processed (" + std::to_string(released_) +
                 " released, " + std::to_string(failed_) + " quarantined)");
  if (!stop.ok()) {
    log_.Write("error", "audit", "", "cannot write the watch_stop record: " + stop.message());
    return kExitOutputNotWritable;
  }
  return kExitOk;
}

}  // namespace daemon

using daemon::Watcher;

int RunWatch(const WatchConfig& config, std::ostream& log, const RunEnvironment& run) {
  if (config.job.inputs.size() != 1) {
    log << "redact watch: give exactly one inbox folder\n";
    return kExitBadArguments;
  }
  if (config.job.out.empty()) {
    log << "redact watch: no output folder: give one with -o OUT\n";
    return kExitBadArguments;
  }
  if (!(config.settle_seconds > 0)) {
    log << "redact watch: --settle must be a positive number of seconds\n";
    return kExitBadArguments;
  }
  if (!(config.retry_seconds > 0)) {
    log << "redact watch: --retry-after must be a positive number of seconds\n";
    return kExitBadArguments;
  }
  Watcher watcher(config, log, run);
  return watcher.Run();
}

}  // namespace redact
