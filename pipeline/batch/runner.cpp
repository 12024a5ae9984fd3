#include "pipeline/batch/runner.h"

#include <filesystem>

#include "pipeline/batch/document.h"
#include "pipeline/batch/isolation.h"
#include "pipeline/batch/kept_text.h"
#include "pipeline/batch/quarantine.h"
#include "pipeline/batch/release_names.h"
#include "pipeline/batch/worker.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Removes the temp files a killed worker left beside the release it was writing (or its
// Office work folder, in OUT/attachments).
void RemoveWorkerTemps(const std::string& root, const std::string& relative, pid_t pid) {
  std::error_code ec;
  fs::path dir = (fs::path(root) / relative).parent_path();
  const std::string marker = ".tmp." + std::to_string(pid) + ".";
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.' && name.find(marker) != std::string::npos) {
      fs::remove_all(it->path(), ec);  // a file, or an Office work folder
    }
  }
}

// What to say about a worker that did not come back with a record.
Status WorkerFailure(const ChildOutcome& child, const JobConfig& config) {
  if (child.timed_out) {
    return Status::TooLarge(
        "processing took longer than " + std::to_string(int(config.timeout_seconds)) +
            " s and was stopped",
        "The file may be damaged or built to exhaust readers. If it is genuine and large, run "
        "again with a larger --timeout.");
  }
  if (child.signal == 0 && child.exit_code == kWorkerOutOfMemoryExit) {
    return Status::TooLarge("the document reader ran out of memory (limit " +
                                std::to_string(config.max_memory_bytes >> 20) + " MB)",
                            "The file may be built to exhaust readers. If it is genuine, run "
                            "again with a larger --max-memory-mb.");
  }
  if (child.signal != 0) {
    return Status::Engine(
        "the document reader crashed (signal " + std::to_string(child.signal) + ")",
        "The file is probably damaged; print it to a new PDF and submit that.");
  }
  return Status::Engine("the document worker failed (exit " + std::to_string(child.exit_code) +
                            ") - it may have run out of memory (limit " +
                            std::to_string(config.max_memory_bytes >> 20) + " MB)",
                        "If the file is genuine, run again with a larger --max-memory-mb.");
}

}  // namespace

DocumentRunner::DocumentRunner(const JobConfig& config, std::vector<std::string> rule_paths,
                               std::shared_ptr<const RuleMatcher> matcher,
                               const DecisionSet* decisions, int page_jobs, Env* env,
                               OfficePool* office, bool one_document)
    : config_(config),
      matcher_(std::move(matcher)),
      decisions_(decisions),
      env_(env),
      office_(office) {
  config_.page_jobs = std::max(1, page_jobs);
  config_.rules = std::move(rule_paths);
  self_ = SelfExecutable();
  release_root_ = (fs::path(config.out) / "release").string();
  if (config_.isolate && !self_.empty() && !one_document) {
    zygote_ = WorkerZygote::Start({self_, "__zygote"}, WorkerPreload(config_, false));
  }
}

DocumentRecord DocumentRunner::Process(const InputFile& in,
                                       const std::function<void(int, int, int)>& on_pages) const {
  DocumentRecord record =
      config_.isolate && !self_.empty() ? ProcessInWorker(in, on_pages) : ProcessHere(in, on_pages);
  record.release_name = in.release;
  record.sidecar_name = in.sidecar;
  record.name_redactions = in.name_redactions;
  return record;
}

std::vector<DocumentRecord> DocumentRunner::ProcessAttachments(DocumentRecord* message,
                                                               const InputFile& in,
                                                               int depth) const {
  constexpr int kMaxDepth = 5;
  std::vector<DocumentRecord> out;
  const std::string base = fs::path(in.release).replace_extension("").string() + ".attachments/";
  // Planned together, so that "plan.docx" and "plan.pdf" of one message never share a release;
  // their names redacted as the message's text and name were ("Witness statement Tom Reid.txt"
  // of a message that redacts "Tom Reid").
  std::vector<InputFile> planned;
  for (const AttachmentRecord& a : message->attachments)
    planned.push_back({a.path, a.name, {}, {}, {}});
  std::vector<KnownRedaction> known;
  for (const std::string& s : RedactedStrings(message->findings)) known.push_back({s, "", ""});
  for (KnownRedaction& k : known) {
    for (const Finding& f : message->findings) {
      if (f.action == Action::kRedact && (f.text == k.text || f.whole == k.text)) {
        k.rule_id = f.rule_id;
        k.exemption = f.exemption;
        break;
      }
    }
  }
  if (Status s = PlanReleaseNames(&planned, *matcher_, known, {message->source.relative});
      !s.ok()) {
    // Nothing is released under a name that was not read: each attachment fails closed.
    for (AttachmentRecord& a : message->attachments) {
      DocumentRecord record = FailedRecord(a.path, a.input, Stage::kProcess, s);
      record.parent = message->source.relative;
      a.status = DispositionName(record.disposition());
      out.push_back(std::move(record));
    }
    return out;
  }
  for (size_t i = 0; i < message->attachments.size(); ++i) {
    AttachmentRecord& a = message->attachments[i];
    if (depth > kMaxDepth) {
      a.status = "not processed: attached messages nest more than 5 deep";
      continue;
    }
    InputFile child = {a.path, a.input, base + planned[i].release,
                       planned[i].sidecar.empty() ? "" : base + planned[i].sidecar,
                       planned[i].name_redactions};
    DocumentRecord record = Process(child);
    if (env_) env_->CrashPoint("attachment");  // published, not yet recorded
    record.parent = message->source.relative;
    a.status = DispositionName(record.disposition());
    std::vector<DocumentRecord> nested = ProcessAttachments(&record, child, depth + 1);
    out.push_back(std::move(record));
    for (DocumentRecord& r : nested) out.push_back(std::move(r));
  }
  return out;
}

