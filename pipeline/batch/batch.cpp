#include "pipeline/batch/batch.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <mutex>
#include <ostream>
#include <set>
#include <sstream>
#include <thread>

#include "pipeline/audit/audit_log.h"
#include "pipeline/batch/inputs.h"
#include "pipeline/batch/isolation.h"
#include "pipeline/batch/job_options.h"
#include "pipeline/batch/office_pool.h"
#include "pipeline/batch/progress.h"
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
#include "pipeline/decide/decisions.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/report/report.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Whether `path` is a PNG, JPEG or TIFF, by its first bytes (as ingest decides, never by name).
bool IsImage(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;  // a FIFO would block the open
  std::ifstream in(path, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), std::streamsize(head.size()));
  head.resize(size_t(in.gcount()));
  SourceKind kind;
  return SniffKind(head, false, &kind) &&
         (kind == SourceKind::kPng || kind == SourceKind::kJpeg || kind == SourceKind::kTiff);
}

// Says a failed start on `err` as "redact batch: <what><message>" and its hint; returns its
// exit code.
int StartFailed(std::ostream& err, const std::string& what, const Status& s) {
  err << "redact batch: " << what << s.message() << "\n";
  if (!s.hint().empty()) err << "  " << s.hint() << "\n";
  return ExitCodeFor(s);
}

// Every file under the run's inputs; the skipped ones said on `err`.
std::vector<InputFile> CollectRunInputs(const JobConfig& config, std::ostream& err) {
  std::vector<std::string> skipped;
  std::vector<InputFile> inputs = CollectInputs(config.inputs, &skipped);
  for (const std::string& s : skipped) {
    if (!config.quiet) err << "skipped: " << s << "\n";
  }
  return inputs;
}

// Which of `all` this run (or this shard) processes, by index; `wanted`: how many --only leaves
// (all the shards' part). Release names are planned over all of `all` once the rules are
// loaded, so that each shard names a release as one run would.
std::vector<size_t> SelectInputs(const JobConfig& config, const std::vector<InputFile>& all,
                                 size_t* wanted) {
  const std::set<std::string> only(config.only.begin(), config.only.end());
  std::vector<size_t> out;
  *wanted = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!only.empty() && !only.count(all[i].relative)) continue;
    ++*wanted;
    if (config.shard_count > 1 && ShardOf(all[i], config.shard_count) != config.shard_index) {
      continue;
    }
    out.push_back(i);
  }
  return out;
}

json RunStartJson(const JobConfig& config, const RuleCatalog& catalog, int jobs, size_t documents,
                  size_t all_documents, const RecordClock& clock) {
  std::string decisions_sha;
  if (!config.decisions.empty()) {
    auto sha = Sha256File(config.decisions);
    if (sha.ok()) decisions_sha = *sha;
  }
  size_t rule_count = 0;
  json run_start = {{"event", "run_start"},
                    {"time", clock.Now()},
                    {"tool", "redact"},
                    {"version", kVersion},
                    {"inputs", config.inputs},
                    {"documents", documents},
                    {"rule_files", RuleFilesRecord(catalog, &rule_count)},
                    {"options", RecordedJobOptions(config)}};
  // What the table of options cannot say: the documents in parallel this run chose, which
  // decisions file's bytes, and which key.
  run_start["options"]["jobs"] = jobs;
  run_start["options"]["decisions_sha256"] = decisions_sha;
  run_start["options"]["audit_key_id"] = AuditKeyId(config.audit_key);
  if (config.shard_count > 1) {
    run_start["shard"] =
        std::to_string(config.shard_index) + "/" + std::to_string(config.shard_count);
    run_start["documents_all_shards"] = all_documents;
  }
  return run_start;
}

// What the documents of a run came to.
struct Tally {
  std::mutex mu;
  std::vector<DocumentRecord> records;  // findings only (no page info), for the review files
  size_t released = 0, waiting = 0, quarantined = 0, output_failed = 0;
  size_t pages = 0, redactions = 0, flags = 0;
  size_t inputs_done = 0;  // inputs processed, their attachments not counted
  size_t attachments = 0;  // documents that came attached to a message
  std::vector<std::string> failures, held;
  Status machine;  // the first failure of the machine (a full disk): the run stops there
  bool audit_failed = false;
  std::ofstream* log = nullptr;  // --log-file

