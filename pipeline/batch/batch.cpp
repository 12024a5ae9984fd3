#include "pipeline/batch/batch.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <thread>
#include <tuple>

#include "pipeline/audit/audit_log.h"
#include "pipeline/batch/document.h"
#include "pipeline/batch/isolation.h"
#include "pipeline/batch/progress.h"
#include "pipeline/core/build_info.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"
#include "pipeline/decide/decisions.h"
#include "pipeline/extract/ocr.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/report/report.h"
#include "pipeline/rules/rule_loader.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

std::atomic<bool> g_interrupted{false};

namespace {

bool IsWithin(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin(), o = outer.begin();
  for (; o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // trailing slash
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

fs::path Absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal() : a;
}

// Copies the input into quarantine/ with <name>.error.json beside it. On a rerun it removes
// the release an earlier run published for this input (its planned name and sidecar only:
// never another input's), so release/ only holds what passed this run; otherwise a name
// already quarantined is numbered, not replaced. Only regular files are copied (reading a
// FIFO or a device would block or never end).
Status Quarantine(const json& record, const std::string& out, bool rerun, json* outputs) {
  const std::string relative = record["input"];
  const std::string input = record["input_path"];
  fs::path q = fs::path(out) / "quarantine" / relative;
  std::error_code exists_ec;
  for (int n = 2;
       !rerun && (fs::exists(q, exists_ec) || fs::exists(q.string() + ".error.json", exists_ec));
       ++n) {
    const fs::path r(relative);
    q = fs::path(out) / "quarantine" / r.parent_path() /
        (r.stem().string() + "." + std::to_string(n) + r.extension().string());
  }
  const std::string copy_rel = fs::path(q).lexically_relative(out).string();
  json err = {{"input", input},
              {"relative", relative},
              {"sha256", record.value("sha256", "")},
              {"stage", record.value("stage", "")},
              {"error", record.value("error", "")},
              {"hint", record.value("hint", "")},
              {"code", record.value("code", "")},
              {"tool_version", kVersion},
              {"time", UtcNow()}};
  std::error_code ec;
  if (fs::is_regular_file(fs::symlink_status(input, ec))) {
    Status s = CopyFileAtomic(input, q.string());
    if (s.ok()) {
      outputs->push_back({{"path", copy_rel}, {"sha256", record.value("sha256", "")}});
    } else {
      err["copy_error"] = s.message();  // e.g. unreadable: the error file still says why
    }
  } else {
    err["copy_error"] = "not a regular file: not copied";
  }
  Status e = WriteFileAtomic(q.string() + ".error.json",
                             err.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
  if (!e.ok()) return e;
  outputs->push_back({{"path", copy_rel + ".error.json"}});
  if (rerun && record.contains("release_name")) {
    const fs::path stale = fs::path(out) / "release" / record["release_name"].get<std::string>();
    fs::remove(stale, ec);
    if (stale.extension() == ".pdf") fs::remove(fs::path(stale).replace_extension(".txt"), ec);
  }
  return Status::Ok();
}

void ClearQuarantine(const std::string& relative, const std::string& out) {
  std::error_code ec;
  fs::path q = fs::path(out) / "quarantine" / relative;
  fs::remove(q, ec);
  fs::remove(q.string() + ".error.json", ec);
}

// Removes temp files a killed worker left beside the release it was writing.
void RemoveWorkerTemps(const std::string& release_root, const std::string& relative, pid_t pid) {
  std::error_code ec;
  fs::path dir = (fs::path(release_root) / relative).parent_path();
  const std::string marker = ".tmp." + std::to_string(pid) + ".";
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.' && name.find(marker) != std::string::npos) {
      fs::remove(it->path(), ec);
    }
  }
}

json ConfigJson(const JobConfig& c, const std::vector<std::string>& rules) {
  return {{"rules", rules},
          {"password", c.password},
          {"dpi", c.dpi},
          {"max_file_bytes", c.max_file_bytes},
          {"max_pages", c.max_pages},
          {"max_page_pixels", c.max_page_pixels},
          {"sidecar", c.sidecar},
          {"release_flagged", c.release_flagged},
          {"ocr", int(c.ocr)},
          {"ocr_dpi", c.ocr_dpi},
          {"ocr_min_confidence", c.ocr_min_confidence},
          {"decisions", c.decisions},
          {"page_jobs", c.page_jobs},
          {"deterministic", c.deterministic},
          {"audit_text", int(c.audit_text)}};
}

JobConfig ConfigFromJson(const json& j) {
  JobConfig c;
  c.rules = j.at("rules").get<std::vector<std::string>>();
  c.password = j.at("password");
  c.dpi = j.at("dpi");
  c.max_file_bytes = j.at("max_file_bytes");
  c.max_pages = j.at("max_pages");
  c.max_page_pixels = j.at("max_page_pixels");
  c.sidecar = j.at("sidecar");
  c.release_flagged = j.value("release_flagged", false);
  c.ocr = OcrMode(j.at("ocr").get<int>());
  c.ocr_dpi = j.at("ocr_dpi");
  c.ocr_min_confidence = j.at("ocr_min_confidence");
  c.decisions = j.at("decisions");
  c.page_jobs = j.at("page_jobs");
  c.deterministic = j.at("deterministic");
  c.audit_text = AuditText(j.at("audit_text").get<int>());
  return c;
}

// Processes one input in this process; returns its audit record.
json ProcessInput(const InputFile& in, const DocumentContext& ctx) {
  IngestLimits limits;
  limits.max_file_bytes = ctx.config->max_file_bytes;
  DocumentResult r;
  auto src = IngestFile(in.path, in.relative, limits);
  if (!src.ok()) {
    r.source.path = in.path;
    r.source.relative = in.relative;
    std::error_code ec;
    if (fs::is_regular_file(in.path, ec)) {
      auto sha = Sha256File(in.path);
      if (sha.ok()) r.source.sha256 = *sha;
    }
    r.stage = "ingest";
    r.status = src.status();
  } else {
    r = ProcessDocument(*src, ctx);
  }
  return DocumentRecord(r, ctx.config->audit_text);
}

// The record of a document whose worker did not come back with one.
json WorkerFailureRecord(const InputFile& in, const ChildOutcome& child, const JobConfig& config) {
  std::string error, hint;
  if (child.timed_out) {
    error = "processing took longer than " + std::to_string(int(config.timeout_seconds)) +
            " s and was stopped";
    hint =
        "The file may be damaged or built to exhaust readers. If it is genuine and large, "
        "run again with a larger --timeout.";
  } else if (child.signal != 0) {
    error = "the document reader crashed (signal " + std::to_string(child.signal) + ")";
    hint = "The file is probably damaged; print it to a new PDF and submit that.";
  } else {
    error = "the document worker failed (exit " + std::to_string(child.exit_code) +
            ") - it may have run out of memory (limit " +
            std::to_string(config.max_memory_bytes >> 20) + " MB)";
    hint = "If the file is genuine, run again with a larger --max-memory-mb.";
  }
  json r = FailedDocumentRecord(in, error, hint, child.timed_out ? "too large" : "engine");
  if (child.signal != 0) r["worker_signal"] = child.signal;
  return r;
}

}  // namespace

