#include "pipeline/watch/watch.h"

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

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

// A claimed file is started at most this often; the next start quarantines it as poison.
constexpr int kMaxAttempts = 2;
// A file that was closed after writing (or moved in) is taken after this much quiet, in case
// the writer opens it again at once.
constexpr auto kClosedQuiet = std::chrono::milliseconds(250);
constexpr int kPollMillis = 200;

// Names that are never inputs: hidden files (our .redact/, editors' and sync tools' temps)
// and the usual partial-download suffixes.
bool IgnoredName(const std::string& name) {
  if (name.empty() || name[0] == '.' || name.back() == '~') return true;
  for (const char* suffix : {".part", ".partial", ".crdownload", ".tmp", ".swp"}) {
    size_t n = std::strlen(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) return true;
  }
  return false;
}

bool IgnoredPath(const fs::path& rel) {
  for (const fs::path& part : rel) {
    if (IgnoredName(part.string())) return true;
  }
  return false;
}

// Whether some process has `path` open for writing. A read lease is granted only when nobody
// has: asked for one and let go at once (no writer is ever kept waiting). Where a lease cannot
// be had (a file of another owner without CAP_LEASE, a file system without leases), the
// processes' open files this user may see are searched. A writer whose files cannot be seen
// at all is left to the settle time.
bool OpenForWriting(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  struct stat st {};
  const bool have_stat = ::fstat(fd, &st) == 0;
  if (::fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
    ::fcntl(fd, F_SETLEASE, F_UNLCK);
    ::close(fd);
    return false;
  }
  const int err = errno;
  ::close(fd);
  if (err == EAGAIN || err == EBUSY) return true;
  if (!have_stat) return false;
  std::error_code ec;
  for (auto p = fs::directory_iterator("/proc", ec); !ec && p != fs::end(p); p.increment(ec)) {
    const std::string pid = p->path().filename().string();
    if (pid.empty() || pid[0] < '0' || pid[0] > '9') continue;
    std::error_code fec;
    for (auto f = fs::directory_iterator(p->path() / "fd", fec); !fec && f != fs::end(f);
         f.increment(fec)) {
      struct stat target {};
      if (::stat(f->path().c_str(), &target) != 0 || target.st_dev != st.st_dev ||
          target.st_ino != st.st_ino) {
        continue;
      }
      std::ifstream info(p->path() / "fdinfo" / f->path().filename());
      for (std::string line; std::getline(info, line);) {
        if (line.rfind("flags:", 0) == 0) {
          const long flags = std::strtol(line.c_str() + 6, nullptr, 8);
          if (flags & (O_WRONLY | O_RDWR)) return true;
        }
      }
    }
  }
  return false;
}

std::string LocalDate() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

// Moves a file, across file systems if need be (copy, fsync, rename, then unlink).
Status MoveFile(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (::rename(from.c_str(), to.c_str()) == 0) return Status::Ok();
  if (errno != EXDEV) {
    return Status::Io("cannot move " + from.string() + " to " + to.string() + ": " +
                      std::strerror(errno));
  }
  if (Status s = CopyFileAtomic(from.string(), to.string()); !s.ok()) return s;
  fs::remove(from, ec);
  return Status::Ok();
}

// `rel` under `root`, or with ".2", ".3"... before the extension when that is taken.
fs::path FreeName(const fs::path& root, const std::string& rel) {
  fs::path p = root / rel;
  std::error_code ec;
  for (int n = 2; fs::exists(p, ec); ++n) p = root / NumberedName(rel, n);
  return p;
}

// A record as the claim journal keeps it: the worker's answer (WireJson) with what the daemon
// set on it, so that a restart reads back the record it would have written.
json DaemonRecordJson(const DocumentRecord& r, const std::string& quarantine_name) {
  json j = WireJson(r);
  j["input_path"] = r.source.path;
  j["sidecar_name"] = r.sidecar_name;
  if (!quarantine_name.empty()) j["quarantine_name"] = quarantine_name;
  return j;
}