DocumentRecord DocumentRunner::ProcessHere(
    const InputFile& in, const std::function<void(int, int, int)>& on_pages) const {
  DocumentContext ctx;
  ctx.on_pages = on_pages;
  ctx.config = &config_;
  ctx.matcher = matcher_;
  ctx.release_root = release_root_;
  ctx.decisions = decisions_;
  ctx.release_name = in.release;
  ctx.sidecar_name = in.sidecar;
  ctx.attachments_dir = in.attachments_dir;
  ctx.env = env_;
  return ProcessFile(in.path, in.relative, ctx);
}

DocumentRecord DocumentRunner::ProcessInWorker(
    const InputFile& in, const std::function<void(int, int, int)>& on_pages) const {
  // An Office document or a message borrows the slot's LibreOffice for its conversions.
  OfficeLease office(office_ != nullptr && NeedsLibreOffice(in.path) ? office_ : nullptr);
  const json job = WorkerJobJson({in, config_.out, config_, office.handle()});
  auto progress = [&](const std::string& line) {
    int read = 0, rendered = 0, total = 0;
    if (on_pages && std::sscanf(line.c_str(), "pages %d %d %d", &read, &rendered, &total) == 3) {
      on_pages(read, rendered, total);
    }
  };
  bool forked = false;
  ChildOutcome child;
  if (zygote_) {
    child = zygote_->Run(job.dump(), config_.timeout_seconds, config_.max_memory_bytes, progress,
                         &forked);
  }
  if (!forked) {
    child = RunIsolated({self_, "__document"}, job.dump(), config_.timeout_seconds,
                        config_.max_memory_bytes, progress);
  }
  office.set_healthy(!child.timed_out && child.exit_code == 0);
  if (!child.timed_out && child.exit_code == 0) {
    auto record = ParseWireRecord(json::parse(child.output, nullptr, false));
    if (record.ok()) {
      for (const PageInfo& p : record->page_info) {
        if (p.source == PageSource::kOcr || p.source == PageSource::kBoth) PreloadOcr();
      }
      return std::move(*record);
    }
    return FailedRecord(in.path, in.relative, Stage::kProcess, record.status());
  }
  RemoveWorkerTemps(release_root_, in.release, child.pid);
  RemoveWorkerTemps((fs::path(config_.out) / "review").string(), in.release, child.pid);
  RemoveWorkerTemps((fs::path(config_.out) / "attachments").string(), "office", child.pid);
  DocumentRecord record =
      FailedRecord(in.path, in.relative, Stage::kProcess, WorkerFailure(child, config_));
  // A worker stopped for its time limit was killed by us: a timeout, not a crash to retry.
  if (!child.timed_out) record.worker_signal = child.signal;
  return record;
}

void DocumentRunner::PreloadOcr() const {
  if (zygote_ && config_.ocr != OcrMode::kNever && !ocr_preloaded_.exchange(true)) {
    zygote_->Send(WorkerPreload(config_, true));
  }
}

Status DocumentRunner::File(DocumentRecord* record, bool rerun, const RecordClock& clock,
                            const std::string& quarantine_name) const {
  switch (record->disposition()) {
    case Disposition::kReleased:
    case Disposition::kReview:
      if (rerun) ClearEarlierRuns(*record, config_.out, env_);
      return Status::Ok();
    case Disposition::kOutputFailed:
      return Status::Ok();
    case Disposition::kQuarantined:
      break;
  }
  return Quarantine(record, config_.out, rerun, env_, clock, quarantine_name);
}

}  // namespace redact