DocumentRunner::DocumentRunner(const JobConfig& config, std::vector<std::string> rule_paths,
                               std::shared_ptr<const RuleMatcher> matcher,
                               const DecisionSet* decisions, int page_jobs)
    : config_(config), matcher_(std::move(matcher)), decisions_(decisions) {
  JobConfig worker = config;
  worker.page_jobs = std::max(1, page_jobs);
  config_.page_jobs = worker.page_jobs;
  worker_config_ = ConfigJson(worker, rule_paths);
  self_ = SelfExecutable();
  release_root_ = (fs::path(config.out) / "release").string();
}

json DocumentRunner::Process(const InputFile& in) const {
  json record;
  if (config_.isolate && !self_.empty()) {
    json job = {{"input", in.path},         {"relative", in.relative}, {"out", config_.out},
                {"config", worker_config_}, {"release", in.release},   {"sidecar", in.sidecar}};
    ChildOutcome child = RunIsolated({self_, "__document"}, job.dump(), config_.timeout_seconds,
                                     config_.max_memory_bytes);
    json parsed = json::parse(child.output, nullptr, false);
    if (!child.timed_out && child.exit_code == 0 && parsed.is_object()) {
      record = std::move(parsed);
    } else {
      RemoveWorkerTemps(release_root_, in.release, child.pid);
      RemoveWorkerTemps((fs::path(config_.out) / "review").string(), in.release, child.pid);
      record = WorkerFailureRecord(in, child, config_);
    }
  } else {
    DocumentContext one;
    one.config = &config_;
    one.matcher = matcher_;
    one.release_root = release_root_;
    one.decisions = decisions_;
    one.release_name = in.release;
    one.sidecar_name = in.sidecar;
    record = ProcessInput(in, one);
  }
  record["release_name"] = in.release;
  return record;
}