DocumentRecord RecordFromDaemonJson(const json& j) {
  auto parsed = ParseWireRecord(j);
  DocumentRecord r;
  if (parsed.ok()) {
    r = std::move(*parsed);
  } else {
    r = FailedRecord(j.value("input_path", ""), j.value("input", ""), Stage::kProcess,
                     parsed.status());
  }
  r.parent = j.value("parent", "");
  r.release_name = j.value("release_name", "");
  r.sidecar_name = j.value("sidecar_name", "");
  r.archived = j.value("archived", "");
  if (j.contains("release_name_redactions")) {
    for (const json& n : j["release_name_redactions"]) {
      r.name_redactions.push_back({n.value("rule", ""), n.value("exemption", "")});
    }
  }
  return r;
}

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

Status Watcher::LoadRuleSnapshot() {
  // Find the files the given paths mean, copy them, then load the copies: what is loaded is
  // exactly what the workers will read, whatever happens to the originals afterwards. The
  // examples are run once, on the copies.
  LoadOptions find_only;
  find_only.check_examples = false;
  find_only.check_patterns = false;
  auto found = LoadRules(rule_paths_, find_only);
  if (!found.ok()) return found.status();
  const int generation = rules_generation_ + 1;
  fs::path dir = state_ / "rules" / std::to_string(generation);
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::vector<std::string> copies;
  for (size_t i = 0; i < found->sets.size(); ++i) {
    const RuleSet& rs = found->sets[i];
    std::ostringstream name;
    name << std::setw(3) << std::setfill('0') << i;
    // Each file in a folder of its own, its word lists where its [lists] table says they are
    // ("../lists/forenames.txt"), so the copy loads exactly as the original did.
    int up = 0;
    for (const auto& [rel, from] : rs.list_files) {
      int n = 0;
      for (const auto& part : fs::path(rel)) n += part == "..";
      up = std::max(up, n);
    }
    fs::path copy_dir = dir / name.str();
    for (int k = 0; k < up; ++k) copy_dir /= "r";
    fs::path copy = copy_dir / fs::path(rs.path).filename();
    if (Status s = CopyFileAtomic(rs.path, copy.string()); !s.ok()) return s;
    for (const auto& [rel, from] : rs.list_files) {
      const fs::path to = (copy_dir / rel).lexically_normal();
      if (Status s = CopyFileAtomic(from, to.string()); !s.ok()) return s;
    }
    copies.push_back(copy.string());
  }
  auto loaded = LoadRules(copies);
  if (!loaded.ok()) return loaded.status();
  size_t rule_count = 0;
  json files = RuleFilesRecord(*found, &rule_count);  // the paths as given
  for (size_t i = 0; i < loaded->sets.size() && i < files.size(); ++i) {
    files[i]["sha256"] = loaded->sets[i].sha256;  // the bytes actually in force
  }
  auto runner = std::make_shared<const DocumentRunner>(config_.job, copies, loaded->matcher,
                                                       nullptr, 1, run_.env, Office());
  // Older copies: a worker started before this reload may still be reading the previous one.
  for (auto it = fs::directory_iterator(state_ / "rules", ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    int g = std::atoi(it->path().filename().c_str());
    if (g < generation - 1) fs::remove_all(it->path(), ec);
  }
  return InstallRules(runner, std::move(files), rule_count, generation, {}, json::object());
}

Status Watcher::InstallRules(std::shared_ptr<const DocumentRunner> runner, json files,
                             size_t rule_count, int generation, const std::string& error,
                             json audit_extra) {
  json record = {{"event", "rules_loaded"},
                 {"time", clock_.Now()},
                 {"rule_files", files},
                 {"rules", rule_count}};
  for (auto& [k, v] : audit_extra.items()) record[k] = v;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.runner = std::move(runner);
    rules_.files = std::move(files);
    rules_.rule_count = rule_count;
    rules_.loaded_at = clock_.Now();
    rules_error_ = error;
    status_dirty_ = true;
  }
  rules_generation_ = generation;
  return audit_->Append(record);
}