  void Add(DocumentRecord record) {
    std::lock_guard<std::mutex> lock(mu);
    pages += size_t(record.pages);
    const std::string& rel = record.source.relative;
    switch (record.disposition()) {
      case Disposition::kReleased:
        ++released;
        break;
      case Disposition::kReview:
        ++waiting;
        held.push_back(rel + ": " + std::to_string(record.open_flags) + " flag(s) to decide");
        break;
      case Disposition::kQuarantined:
        ++quarantined;
        failures.push_back(rel + ": " + StageName(record.stage) + ": " + record.status.message());
        break;
      case Disposition::kOutputFailed:
        ++output_failed;
        if (machine.ok()) machine = record.status;
        break;
    }
    if (record.status.ok()) {
      redactions += record.redactions();
      flags += record.flags();
    }
    if (record.parent.empty()) {
      ++inputs_done;
    } else {
      ++attachments;
    }
    record.page_info.clear();
    record.hidden.clear();
    records.push_back(std::move(record));
  }
};

// Every input through `runner` on `jobs` threads, each record filed, audited and tallied.
// Stops starting documents when `stop` is set or the machine fails.
void RunDocuments(const std::vector<InputFile>& inputs, const DocumentRunner& runner, int jobs,
                  const JobConfig& config, AuditLog* audit, const RecordClock& clock,
                  const RunEnvironment& run, std::ostream& err, Tally* tally) {
  Progress progress(inputs.size(), !config.quiet);
  std::atomic<size_t> next{0};
  std::atomic<bool> machine_failed{false};
  auto worker = [&] {
    while (!(run.stop && run.stop->load()) && !machine_failed.load()) {
      const size_t i = next.fetch_add(1);
      if (i >= inputs.size()) return;
      const std::string& name = inputs[i].relative;
      std::vector<DocumentRecord> records = {runner.Process(
          inputs[i],
          [&](int read, int rendered, int total) { progress.Pages(name, read, rendered, total); })};
      progress.Forget(name);
      for (DocumentRecord& a : runner.ProcessAttachments(&records[0], inputs[i])) {
        records.push_back(std::move(a));
      }
      progress.AddDocuments(records.size() - 1);
      // The message first (with what became of each attachment), then its attachments.
      for (DocumentRecord& record : records) {
        if (Status s = runner.File(&record, /*rerun=*/true, clock); !s.ok()) {
          std::lock_guard<std::mutex> lock(tally->mu);
          err << "redact batch: cannot quarantine " << record.source.relative << ": " << s.message()
              << "\n";
        }
        if (record.decided()) record.reviewer = config.reviewer;
        const Disposition d = record.disposition();
        if (d == Disposition::kOutputFailed) machine_failed = true;
        if (Status s =
                audit->Append(RecordJson(record, config.audit_text, clock, config.audit_key));
            !s.ok()) {
          // A release without its audit record is not to be repeated for every document left.
          std::lock_guard<std::mutex> lock(tally->mu);
          tally->audit_failed = true;
          if (s.code() == Status::Code::kOutputUnavailable) {
            if (tally->machine.ok()) tally->machine = s;
            machine_failed = true;
          }
        }
        progress.DocumentDone(record.pages,
                              d == Disposition::kQuarantined || d == Disposition::kOutputFailed);
        if (config.verbose || tally->log) {
          std::ostringstream line;
          line << (d == Disposition::kReleased       ? "released    "
                   : d == Disposition::kReview       ? "waiting     "
                   : d == Disposition::kOutputFailed ? "not stored  "
                                                     : "quarantined ")
               << record.source.relative << " (" << record.pages << " pages, "
               << record.redactions() << " redactions, " << record.flags() << " flags";
          if (!record.status.ok()) line << "; " << record.status.message();
          line << ")";
          if (config.verbose) progress.Print(line.str());
          if (tally->log) {
            std::lock_guard<std::mutex> lock(tally->mu);
            *tally->log << clock.Now() << " " << line.str() << "\n";
            tally->log->flush();
          }
        }
        tally->Add(std::move(record));
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min<int>(jobs, std::max<size_t>(1, inputs.size())); ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) t.join();
  progress.Finish();
}

void PrintSummary(const Tally& t, size_t documents, size_t rule_count, double secs,
                  const JobConfig& config, std::ostream& out) {
  const fs::path root(config.out);
  out << "redact: " << t.released << " released, " << t.waiting << " waiting for a decision, "
      << t.quarantined << " quarantined of " << documents << " documents (" << t.pages << " pages, "
      << t.redactions << " redactions, " << t.flags << " flags, " << rule_count << " rules) in "
      << std::fixed << std::setprecision(1) << secs << " s\n";
  out << "  release:    " << (root / "release").string() << "\n";
  out << "  audit:      " << (root / "audit" / "audit.jsonl").string() << "\n";
  if (!config.rules.empty()) {
    // --rules replaces the shipped packs; say so, since a user adding a rule of their own
    // may well expect it to come on top of them.
    const std::vector<std::string> shipped = DefaultRulePaths();
    const bool kept = std::any_of(config.rules.begin(), config.rules.end(), [&](const auto& r) {
      std::error_code ec;
      return std::any_of(shipped.begin(), shipped.end(), [&](const std::string& d) {
        return fs::equivalent(r, d, ec) || fs::path(r).lexically_normal().string().rfind(
                                               fs::path(d).lexically_normal().string(), 0) == 0;
      });
    });
    if (!kept) {
      out << "  rules:      only those of --rules (the shipped packs are not loaded when --rules "
             "is given; add --rules "
          << (shipped.empty() ? "" : shipped.front()) << " to use them too)\n";
    }
  }
  out << "  review:     " << (root / "audit" / "report.html").string()
      << " (with decisions.toml, schedule.csv)\n";
  if (t.waiting) {
    out << "  waiting:    " << (root / "review").string()
        << " (would-be releases; decide their flags in decisions.toml, then run again with"
           " --decisions)\n";
  }
  if (t.quarantined) {
    out << "  quarantine: " << (root / "quarantine").string()
        << " (each file has a .error.json saying why)\n";
  }
}

// What the reviewer's decisions did in this run: findings decided one by one or in bulk, and
// the reviewer's own redactions, with who decided.
json AppliedJson(const std::vector<DocumentRecord>& records, const std::string& reviewer) {
  int keep = 0, redact = 0, text = 0, area = 0, page = 0;
  std::set<std::string> who;
  for (const DocumentRecord& r : records) {
    for (const Finding& f : r.findings) {
      if (f.decision.empty()) continue;
      if (!f.decided_by.empty()) who.insert(f.decided_by);
      if (f.rule_id == "manual.text") {
        ++text;
      } else if (f.rule_id == "manual.area") {
        ++area;
      } else if (f.rule_id == "manual.page") {
        ++page;
      } else {
        ++(f.decision == "keep" ? keep : redact);
      }
    }
  }
  if (who.empty() && !reviewer.empty() && keep + redact + text + area + page > 0) {
    who.insert(reviewer);
  }
  return {{"keep", keep},        {"redact", redact},    {"manual_text", text},
          {"manual_area", area}, {"manual_page", page}, {"reviewers", who}};
}

void PrintDecisions(const json& a, size_t stale, const JobConfig& config, std::ostream& out) {
  const int findings = a["keep"].get<int>() + a["redact"].get<int>();
  const int manual =
      a["manual_text"].get<int>() + a["manual_area"].get<int>() + a["manual_page"].get<int>();
  if (config.decisions.empty()) return;
  out << "  decisions:  " << findings << " findings decided (" << a["keep"].get<int>() << " kept, "
      << a["redact"].get<int>() << " redacted), " << manual << " redactions of the reviewer's own ("
      << a["manual_text"].get<int>() << " text, " << a["manual_area"].get<int>() << " area, "
      << a["manual_page"].get<int>() << " pages withheld)";
  std::string who;
  for (const auto& w : a["reviewers"]) who += (who.empty() ? "" : ", ") + w.get<std::string>();
  out << (who.empty() ? "; no --reviewer named" : " by " + who) << "\n";
  if (stale) {
    out << "  stale:      " << stale
        << " decisions whose finding is no longer found (listed in the audit's run_end)\n";
  }
}

}  // namespace

json RuleFilesRecord(const RuleCatalog& catalog, size_t* rule_count) {
  json files = json::array();
  *rule_count = 0;
  for (const RuleSet& rs : catalog.sets) {
    files.push_back(
        {{"id", rs.id}, {"path", rs.path}, {"sha256", rs.sha256}, {"rules", rs.rules.size()}});
    *rule_count += rs.rules.size();
  }
  return files;
}

int RunBatch(const JobConfig& config, std::ostream& out, std::ostream& err,
             const RunEnvironment& run) {
  const RecordClock clock(run.env, config.deterministic);
  // Start: options, inputs, rules, decisions, then OUT and its audit log.
  if (Status s = CheckRunConfig(config); !s.ok()) return StartFailed(err, "", s);
  ShareOutWithItsGroup(config.out);
  std::vector<InputFile> collected = CollectRunInputs(config, err);
  size_t all_inputs = 0;
  const std::vector<size_t> selected = SelectInputs(config, collected, &all_inputs);
  // Each --only names a document that is there: one that is not would be a run that does
  // nothing and says it succeeded.
  for (const std::string& only : config.only) {
    if (std::none_of(selected.begin(), selected.end(),
                     [&](size_t i) { return collected[i].relative == only; })) {
      err << "redact batch: --only " << only << ": no such document under the inputs (give its "
          << "path under IN, as the audit names it)\n";
      return kExitBadArguments;
    }
  }
  const int jobs =
      config.jobs > 0 ? config.jobs : int(std::max(1u, std::thread::hardware_concurrency()));
  // What a killed run left in OUT (half-written files, LibreOffice's folders), then
  // LibreOffice kept running, one per slot, started first (loading the rules takes a while
  // too) when Office documents or messages are among the inputs.
  RemoveDeadTemps(config.out);
  OfficePool office(jobs, config.max_memory_bytes, SelfExecutable(),
                    (fs::path(config.out) / "attachments").string());
  const bool keep_office = config.isolate && !config.libreoffice_per_document;
  if (keep_office) {
    int need = 0;
    for (size_t i = 0; i < selected.size() && need < jobs; ++i) {
      need += NeedsLibreOffice(collected[selected[i]].path);
    }
    office.Prewarm(need);
  }
  const std::vector<std::string> rule_paths = RulePathsOf(config);
  auto catalog = LoadRules(rule_paths);
  if (!catalog.ok()) return StartFailed(err, "invalid rules: ", catalog.status());
  // Every release path read by the rules: names in file and folder names are redacted too.
  if (Status s = PlanReleaseNames(&collected, *catalog->matcher); !s.ok()) {
    return StartFailed(err, "cannot read the inputs' names with the rules: ", s);
  }
  // A numbered name the daemon gave (never any other name: a name is redacted as planned).
  for (InputFile& in : collected) {
    auto as = config.release_as.find(in.relative);
    if (as == config.release_as.end() || as->second == in.release) continue;
    const InputFile planned = in;
    for (int n = 2; n < 100000 && in.release != as->second; ++n) {
      NumberReleaseName(planned, n, &in);
    }
    if (in.release != as->second) {
      err << "redact batch: --release-as " << in.relative << "=" << as->second
          << ": not a numbered form of its release name " << planned.release << "\n";
      return kExitBadArguments;
    }
  }
  std::vector<InputFile> inputs;
  for (size_t i : selected) inputs.push_back(collected[i]);
  DecisionSet decisions;
  if (!config.decisions.empty()) {
    auto loaded = LoadDecisions(config.decisions);
    if (!loaded.ok()) {
      StartFailed(err, "--decisions: ", loaded.status());
      return kExitBadArguments;
    }
    decisions = std::move(*loaded);
  }
  // What the review file keeps: the decisions applied, or without --decisions the reviewer's
  // file already in OUT (merged forward, never overwritten by a run that did not read it).
  const std::string review_file = (fs::path(config.out) / "audit" / "decisions.toml").string();
  DecisionSet previous = decisions;
  bool keep_review_file = false;  // OUT's file could not be read: left as it is
  if (config.decisions.empty() && fs::exists(review_file)) {
    auto loaded = LoadDecisions(review_file);
    if (loaded.ok()) {
      previous = std::move(*loaded);
    } else {
      keep_review_file = true;
      err << "redact batch: " << loaded.status().message()
          << "; left as it is (this run's entries go to " << review_file << ".new)\n";
    }
  }
  // The log's records kept for the report (verified as the log is opened, then appended).
  auto audit = OpenRunOutput(config.out, {"release", "audit", "quarantine"}, run.env, config.report,
                             config.audit_key);
  if (!audit.ok()) return StartFailed(err, "", audit.status());

  Status started_ok =
      (*audit)->Append(RunStartJson(config, *catalog, jobs, inputs.size(), all_inputs, clock));
  if (!started_ok.ok()) return StartFailed(err, "cannot write the audit log: ", started_ok);

  // Fewer documents than workers: the spare cores work on pages of the same document.
  const int page_jobs =
      std::max(1, jobs / int(std::max<size_t>(1, std::min<size_t>(inputs.size(), size_t(jobs)))));
  const DocumentRunner runner(config, rule_paths, catalog->matcher,
                              config.decisions.empty() ? nullptr : &decisions, page_jobs, run.env,
                              keep_office ? &office : nullptr, inputs.size() == 1);
  // Image files are OCR'd: the workers' zygote loads Tesseract's model once, now (for PDFs it
  // does so after the first that needed OCR).
  if (std::any_of(inputs.begin(), inputs.end(),
                  [](const InputFile& in) { return IsImage(in.path); })) {
    runner.PreloadOcr();
  }
  Tally tally;
  std::ofstream log_file;
  if (!config.log_file.empty()) {
    log_file.open(config.log_file, std::ios::app);
    if (!log_file) {
      err << "redact batch: --log-file " << config.log_file << " cannot be written\n";
      return kExitOutputNotWritable;
    }
    log_file << clock.Now() << " run started: " << inputs.size() << " documents into " << config.out
             << "\n";
    tally.log = &log_file;
  }
  const auto started = std::chrono::steady_clock::now();
  RunDocuments(inputs, runner, jobs, config, audit->get(), clock, run, err, &tally);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool interrupted = run.stop && run.stop->load();

  // End: review files, the run's last record, the report, the summary.
  const std::vector<std::string> stale = StaleDecisions(tally.records, decisions);
  Status rs = Status::Ok();
  {
    // OUT's file again, as it is now, under the lock its other writers take (the daemon,
    // a reviewer's page): what they wrote while this run ran is merged, not lost.
    const FileLock lock((fs::path(config.out) / "audit").string());
    std::error_code ec;
    if (!keep_review_file && fs::exists(review_file, ec) &&
        (config.decisions.empty() || fs::equivalent(config.decisions, review_file, ec))) {
      if (auto now = LoadDecisions(review_file); now.ok()) previous = std::move(*now);
    }
    // The daemon's OUT (it keeps an archive): a reviewer's apply must not take another
    // file of the same name for an earlier version of this one.
    const bool daemons_out = fs::is_directory(fs::path(config.out) / "archive", ec);
    rs = WriteReviewFiles(config.out, tally.records, previous, config.audit_text, run.env,
                          keep_review_file ? ".new" : "", daemons_out);
  }
  const json applied = AppliedJson(tally.records, config.reviewer);
  if (!rs.ok()) err << "redact batch: " << rs.message() << "\n";
  Status end = (*audit)->Append({{"event", "run_end"},
                                 {"time", clock.Now()},
                                 {"documents", inputs.size()},
                                 {"released", tally.released},
                                 {"waiting_for_review", tally.waiting},
                                 {"quarantined", tally.quarantined},
                                 {"output_failed", tally.output_failed},
                                 {"attachments", tally.attachments},
                                 {"not_started", inputs.size() - tally.inputs_done},
                                 {"pages", tally.pages},
                                 {"redactions", tally.redactions},
                                 {"flags", tally.flags},
                                 {"seconds", clock.Seconds(secs)},
                                 {"interrupted", interrupted},
                                 {"stale_decisions", stale},
                                 {"decisions_applied", applied}});
  if (!end.ok()) {
    err << "redact batch: the audit log's run_end record: " << end.message() << "\n";
    tally.audit_failed = true;
  }
  if (config.report) {
    ReportOptions report;
    report.out_root = config.out;
    Status rep = WriteReport((*audit)->TakeRecords(),
                             (fs::path(config.out) / "audit" / "report.html").string(), report);
    if (!rep.ok()) {
      err << "redact batch: the review report could not be written: " << rep.message() << "\n";
    }
  }
  size_t rule_count = 0;
  RuleFilesRecord(*catalog, &rule_count);
  if (!config.quiet && !config.json_summary) {
    PrintSummary(tally, inputs.size() + tally.attachments, rule_count, secs, config, out);
    PrintDecisions(applied, stale.size(), config, out);
  }
  std::sort(tally.failures.begin(), tally.failures.end());
  std::sort(tally.held.begin(), tally.held.end());
  for (const std::string& f : tally.failures) err << "quarantined: " << f << "\n";
  if (!config.quiet) {
    for (const std::string& h : tally.held) err << "waiting for a decision: " << h << "\n";
  }
  for (const std::string& d : stale) {
    err << "decision no longer matches a finding (document fingerprint): " << d << "\n";
  }

  // The exit code: the machine's failures first, then the documents'.
  int rc = tally.quarantined ? kExitSomeFailed : tally.waiting ? kExitWaitingForReview : kExitOk;
  if (!tally.machine.ok()) {
    StartFailed(err, "stopped: ", tally.machine);
    err << "  " << inputs.size() - tally.inputs_done << " document(s) not started; the inputs are "
        << "untouched: run the same command again once fixed.\n";
    rc = kExitOutputNotWritable;
  } else if (tally.audit_failed) {
    err << "redact batch: some audit records could not be written\n";
    rc = kExitOutputNotWritable;
  } else if (interrupted) {
    err << "redact batch: interrupted; documents not started were left alone\n";
    rc = kExitInterrupted;
  }
  if (tally.log) {
    *tally.log << clock.Now() << " run ended (exit " << rc << "): " << tally.released
               << " released, " << tally.waiting << " waiting for a decision, " << tally.quarantined
               << " quarantined, " << tally.pages << " pages, " << tally.redactions
               << " redactions\n";
  }
  if (config.json_summary) {
    // The summary for scripts: one JSON object on standard output, nothing else there.
    const fs::path root(config.out);
    json quarantined = json::array(), waiting = json::array();
    for (const std::string& f : tally.failures) quarantined.push_back(f);
    for (const std::string& h : tally.held) waiting.push_back(h);
    out << json{{"exit_code", rc},
                {"documents", inputs.size() + tally.attachments},
                {"released", tally.released},
                {"waiting_for_review", tally.waiting},
                {"quarantined", tally.quarantined},
                {"not_started", inputs.size() - tally.inputs_done},
                {"pages", tally.pages},
                {"redactions", tally.redactions},
                {"flags", tally.flags},
                {"rules", rule_count},
                {"seconds", std::round(secs * 100) / 100},
                {"interrupted", interrupted},
                {"out", config.out},
                {"release", (root / "release").string()},
                {"review", (root / "review").string()},
                {"audit", (root / "audit" / "audit.jsonl").string()},
                {"report", config.report ? (root / "audit" / "report.html").string() : ""},
                {"quarantined_inputs", quarantined},
                {"waiting_inputs", waiting},
                {"stale_decisions", stale},
                {"decisions_applied", applied}}
               .dump(-1, ' ', false, json::error_handler_t::replace)
        << "\n";
  }
  return rc;
}

}  // namespace redact
