// One input from its claim to its release, a step at a time, each written to the claim journal
// first.
#include "pipeline/watch/watcher.h"

namespace redact::daemon {

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

}  // namespace redact::daemon