Status Watcher::StartOnLastGoodRules(const Status& why) {
  std::error_code ec;
  int newest = 0;
  for (auto it = fs::directory_iterator(state_ / "rules", ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec)) newest = std::max(newest, std::atoi(it->path().filename().c_str()));
  }
  if (newest == 0) return why;
  const fs::path dir = state_ / "rules" / std::to_string(newest);
  // One rule file a folder ("000", "001", ... in load order), under the folders its word
  // lists' relative paths need.
  std::vector<fs::path> tops;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    tops.push_back(it->path());
  }
  std::sort(tops.begin(), tops.end());
  std::vector<std::string> copies;
  for (const fs::path& top : tops) {
    for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->path().extension() == ".toml") copies.push_back(it->path().string());
    }
  }
  if (copies.empty()) return why;
  auto loaded = LoadRules(copies);
  if (!loaded.ok()) return why;
  size_t rule_count = 0;
  const json files = RuleFilesRecord(*loaded, &rule_count);
  auto runner = std::make_shared<const DocumentRunner>(config_.job, copies, loaded->matcher,
                                                       nullptr, 1, run_.env, Office());
  const std::string error = why.message() + " - started on the last good copy of the rules (" +
                            dir.string() + "); fix the file and reload (SIGHUP)";
  log_.Write("error", "rules-start-failed", "", error, {{"error", why.message()}});
  return InstallRules(runner, files, rule_count, newest, error,
                      {{"last_good_copy", true}, {"error", why.message()}});
}

void Watcher::ReloadRules() {
  Status s = LoadRuleSnapshot();
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    log_.Write("info", "rules-reloaded", "",
               std::to_string(rules_.rule_count) + " rules from " +
                   std::to_string(rules_.files.size()) + " files");
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    rules_error_ = s.message();
    status_dirty_ = true;
  }
  log_.Write("error", "rules-reload-failed", "",
             s.message() + " - still using the rules loaded at " + rules_.loaded_at,
             {{"error", s.message()}});
  Status logged = audit_->Append(
      {{"event", "rules_reload_failed"}, {"time", clock_.Now()}, {"error", s.message()}});
  if (!logged.ok()) log_.Write("error", "audit", "", logged.message());
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

void Watcher::AddWatchTree(const fs::path& rel) {
  if (inotify_fd_ < 0) return;
  fs::path dir = inbox_ / rel;
  const uint32_t mask = IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN | IN_MOVED_TO | IN_CREATE |
                        IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW;
  int wd = ::inotify_add_watch(inotify_fd_, dir.c_str(), mask);
  if (wd < 0) {
    log_.Write("warning", "watch", rel.string(),
               std::string("cannot watch this folder (") + std::strerror(errno) +
                   "); it is still scanned every few seconds");
    return;
  }
  watches_[wd] = rel;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (IgnoredName(it->path().filename().string())) continue;
    if (it->is_directory(ec) && !it->is_symlink(ec)) AddWatchTree(rel / it->path().filename());
  }
}

void Watcher::DrainEvents() {
  if (inotify_fd_ < 0) return;
  alignas(struct inotify_event) char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) return;  // EAGAIN: nothing more for now
    for (char* p = buf; p < buf + n;) {
      auto* ev = reinterpret_cast<struct inotify_event*>(p);
      p += sizeof(struct inotify_event) + ev->len;
      if (ev->mask & IN_Q_OVERFLOW) {
        open_handles_.clear();  // events were lost: the settle time decides again
        ScanTree({}, false);
        continue;
      }
      if (ev->mask & IN_IGNORED) {
        watches_.erase(ev->wd);
        continue;
      }
      auto w = watches_.find(ev->wd);
      if (w == watches_.end() || ev->len == 0) continue;
      std::string name = ev->name;
      if (IgnoredName(name)) continue;
      fs::path rel = w->second / name;
      if (ev->mask & IN_ISDIR) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
          AddWatchTree(rel);
          ScanTree(rel, (ev->mask & IN_MOVED_TO) != 0);
        }
        continue;
      }
      if (ev->mask & IN_OPEN) ++open_handles_[rel];
      if (ev->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) {
        auto h = open_handles_.find(rel);
        if (h != open_handles_.end() && --h->second <= 0) open_handles_.erase(h);
      }
      Note(rel, (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0);
    }
  }
}