Status DocumentRunner::File(json* record, bool rerun) const {
  const std::string status = (*record)["status"];
  if (status == "released" || status == "review") {
    if (!rerun) return Status::Ok();
    ClearQuarantine((*record)["input"], config_.out);
    if (status == "released" && record->contains("release_name")) {
      // Decided at last: the would-be release an earlier run left for the reviewer goes.
      std::error_code ec;
      fs::path held =
          fs::path(config_.out) / "review" / (*record)["release_name"].get<std::string>();
      fs::remove(held, ec);
      if (held.extension() == ".pdf") fs::remove(fs::path(held).replace_extension(".txt"), ec);
    }
    return Status::Ok();
  }
  json outputs = json::array();
  Status s = Quarantine(*record, config_.out, rerun, &outputs);
  (*record)["outputs"] = outputs;
  return s;
}

namespace {

// RFC 4180: quote every field, double any quote inside.
std::string CsvField(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Status WriteReviewFiles(const std::string& out, const std::vector<json>& documents,
                        const DecisionSet& previous) {
  // schedule.csv: redactions per document, page, exemption and rule.
  std::map<std::tuple<std::string, int, std::string, std::string>, int> counts;
  std::vector<Decision> template_entries;
  for (const json& d : documents) {
    const std::string doc = d["input"];
    for (const json& f : d["findings"]) {
      if (f["action"] == "redact") {
        ++counts[{doc, f["page"].get<int>(), f["exemption"].get<std::string>(),
                  f["rule"].get<std::string>()}];
      }
      Decision e;
      e.document = doc;
      e.fingerprint = f["fingerprint"];
      e.decision = f.value("decision", "");
      auto prev = previous.by_key.find({doc, e.fingerprint});
      if (prev != previous.by_key.end()) e.note = prev->second.note;
      e.page = f["page"];
      e.rule = f["rule"];
      e.action = f["action"];
      e.exemption = f["exemption"];
      e.text = f.value("text", "");
      template_entries.push_back(std::move(e));
    }
  }
  std::string csv = "document,page,exemption,rule,count\r\n";
  for (const auto& [key, n] : counts) {
    const auto& [doc, page, exemption, rule] = key;
    csv += CsvField(doc) + "," + std::to_string(page) + "," + CsvField(exemption) + "," +
           CsvField(rule) + "," + std::to_string(n) + "\r\n";
  }
  Status s = WriteFileAtomic((fs::path(out) / "audit" / "schedule.csv").string(), csv);
  if (!s.ok()) return s;
  return WriteFileAtomic((fs::path(out) / "audit" / "decisions.toml").string(),
                         DecisionsToml(template_entries));
}

int ShardOf(const InputFile& in, int shard_count) {
  auto sha = Sha256File(in.path);
  // An unreadable file still belongs to exactly one shard, which quarantines it.
  const std::string hex = sha.ok() ? *sha : Sha256Hex(in.relative);
  return int(std::stoull(hex.substr(0, 15), nullptr, 16) % uint64_t(shard_count)) + 1;
}

json FailedDocumentRecord(const InputFile& in, const std::string& error, const std::string& hint,
                          const std::string& code) {
  json r = {{"event", "document"},
            {"time", UtcNow()},
            {"input", in.relative},
            {"input_path", in.path},
            {"sha256", ""},
            {"kind", "unknown"},
            {"pages", 0},
            {"status", "quarantined"},
            {"redactions", 0},
            {"flags", 0},
            {"findings", json::array()},
            {"outputs", json::array()},
            {"stage", "process"},
            {"error", error},
            {"hint", hint},
            {"code", code}};
  std::error_code ec;
  if (fs::is_regular_file(in.path, ec)) {
    auto sha = Sha256File(in.path);
    if (sha.ok()) r["sha256"] = *sha;
  }
  return r;
}

namespace {

// Whether the pipeline will read `in` as text (and release it as .txt), from its first bytes.
bool ReleasesAsText(const InputFile& in) {
  // Only a regular file is opened here: a FIFO would block until someone writes to it (the
  // pipeline quarantines it without reading).
  std::error_code ec;
  if (!fs::is_regular_file(in.path, ec)) return fs::path(in.relative).extension() == ".txt";
  std::ifstream f(in.path, std::ios::binary);
  std::string head(4096, '\0');
  if (f) f.read(head.data(), std::streamsize(head.size()));
  if (!f && !f.eof()) return fs::path(in.relative).extension() == ".txt";
  head.resize(size_t(f.gcount()));
  SourceKind kind;
  if (head.empty() || !SniffKind(head, head.size() < 4096, &kind)) {
    return fs::path(in.relative).extension() == ".txt";
  }
  return kind == SourceKind::kText;
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

void NumberReleaseName(const InputFile& planned, int n, InputFile* in) {
  const auto numbered = [n](const std::string& rel) {
    fs::path p(rel);
    return (p.parent_path() /
            (p.stem().string() + "." + std::to_string(n) + p.extension().string()))
        .string();
  };
  in->release = numbered(planned.release);
  if (!planned.sidecar.empty()) in->sidecar = numbered(planned.sidecar);
}

void PlanReleaseNames(std::vector<InputFile>* inputs) {
  std::vector<bool> text;
  for (const InputFile& in : *inputs) text.push_back(ReleasesAsText(in));
  std::set<std::string> taken;
  // Primary releases first: a file already named as its release ("b.txt", "a.pdf") keeps
  // that name, then the others in input order take their natural name if it is free.
  for (bool named_as_release : {true, false}) {
    for (size_t i = 0; i < inputs->size(); ++i) {
      InputFile& in = (*inputs)[i];
      fs::path natural(in.relative);
      natural.replace_extension(text[i] ? ".txt" : ".pdf");
      if ((natural.string() == in.relative) != named_as_release) continue;
      in.release = natural.string();
      if (!taken.insert(in.release).second) {
        in.release = in.relative + (text[i] ? ".txt" : ".pdf");
        taken.insert(in.release);
      }
    }
  }
  for (size_t i = 0; i < inputs->size(); ++i) {
    InputFile& in = (*inputs)[i];
    if (text[i]) continue;
    in.sidecar = fs::path(in.release).replace_extension(".txt").string();
    if (!taken.insert(in.sidecar).second) {
      in.sidecar = in.release + ".txt";
      taken.insert(in.sidecar);
    }
  }
}

std::vector<std::string> DefaultRulePaths() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "redact" / "rules";
    if (fs::is_directory(installed, ec)) return {installed.string()};
  }
  if (fs::is_directory(kSourceRulesDir, ec)) return {kSourceRulesDir};
  return {kInstalledRulesDir};
}

std::string CheckJobConfig(const JobConfig& config) {
  if (config.inputs.empty()) return "no inputs: give at least one file or folder to redact";
  if (config.out.empty()) return "no output folder: give one with -o OUT";
  if (config.dpi < 50 || config.dpi > 1200) return "--dpi must be between 50 and 1200";
  if (config.jobs < 0 || config.jobs > 256) return "--jobs must be between 0 and 256";
  if (config.shard_count < 1 || config.shard_index < 1 || config.shard_index > config.shard_count) {
    return "--shard must be K/N with 1 <= K <= N, e.g. --shard 2/8";
  }
  fs::path out = Absolute(config.out);
  for (const std::string& in : config.inputs) {
    std::error_code ec;
    if (!fs::exists(in, ec)) return "input not found: " + in;
    fs::path a = Absolute(in);
    if (fs::is_directory(a, ec) && IsWithin(out, a)) {
      return "the output folder " + config.out + " is inside the input folder " + in +
             ": choose an output folder outside it, or its releases would be read as inputs";
    }
    if (IsWithin(a, out)) {
      return "the input " + in + " is inside the output folder " + config.out +
             ": choose an output folder elsewhere";
    }
  }
  return {};
}

std::vector<InputFile> CollectInputs(const std::vector<std::string>& inputs,
                                     std::vector<std::string>* skipped) {
  std::vector<InputFile> files;
  const bool prefix = inputs.size() > 1;
  for (const std::string& in : inputs) {
    fs::path root(in);
    std::error_code ec;
    std::string base = Absolute(in).filename().string();
    if (!fs::is_directory(root, ec)) {
      files.push_back({root.string(), root.filename().string(), {}, {}});
      continue;
    }
    std::vector<InputFile> found;
    auto it =
        fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::end(it); it.increment(ec)) {
      const fs::path& p = it->path();
      std::string name = p.filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        skipped->push_back(p.string() + " (hidden)");
        continue;
      }
      if (it->is_symlink(ec)) {
        skipped->push_back(p.string() + " (symbolic link, not followed)");
        continue;
      }
      if (it->is_directory(ec)) continue;
      std::string rel = p.lexically_relative(root).string();
      found.push_back({p.string(), prefix ? base + "/" + rel : rel, {}, {}});
    }
    std::sort(found.begin(), found.end(),
              [](const InputFile& a, const InputFile& b) { return a.relative < b.relative; });
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

int DocumentWorkerMain() {
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  json job = json::parse(input, nullptr, false);
  if (!job.is_object()) return kExitBadArguments;
  // The parent wrote this job; a field missing or of the wrong type is a bug between the two
  // processes, said as such on stderr (the parent reports the worker's failure), never an
  // exception that looks like a crash of the document.
  JobConfig config;
  InputFile in;
  DocumentContext ctx;
  try {
    config = ConfigFromJson(job.at("config"));
    in = {job.at("input"), job.at("relative"), job.at("release"), job.at("sidecar")};
    ctx.release_root = (fs::path(job.at("out").get<std::string>()) / "release").string();
    ctx.release_name = job.at("release");
    ctx.sidecar_name = job.at("sidecar");
  } catch (const json::exception& e) {
    std::cerr << "redact: the document worker was given a malformed job: " << e.what() << "\n";
    return kExitBadArguments;
  }
  SetDeterministic(config.deterministic);
  ctx.config = &config;
  json record;
  DecisionSet decisions;
  if (!config.decisions.empty()) {
    auto loaded = LoadDecisions(config.decisions);
    if (loaded.ok()) decisions = std::move(*loaded);
    ctx.decisions = &decisions;
  }
  // The parent checked these rules, examples included, before starting; a failure here is
  // still reported.
  LoadOptions quick;
  quick.check_examples = false;
  quick.check_patterns = false;
  auto catalog = LoadRules(config.rules, quick);
  if (!catalog.ok()) {
    DocumentResult r;
    r.source.path = in.path;
    r.source.relative = in.relative;
    r.stage = "rules";
    r.status = catalog.status();
    record = DocumentRecord(r, config.audit_text);
  } else {
    ctx.matcher = catalog->matcher;
    record = ProcessInput(in, ctx);
  }
  std::cout << record.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  std::cout.flush();
  return std::cout ? kExitOk : kExitOutputNotWritable;
}

int RunBatch(const JobConfig& config, std::ostream& out, std::ostream& err) {
  if (std::string msg = CheckJobConfig(config); !msg.empty()) {
    err << "redact batch: " << msg << "\n";
    return kExitBadArguments;
  }
  SetDeterministic(config.deterministic);
  auto catalog = LoadRules(config.rules.empty() ? DefaultRulePaths() : config.rules);
  if (!catalog.ok()) {
    err << "redact batch: invalid rules: " << catalog.status().message() << "\n";
    if (!catalog.status().hint().empty()) err << "  " << catalog.status().hint() << "\n";
    return kExitInvalidRules;
  }
  if (config.ocr != OcrMode::kNever) {
    if (Status s = CheckOcrAvailable(); !s.ok()) {
      err << "redact batch: " << s.message() << "\n  " << s.hint() << "\n";
      return kExitMissingDependency;
    }
  }
  DecisionSet decisions;
  std::string decisions_sha;
  if (!config.decisions.empty()) {
    auto loaded = LoadDecisions(config.decisions);
    if (!loaded.ok()) {
      err << "redact batch: --decisions: " << loaded.status().message() << "\n";
      if (!loaded.status().hint().empty()) err << "  " << loaded.status().hint() << "\n";
      return kExitBadArguments;
    }
    decisions = std::move(*loaded);
    decisions_sha = Sha256File(config.decisions).ok() ? *Sha256File(config.decisions) : "";
  }
  const std::string release_root = (fs::path(config.out) / "release").string();
  for (const char* sub : {"release", "audit", "quarantine"}) {
    std::error_code ec;
    fs::create_directories(fs::path(config.out) / sub, ec);
    if (ec) {
      err << "redact batch: cannot create " << (fs::path(config.out) / sub).string() << ": "
          << ec.message() << "\n  Choose an output folder you can write to.\n";
      return kExitOutputNotWritable;
    }
  }
  std::string probe = (fs::path(config.out) / "audit" / ".write-test").string();
  if (Status s = WriteFileAtomic(probe, "ok"); !s.ok()) {
    err << "redact batch: the output folder is not writable: " << s.message() << "\n";
    return kExitOutputNotWritable;
  }
  fs::remove(probe);
  auto audit = AuditLog::Open((fs::path(config.out) / "audit" / "audit.jsonl").string());
  if (!audit.ok()) {
    err << "redact batch: " << audit.status().message() << "\n  " << audit.status().hint() << "\n";
    return audit.status().code() == Status::Code::kTampered ? kExitAuditBroken
                                                            : kExitOutputNotWritable;
  }

  std::vector<std::string> skipped;
  std::vector<InputFile> inputs = CollectInputs(config.inputs, &skipped);
  for (const std::string& s : skipped) {
    if (!config.quiet) err << "skipped: " << s << "\n";
  }
  // Names are planned over every input, so that each shard names a release as one run would.
  PlanReleaseNames(&inputs);
  const size_t all_inputs = inputs.size();
  if (config.shard_count > 1) {
    std::vector<InputFile> mine;
    for (InputFile& in : inputs) {
      if (ShardOf(in, config.shard_count) == config.shard_index) mine.push_back(std::move(in));
    }
    inputs = std::move(mine);
  }

  size_t rule_count = 0;
  const json rule_files = RuleFilesRecord(*catalog, &rule_count);
  const int jobs =
      config.jobs > 0 ? config.jobs : int(std::max(1u, std::thread::hardware_concurrency()));
  json options = {{"jobs", jobs},
                  {"ocr", config.ocr == OcrMode::kAuto     ? "auto"
                          : config.ocr == OcrMode::kAlways ? "always"
                                                           : "never"},
                  {"ocr_dpi", config.ocr_dpi},
                  {"dpi", config.dpi},
                  {"audit_text", config.audit_text == AuditText::kPlain  ? "plain"
                                 : config.audit_text == AuditText::kHash ? "hash"
                                                                         : "none"},
                  {"max_pages", config.max_pages},
                  {"max_file_bytes", config.max_file_bytes},
                  {"password_given", !config.password.empty()},
                  {"decisions", config.decisions},
                  {"decisions_sha256", decisions_sha},
                  {"reviewer", config.reviewer}};
  json run_start = {{"event", "run_start"},     {"time", UtcNow()},
                    {"tool", "redact"},         {"version", kVersion},
                    {"inputs", config.inputs},  {"documents", inputs.size()},
                    {"rule_files", rule_files}, {"options", options}};
  if (config.shard_count > 1) {
    run_start["shard"] =
        std::to_string(config.shard_index) + "/" + std::to_string(config.shard_count);
    run_start["documents_all_shards"] = all_inputs;
  }
  Status as = (*audit)->Append(run_start);
  if (!as.ok()) {
    err << "redact batch: cannot write the audit log: " << as.message() << "\n";
    return kExitOutputNotWritable;
  }

  std::vector<json> summaries;  // per document: input, status, findings (for the schedule)

  const std::vector<std::string> rule_paths =
      config.rules.empty() ? DefaultRulePaths() : config.rules;
  // Fewer documents than workers: the spare cores work on pages of the same document.
  const int page_jobs =
      std::max(1, jobs / int(std::max<size_t>(1, std::min<size_t>(inputs.size(), size_t(jobs)))));
  Progress progress(inputs.size(), !config.quiet);
  std::atomic<size_t> next{0};
  std::mutex mu;
  size_t released = 0, waiting = 0, quarantined = 0, pages = 0, redactions = 0, flags = 0;
  std::vector<std::string> failures, held;
  std::atomic<bool> audit_failed{false};
  auto started = std::chrono::steady_clock::now();

  DocumentRunner runner(config, rule_paths, catalog->matcher,
                        config.decisions.empty() ? nullptr : &decisions, page_jobs);
  auto worker = [&] {
    while (!g_interrupted.load()) {
      size_t i = next.fetch_add(1);
      if (i >= inputs.size()) return;
      const InputFile& in = inputs[i];
      json record = runner.Process(in);
      Status qs = runner.File(&record);
      if (!qs.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        err << "redact batch: cannot quarantine " << in.relative << ": " << qs.message() << "\n";
      }
      const bool ok = record["status"] == "released" || record["status"] == "review";
      bool decided = false;
      for (const json& f : record["findings"]) decided |= f.contains("decision");
      if (decided && !config.reviewer.empty()) record["reviewer"] = config.reviewer;
      Status s = (*audit)->Append(record);
      if (!s.ok()) audit_failed = true;
      const int doc_pages = record.value("pages", 0);
      {
        std::lock_guard<std::mutex> lock(mu);
        summaries.push_back({{"input", record["input"]},
                             {"status", record["status"]},
                             {"findings", record["findings"]}});
        pages += size_t(doc_pages);
        if (ok) {
          ++(record["status"] == "review" ? waiting : released);
          if (record["status"] == "review") {
            held.push_back(in.relative + ": " +
                           std::to_string(record.value("open_flags", size_t(0))) +
                           " flag(s) to decide");
          }
          redactions += record.value("redactions", size_t(0));
          flags += record.value("flags", size_t(0));
        } else {
          ++quarantined;
          failures.push_back(in.relative + ": " + record.value("stage", "") + ": " +
                             record.value("error", ""));
        }
      }
      progress.DocumentDone(doc_pages, !ok);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::min<int>(jobs, std::max<size_t>(1, inputs.size())); ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) t.join();
  progress.Finish();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const bool interrupted = g_interrupted.load();

  // Decisions whose finding no longer exists (the text changed, or the rules did).
  std::vector<std::string> stale;
  {
    std::set<std::pair<std::string, std::string>> present;
    std::set<std::string> processed;
    for (const json& d : summaries) {
      processed.insert(d["input"].get<std::string>());
      for (const json& f : d["findings"]) {
        present.insert({d["input"].get<std::string>(), f["fingerprint"].get<std::string>()});
      }
    }
    for (const auto& [key, dec] : decisions.by_key) {
      if (!dec.decision.empty() && processed.count(key.first) && !present.count(key)) {
        stale.push_back(key.first + " " + key.second);
      }
    }
  }
  Status rs = WriteReviewFiles(config.out, summaries, decisions);
  if (!rs.ok()) err << "redact batch: " << rs.message() << "\n";
  Status end = (*audit)->Append({{"event", "run_end"},
                                 {"time", UtcNow()},
                                 {"documents", inputs.size()},
                                 {"released", released},
                                 {"waiting_for_review", waiting},
                                 {"quarantined", quarantined},
                                 {"not_started", inputs.size() - released - waiting - quarantined},
                                 {"pages", pages},
                                 {"redactions", redactions},
                                 {"flags", flags},
                                 {"seconds", Deterministic() ? 0.0 : secs},
                                 {"interrupted", interrupted},
                                 {"stale_decisions", stale}});
  if (!end.ok()) {
    err << "redact batch: the audit log's run_end record: " << end.message() << "\n";
    audit_failed = true;
  }

  if (config.report) {
    ReportOptions report;
    report.out_root = config.out;
    Status rep = WriteReport((*audit)->path(),
                             (fs::path(config.out) / "audit" / "report.html").string(), report);
    if (!rep.ok()) {
      err << "redact batch: the review report could not be written: " << rep.message() << "\n";
    }
  }
  std::sort(failures.begin(), failures.end());
  if (!config.quiet) {
    out << "redact: " << released << " released, " << waiting << " waiting for a decision, "
        << quarantined << " quarantined of " << inputs.size() << " documents (" << pages
        << " pages, " << redactions << " redactions, " << flags << " flags, " << rule_count
        << " rules) in " << std::fixed << std::setprecision(1) << secs << " s\n";
    out << "  release:    " << release_root << "\n";
    out << "  audit:      " << (fs::path(config.out) / "audit" / "audit.jsonl").string() << "\n";
    out << "  review:     " << (fs::path(config.out) / "audit" / "report.html").string()
        << " (with decisions.toml, schedule.csv)\n";
    if (waiting) {
      out << "  waiting:    " << (fs::path(config.out) / "review").string()
          << " (would-be releases; decide their flags in decisions.toml, then run again with"
             " --decisions)\n";
    }
    if (quarantined) {
      out << "  quarantine: " << (fs::path(config.out) / "quarantine").string()
          << " (each file has a .error.json saying why)\n";
    }
  }
  std::sort(held.begin(), held.end());
  for (const std::string& f : failures) err << "quarantined: " << f << "\n";
  if (!config.quiet) {
    for (const std::string& h : held) err << "waiting for a decision: " << h << "\n";
  }
  for (const std::string& d : stale) {
    err << "decision no longer matches a finding (document fingerprint): " << d << "\n";
  }
  if (audit_failed) {
    err << "redact batch: some audit records could not be written\n";
    return kExitOutputNotWritable;
  }
  if (interrupted) {
    err << "redact batch: interrupted; documents not started were left alone\n";
    return kExitInterrupted;
  }
  return quarantined ? kExitSomeFailed : waiting ? kExitWaitingForReview : kExitOk;
}

}  // namespace redact