// Notes every file under inbox/rel (the whole inbox when rel is empty).
void Watcher::ScanTree(const fs::path& rel, bool closed) {
  std::error_code ec;
  auto it = fs::recursive_directory_iterator(inbox_ / rel,
                                             fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::end(it); it.increment(ec)) {
    const fs::path& p = it->path();
    if (IgnoredName(p.filename().string())) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    fs::path r = p.lexically_relative(inbox_);
    if (it->is_symlink(ec)) {
      if (reported_links_.insert(r.string()).second) {
        log_.Write("warning", "skipped", r.string(),
                   "symbolic link, not followed (copy the file itself into the inbox)");
      }
      continue;
    }
    if (it->is_regular_file(ec)) Note(r, closed);
  }
}

void Watcher::Note(const fs::path& rel, bool closed) {
  if (IgnoredPath(rel)) return;
  struct stat st {};
  if (::lstat((inbox_ / rel).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    candidates_.erase(rel);
    open_handles_.erase(rel);
    return;
  }
  const int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  auto [it, inserted] = candidates_.try_emplace(rel);
  Candidate& c = it->second;
  if (inserted || c.size != uintmax_t(st.st_size) || c.mtime_ns != mtime) {
    if (inserted) status_dirty_ = true;
    c.size = uintmax_t(st.st_size);
    c.mtime_ns = mtime;
    c.changed = Clock::now();
    c.closed = closed;
  } else if (closed) {
    c.closed = true;
  }
}

void Watcher::ClaimReady() {
  const auto now = Clock::now();
  const auto settle = std::chrono::milliseconds(int64_t(config_.settle_seconds * 1000));
  std::vector<fs::path> ready;
  // Picks up changes inotify did not report (or cannot, e.g. on NFS). Note may drop a
  // candidate whose file went away, so it walks a copy of the names.
  std::vector<fs::path> names;
  for (const auto& entry : candidates_) names.push_back(entry.first);
  for (const fs::path& rel : names) Note(rel, false);
  for (auto& [rel, c] : candidates_) {
    if (open_handles_.count(rel)) continue;  // someone still has it open: wait for the close
    if (now - c.changed < (c.closed ? std::chrono::milliseconds(kClosedQuiet) : settle)) continue;
    // Settled by time alone (its writer opened it before this daemon saw it: a restart, NFS),
    // or closed and quiet: still not taken while anyone has it open for writing.
    if (OpenForWriting(inbox_ / rel)) {
      c.changed = now;
      continue;
    }
    ready.push_back(rel);
  }
  std::vector<std::string> due;  // documents the machine refused, whose wait is over
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = retry_at_.begin(); it != retry_at_.end();) {
      if (now < it->second) {
        ++it;
        continue;
      }
      due.push_back(it->first);
      it = retry_at_.erase(it);
    }
  }
  for (const std::string& rel : due) {
    log_.Write("info", "retry", rel, "trying again");
    Enqueue(rel, false);
  }
  for (const fs::path& rel : ready) {
    if (Stopping()) break;
    fs::path to = work_ / rel;
    std::error_code ec;
    if (fs::exists(to, ec)) continue;  // the same name is still being processed: wait for it
    fs::create_directories(to.parent_path(), ec);
    if (::rename((inbox_ / rel).c_str(), to.c_str()) != 0) {
      const int err = errno;
      if (err == ENOENT) {
        candidates_.erase(rel);
        claim_refused_.erase(rel);
      } else {
        // Said once, in the log and in status.json, not at every settle period: a staff
        // folder made with the default umask (not group-writable) keeps the file out until
        // someone mends it.
        if (claim_refused_.insert(rel).second) {
          const std::string why =
              std::string("cannot move it into the work folder: ") + std::strerror(err) +
              (err == EACCES || err == EPERM
                   ? " - its folder " + (inbox_ / rel).parent_path().string() +
                         " must be writable by the daemon's group (a folder made with the "
                         "default umask is not): chmod g+w it, or make folders with mkdir -m "
                         "2770"
                   : " (check the daemon may write in the inbox)");
          log_.Write("error", "claim", rel.string(), why);
          std::lock_guard<std::mutex> lock(mu_);
          last_error_ = {
              {"input", rel.string()}, {"stage", "claim"}, {"error", why}, {"time", clock_.Now()}};
          status_dirty_ = true;
        }
        candidates_[rel].changed = now;  // try again after another settle period
      }
      continue;
    }
    claim_refused_.erase(rel);
    run_.env->CrashPoint("claimed");
    candidates_.erase(rel);
    open_handles_.erase(rel);
    status_dirty_ = true;
    log_.Write("info", "queued", rel.string(), "");
    Enqueue(rel.string(), false);
  }
  if (waiting_.exchange(candidates_.size()) != candidates_.size()) status_dirty_ = true;
}

void Watcher::Enqueue(const std::string& rel, bool front) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!queued_.insert(rel).second) return;
    if (front) {
      queue_.push_front(rel);
    } else {
      queue_.push_back(rel);
    }
    status_dirty_ = true;
  }
  cv_.notify_one();
}

DocumentRecord Watcher::PoisonRecord(const InputFile& in, int attempts) const {
  DocumentRecord r = FailedRecord(
      in.path, in.relative, Stage::kProcess,
      Status::Poison(
          "processing this file stopped unexpectedly " + std::to_string(attempts - 1) +
              " times (the worker or the daemon died); it is set aside so it cannot stop the "
              "queue again",
          "The file is probably damaged or hostile. Print it to a new PDF and drop that in; if "
          "it is genuine, process it alone with redact batch and report the crash."));
  r.release_name = in.release;
  r.sidecar_name = in.sidecar;
  return r;
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

// Claimed, processed, published, recorded, archived: one input of the inbox, each step
// journalled in its ClaimIntent (claim.h) before the next changes OUT, so that a restart at any
// point carries on from where it stopped. Returns with the input still claimed when it waits
// (queued again, or tried again later).
void Watcher::Handle(const std::string& rel) {
  const auto started = Clock::now();
  std::shared_ptr<const DocumentRunner> runner;
  {
    std::lock_guard<std::mutex> lock(mu_);
    runner = rules_.runner;
  }
  auto loaded = LoadClaimIntent(IntentPath(rel).string(), rel);
  if (!loaded.ok()) {
    log_.Write("error", "journal", rel,
               loaded.status().message() + " - the file is processed again from the start");
  }
  ClaimIntent it = loaded.ok() ? *loaded : ClaimIntent{};
  it.input = rel;
  if (it.claim.empty()) it.claim = NewClaimId();
  if (it.step <= ClaimStep::kProcessing && !StepProcess(*runner, &it)) return;
  if (it.step == ClaimStep::kProcessed && !StepAttachments(*runner, &it)) return;
  if (it.step == ClaimStep::kPublished && !StepRecord(*runner, &it, started)) return;
  if (it.step == ClaimStep::kRecorded) StepArchive(&it);
}

fs::path Watcher::IntentPath(const std::string& rel) const { return attempts_ / Sha256Hex(rel); }

bool Watcher::SaveIntent(const ClaimIntent& it) {
  Status s = SaveClaimIntent(IntentPath(it.input).string(), it, run_.env);
  if (!s.ok()) {
    // Without its journal a crash could publish the input twice: nothing more is done with it
    // until the journal can be written.
    DocumentRecord r = FailedRecord((work_ / it.input).string(), it.input, Stage::kProcess, s);
    if (s.code() != Status::Code::kOutputUnavailable) {
      r.status = Status::OutputUnavailable(
          s.message(), "The daemon's state folder " + state_.string() + " must be writable.");
    }
    RetryLater(it.input, r);
    return false;
  }
  return true;
}

// What a run that stopped in kProcessing (or kProcessed, for `attachments_only`) may have
// published without a record: the names were reserved for this input alone, so whatever is
// under them is its own.
void Watcher::RollBack(const ClaimIntent& it, bool attachments_only) {
  if (it.release.empty()) return;
  std::error_code ec;
  for (const char* root : {"release", "review"}) {
    const fs::path dir = out_ / root;
    if (!attachments_only) {
      for (const std::string& name : {it.release, it.sidecar}) {
        if (!name.empty() && fs::remove(dir / name, ec)) {
          log_.Write("warning", "rolled-back", it.input,
                     std::string(root) + "/" + name + " was published without a record");
        }
      }
    }
    const fs::path folder = dir / ClaimIntent::AttachmentsFolder(it.release);
    if (fs::exists(folder, ec) && fs::remove_all(folder, ec) > 0) {
      log_.Write("warning", "rolled-back", it.input,
                 std::string(root) + "/" + ClaimIntent::AttachmentsFolder(it.release) +
                     "/ (its attachments, run again)");
    }
  }
}

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

// claimed -> processing -> processed: names reserved and journalled, then the document run.
bool Watcher::StepProcess(const DocumentRunner& runner, ClaimIntent* it) {
  const std::string& rel = it->input;
  Status named = Status::Ok();
  if (it->release.empty()) {
    std::optional<InputFile> reserved = ReserveReleaseName(rel, runner.matcher(), &named);
    if (!reserved) {
      // Its release would lie in the attachments folder of a message in progress, which is
      // emptied if that message has to be run again: it waits for the message.
      std::lock_guard<std::mutex> lock(mu_);
      retry_at_[rel] = Clock::now() + std::chrono::seconds(1);
      return false;
    }
    it->release = reserved->release;
    it->sidecar = reserved->sidecar;
    it->name_redactions = reserved->name_redactions;
  } else {
    RollBack(*it, /*attachments_only=*/false);
  }
  ++it->attempts;
  it->step = ClaimStep::kProcessing;
  if (!SaveIntent(*it)) return false;  // the intent record, before anything is published
  run_.env->CrashPoint("intent");
  const InputFile in = InputOf(*it);
  log_.Write("info", "started", rel,
             it->attempts > 1 ? "attempt " + std::to_string(it->attempts) : "");
  DocumentRecord record;
  if (!named.ok()) {
    // Nothing is released under a name the rules could not read: the file fails closed.
    record = FailedRecord(in.path, in.relative, Stage::kProcess, named);
  } else if (it->attempts > kMaxAttempts) {
    record = PoisonRecord(in, it->attempts);
  } else {
    record = runner.Process(in);
    run_.env->CrashPoint("published");
    if (record.worker_signal != 0) {
      if (it->attempts < kMaxAttempts) {
        log_.Write("warning", "worker-crashed", rel,
                   "signal " + std::to_string(record.worker_signal) + "; trying once more");
        Enqueue(rel, false);
        return false;
      }
      record = PoisonRecord(in, it->attempts + 1);
    }
  }
  record.release_name = in.release;
  record.sidecar_name = in.sidecar;
  record.name_redactions = in.name_redactions;
  if (record.disposition() == Disposition::kOutputFailed) {
    // Nothing was published: the input starts afresh once the machine takes outputs again.
    std::error_code ec;
    fs::remove(IntentPath(rel), ec);
    Unreserve(*it);
    RetryLater(rel, record);
    return false;
  }
  if (record.disposition() == Disposition::kQuarantined) {
    it->quarantine = PlanQuarantineName(rel);
  } else {
    const fs::path to = FreeName(out_ / "archive" / LocalDate(), rel);
    it->archive = to.lexically_relative(out_).string();
    record.archived = it->archive;
    record.source.path = to.string();  // where the report finds the original pages
  }
  it->record = DaemonRecordJson(record, it->quarantine);
  it->step = ClaimStep::kProcessed;
  if (!SaveIntent(*it)) return false;
  run_.env->CrashPoint("processed");
  return true;
}

// processed -> published: a message's attachments, each a document of its own, run (again,
// after a crash, their folder emptied first); then every record is final.
bool Watcher::StepAttachments(const DocumentRunner& runner, ClaimIntent* it) {
  DocumentRecord record = RecordFromDaemonJson(it->record);
  std::vector<DocumentRecord> attachments;
  if (!record.attachments.empty()) {
    if (it->attachment_runs > 0) RollBack(*it, /*attachments_only=*/true);
    ++it->attachment_runs;
    if (!SaveIntent(*it)) return false;
    if (it->attachment_runs > kMaxAttempts) {
      for (AttachmentRecord& a : record.attachments) {
        InputFile child = {a.path, a.input, {}, {}, {}};
        DocumentRecord r = PoisonRecord(child, it->attachment_runs);
        r.parent = record.source.relative;
        a.status = DispositionName(r.disposition());
        attachments.push_back(std::move(r));
      }
    } else {
      attachments = runner.ProcessAttachments(&record, InputOf(*it));
    }
  }
  it->attachments = json::array();
  for (const DocumentRecord& a : attachments) {
    const std::string q = a.disposition() == Disposition::kQuarantined
                              ? PlanQuarantineName(a.source.relative)
                              : std::string();
    it->attachments.push_back(DaemonRecordJson(a, q));
  }
  it->record = DaemonRecordJson(record, it->quarantine);
  it->step = ClaimStep::kPublished;
  if (!SaveIntent(*it)) return false;
  run_.env->CrashPoint("attachments-done");
  return true;
}

// published -> recorded: quarantine copies filed under their planned names (again, after a
// crash: the same files), then every record the audit does not hold yet appended.
bool Watcher::StepRecord(const DocumentRunner& runner, ClaimIntent* it, Clock::time_point started) {
  std::vector<DocumentRecord> records = {RecordFromDaemonJson(it->record)};
  std::vector<std::string> quarantine_names = {it->quarantine};
  for (const json& a : it->attachments) {
    records.push_back(RecordFromDaemonJson(a));
    quarantine_names.push_back(a.value("quarantine_name", ""));
  }
  for (size_t i = 0; i < records.size(); ++i) {
    DocumentRecord& r = records[i];
    if (r.disposition() != Disposition::kQuarantined) continue;
    Status filed = runner.File(&r, /*rerun=*/false, clock_, quarantine_names[i]);
    if (filed.code() == Status::Code::kOutputUnavailable) {
      // The quarantine could not be written: the same wait as for a refused release.
      r.status = filed;
      RetryLater(it->input, r);
      return false;
    }
    if (!filed.ok()) log_.Write("error", "quarantine", r.source.relative, filed.message());
    for (const OutputFile& o : r.outputs) {
      if (o.path.rfind("quarantine/", 0) == 0 && fs::path(o.path).extension() != ".json") {
        r.source.path = (out_ / o.path).string();
      }
    }
  }
  run_.env->CrashPoint("filed");
  const std::set<std::string> done = RecordedInputs(it->claim);
  records[0].seconds_total = std::chrono::duration<double>(Clock::now() - started).count();
  for (const DocumentRecord& r : records) {
    if (done.count(r.source.relative)) continue;  // appended before a crash
    json j = RecordJson(r, config_.job.audit_text, clock_, config_.job.audit_key);
    j["claim"] = it->claim;
    if (Status s = audit_->Append(std::move(j)); !s.ok()) {
      DocumentRecord failed = r;
      failed.status =
          Status::OutputUnavailable("cannot append to the audit log: " + s.message(), s.hint());
      RetryLater(it->input, failed);
      return false;
    }
  }
  it->step = ClaimStep::kRecorded;
  if (!SaveIntent(*it)) return false;
  run_.env->CrashPoint("recorded");
  for (const DocumentRecord& r : records) {
    Account(r.source.relative, r, r.seconds_total >= 0 ? r.seconds_total : 0);
  }
  KeepReviewFilesCurrent(records);
  return true;
}

// recorded -> archived: the input leaves work/ (for archive/, or, quarantined, removed: its
// copy is in quarantine/), and the journal goes.
void Watcher::StepArchive(ClaimIntent* it) {
  const std::string& rel = it->input;
  const fs::path claimed = work_ / rel;
  std::error_code ec;
  if (fs::exists(claimed, ec)) {
    Status moved = Status::Ok();
    if (!it->archive.empty()) {
      moved = MoveFile(claimed, out_ / it->archive);
    } else {
      const fs::path copy = out_ / "quarantine" / it->quarantine;
      if (fs::exists(copy, ec)) {
        fs::remove(claimed, ec);
      } else {
        moved = MoveFile(claimed, copy);  // a copy that failed: the input itself, then
      }
    }
    if (!moved.ok()) {
      log_.Write("error", "archive", rel,
                 moved.message() + " - the input stays in " + work_.string() +
                     " (recorded; only its archiving is tried again)");
      std::lock_guard<std::mutex> lock(mu_);
      retry_at_[rel] =
          Clock::now() + std::chrono::milliseconds(int64_t(config_.retry_seconds * 1000));
      return;
    }
  }
  run_.env->CrashPoint("archived");
  fs::remove(IntentPath(rel), ec);
  Unreserve(*it);
}

InputFile Watcher::InputOf(const ClaimIntent& it) const {
  // A message's attachments are written out under a folder of this claim's own: a second
  // message of the same name never replaces the first's (which its records point to).
  return {(work_ / it.input).string(),
          it.input,
          it.release,
          it.sidecar,
          it.name_redactions,
          (out_ / "attachments" / (it.input + "." + it.claim + ".attachments")).string()};
}

void Watcher::Unreserve(const ClaimIntent& it) {
  std::lock_guard<std::mutex> lock(mu_);
  reserved_.erase(it.release);
  reserved_.erase(it.sidecar);
  if (!it.release.empty()) reserved_.erase(ClaimIntent::AttachmentsFolder(it.release));
  quarantine_reserved_.erase(it.quarantine);
  for (const json& a : it.attachments) quarantine_reserved_.erase(a.value("quarantine_name", ""));
}

// The inputs whose records for `claim` the audit already holds (appended before a crash).
std::set<std::string> Watcher::RecordedInputs(const std::string& claim) const {
  std::set<std::string> inputs;
  std::ifstream f(audit_->path(), std::ios::binary);
  const std::string needle = "\"claim\":\"" + claim + "\"";
  for (std::string line; std::getline(f, line);) {
    if (line.find(needle) == std::string::npos) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.value("claim", "") == claim) inputs.insert(j.value("input", ""));
  }
  return inputs;
}

// The first free name under quarantine/ for `rel` (numbered past copies on disk and names
// planned by documents in progress), reserved until its input is done.
std::string Watcher::PlanQuarantineName(const std::string& rel) {
  const std::string base = QuarantineName(rel);
  std::lock_guard<std::mutex> lock(mu_);
  std::error_code ec;
  std::string name = base;
  for (int n = 2; quarantine_reserved_.count(name) || fs::exists(out_ / "quarantine" / name, ec) ||
                  fs::exists(out_ / "quarantine" / (name + ".error.json"), ec);
       ++n) {
    name = NumberedName(base, n);
  }
  quarantine_reserved_.insert(name);
  return name;
}

// The release name for `rel`: planned as a batch would, then numbered past any release, sidecar
// or attachments folder that exists or is reserved by another input in progress (its release,
// its sidecar and its attachments folder are reserved together). A release never replaces
// another: a second file of the same name (the same day or any other) releases as
// "name.2.pdf", as the archive keeps it. Nullopt: the release would lie inside the attachments
// folder of a message in progress, and must wait for it.
std::optional<InputFile> Watcher::ReserveReleaseName(const std::string& rel,
                                                     const RuleMatcher& matcher, Status* s) {
  std::vector<InputFile> one = {{(work_ / rel).string(), rel, {}, {}, {}}};
  *s = PlanReleaseNames(&one, matcher);
  const InputFile planned = one[0];
  InputFile in = planned;
  std::lock_guard<std::mutex> lock(mu_);
  std::error_code ec;
  for (fs::path up = fs::path(planned.release).parent_path(); !up.empty(); up = up.parent_path()) {
    if (reserved_.count(up.string())) return std::nullopt;
  }
  const auto exists = [&](const std::string& name) {
    return fs::exists(out_ / "release" / name, ec) || fs::exists(out_ / "review" / name, ec);
  };
  const auto taken = [&](const std::string& name) {
    return !name.empty() && (reserved_.count(name) || exists(name));
  };
  const auto folder_taken = [&](const std::string& folder) {
    // The folder itself, or any name reserved inside it.
    auto inside = reserved_.lower_bound(folder + "/");
    return taken(folder) || (inside != reserved_.end() && inside->rfind(folder + "/", 0) == 0);
  };
  for (int n = 2; taken(in.release) || taken(in.sidecar) ||
                  folder_taken(ClaimIntent::AttachmentsFolder(in.release));
       ++n) {
    NumberReleaseName(planned, n, &in);
  }
  reserved_.insert(in.release);
  if (!in.sidecar.empty()) reserved_.insert(in.sidecar);
  reserved_.insert(ClaimIntent::AttachmentsFolder(in.release));
  return in;
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

}  // namespace

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
