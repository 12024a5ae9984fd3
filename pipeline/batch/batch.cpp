#include "pipeline/batch/batch.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <iomanip>
#include <ostream>
#include <set>
#include <thread>

#include "pipeline/audit/audit_log.h"
#include "pipeline/batch/document.h"
#include "pipeline/batch/progress.h"
#include "pipeline/core/build_info.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"
#include "pipeline/rules/rule_loader.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

std::atomic<bool> g_interrupted{false};

namespace {

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

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

const char* ActionName(Action a) { return a == Action::kRedact ? "redact" : "flag"; }

json FindingJson(const Finding& f, AuditText mode) {
  json boxes = json::array();
  for (const Box& b : f.boxes) {
    boxes.push_back({std::round(b.x0 * 100) / 100, std::round(b.y0 * 100) / 100,
                     std::round(b.x1 * 100) / 100, std::round(b.y1 * 100) / 100});
  }
  json j = {{"rule", f.rule_id},     {"action", ActionName(f.action)},
            {"exemption", f.exemption}, {"page", f.page},
            {"boxes", boxes},        {"fingerprint", f.fingerprint},
            {"consistency", f.consistency}};
  if (mode == AuditText::kPlain) j["text"] = f.text;
  if (mode == AuditText::kHash) j["text_sha256"] = Sha256Hex(f.text);
  return j;
}

json DocumentJson(const DocumentResult& r, const JobConfig& config) {
  json findings = json::array();
  size_t redactions = 0, flags = 0;
  for (const Finding& f : r.findings) {
    findings.push_back(FindingJson(f, config.audit_text));
    (f.action == Action::kRedact ? redactions : flags)++;
  }
  json outputs = json::array();
  for (const OutputFile& o : r.outputs) outputs.push_back({{"path", o.path}, {"sha256", o.sha256}});
  json j = {{"event", "document"},
            {"time", UtcNow()},
            {"input", r.source.relative},
            {"input_path", r.source.path},
            {"sha256", r.source.sha256},
            {"kind", r.source.sha256.empty() ? "unknown" : SourceKindName(r.source.kind)},
            {"pages", r.pages},
            {"status", r.status.ok() ? "released" : "quarantined"},
            {"redactions", redactions},
            {"flags", flags},
            {"findings", findings},
            {"outputs", outputs},
            {"seconds", r.seconds}};
  if (!r.status.ok()) {
    j["stage"] = r.stage;
    j["error"] = r.status.message();
    j["hint"] = r.status.hint();
  }
  return j;
}

// Copies the input into quarantine/ with <name>.error.json beside it; removes any release
// an earlier run published for it, so release/ only holds what passed this run.
Status Quarantine(const DocumentResult& r, const std::string& out, std::vector<OutputFile>* files) {
  fs::path q = fs::path(out) / "quarantine" / r.source.relative;
  json err = {{"input", r.source.path},
              {"relative", r.source.relative},
              {"sha256", r.source.sha256},
              {"stage", r.stage},
              {"error", r.status.message()},
              {"hint", r.status.hint()},
              {"code", Status::CodeName(r.status.code())},
              {"tool_version", kVersion},
              {"time", UtcNow()}};
  Status s = CopyFileAtomic(r.source.path, q.string());
  if (!s.ok()) {
    err["copy_error"] = s.message();  // e.g. unreadable: the error file still says why
  } else {
    files->push_back({"quarantine/" + r.source.relative, r.source.sha256});
  }
  Status e = WriteFileAtomic(q.string() + ".error.json",
                             err.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
  if (!e.ok()) return e;
  std::error_code ec;
  for (SourceKind k : {SourceKind::kPdf, SourceKind::kText}) {
    fs::path stale = fs::path(out) / "release" / ReleaseName(r.source.relative, k);
    fs::remove(stale, ec);
  }
  return Status::Ok();
}

void ClearQuarantine(const DocumentResult& r, const std::string& out) {
  std::error_code ec;
  fs::path q = fs::path(out) / "quarantine" / r.source.relative;
  fs::remove(q, ec);
  fs::remove(q.string() + ".error.json", ec);
}

}  // namespace

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
      files.push_back({root.string(), root.filename().string()});
      continue;
    }
    std::vector<InputFile> found;
    auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
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
      found.push_back({p.string(), prefix ? base + "/" + rel : rel});
    }
    std::sort(found.begin(), found.end(),
              [](const InputFile& a, const InputFile& b) { return a.relative < b.relative; });
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

int RunBatch(const JobConfig& config, std::ostream& out, std::ostream& err) {
  if (std::string msg = CheckJobConfig(config); !msg.empty()) {
    err << "redact batch: " << msg << "\n";
    return kExitBadArguments;
  }
  auto catalog = LoadRules(config.rules.empty() ? DefaultRulePaths() : config.rules);
  if (!catalog.ok()) {
    err << "redact batch: invalid rules: " << catalog.status().message() << "\n";
    if (!catalog.status().hint().empty()) err << "  " << catalog.status().hint() << "\n";
    return kExitInvalidRules;
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
    return kExitOutputNotWritable;
  }

  std::vector<std::string> skipped;
  std::vector<InputFile> inputs = CollectInputs(config.inputs, &skipped);
  for (const std::string& s : skipped) {
    if (!config.quiet) err << "skipped: " << s << "\n";
  }

  json rule_files = json::array();
  size_t rule_count = 0;
  for (const RuleSet& rs : catalog->sets) {
    rule_files.push_back({{"id", rs.id}, {"path", rs.path}, {"sha256", rs.sha256},
                          {"rules", rs.rules.size()}});
    rule_count += rs.rules.size();
  }
  const int jobs = config.jobs > 0 ? config.jobs : int(std::max(1u, std::thread::hardware_concurrency()));
  json options = {{"jobs", jobs},
                  {"dpi", config.dpi},
                  {"audit_text", config.audit_text == AuditText::kPlain  ? "plain"
                                 : config.audit_text == AuditText::kHash ? "hash"
                                                                          : "none"},
                  {"max_pages", config.max_pages},
                  {"max_file_bytes", config.max_file_bytes},
                  {"password_given", !config.password.empty()}};
  Status as = (*audit)->Append({{"event", "run_start"},
                                {"time", UtcNow()},
                                {"tool", "redact"},
                                {"version", kVersion},
                                {"inputs", config.inputs},
                                {"documents", inputs.size()},
                                {"rule_files", rule_files},
                                {"options", options}});
  if (!as.ok()) {
    err << "redact batch: cannot write the audit log: " << as.message() << "\n";
    return kExitOutputNotWritable;
  }

  DocumentContext ctx;
  ctx.config = &config;
  ctx.matcher = catalog->matcher;
  ctx.release_root = release_root;
  for (const InputFile& f : inputs) {
    if (fs::path(f.relative).extension() == ".txt") ctx.claimed.insert(f.relative);
  }

  IngestLimits limits;
  limits.max_file_bytes = config.max_file_bytes;
  Progress progress(inputs.size(), !config.quiet);
  std::atomic<size_t> next{0};
  std::mutex mu;
  size_t released = 0, quarantined = 0, pages = 0, redactions = 0, flags = 0;
  std::vector<std::string> failures;
  std::atomic<bool> audit_failed{false};
  auto started = std::chrono::steady_clock::now();

  auto worker = [&] {
    while (!g_interrupted.load()) {
      size_t i = next.fetch_add(1);
      if (i >= inputs.size()) return;
      const InputFile& in = inputs[i];
      DocumentResult r;
      auto src = IngestFile(in.path, in.relative, limits);
      if (!src.ok()) {
        r.source.path = in.path;
        r.source.relative = in.relative;
        auto sha = Sha256File(in.path);
        if (sha.ok()) r.source.sha256 = *sha;
        r.stage = "ingest";
        r.status = src.status();
      } else {
        r = ProcessDocument(*src, ctx);
      }
      std::vector<OutputFile> qfiles;
      if (!r.status.ok()) {
        Status qs = Quarantine(r, config.out, &qfiles);
        if (!qs.ok()) err << "redact batch: cannot quarantine " << in.relative << ": " << qs.message() << "\n";
        r.outputs = qfiles;
      } else {
        ClearQuarantine(r, config.out);
      }
      Status s = (*audit)->Append(DocumentJson(r, config));
      if (!s.ok()) audit_failed = true;
      {
        std::lock_guard<std::mutex> lock(mu);
        pages += size_t(r.pages);
        if (r.status.ok()) {
          ++released;
          for (const Finding& f : r.findings) (f.action == Action::kRedact ? redactions : flags)++;
        } else {
          ++quarantined;
          failures.push_back(in.relative + ": " + r.stage + ": " + r.status.message());
        }
      }
      progress.DocumentDone(r.pages, !r.status.ok());
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

  (*audit)->Append({{"event", "run_end"},
                    {"time", UtcNow()},
                    {"documents", inputs.size()},
                    {"released", released},
                    {"quarantined", quarantined},
                    {"not_started", inputs.size() - released - quarantined},
                    {"pages", pages},
                    {"redactions", redactions},
                    {"flags", flags},
                    {"seconds", secs},
                    {"interrupted", interrupted}});

  std::sort(failures.begin(), failures.end());
  if (!config.quiet) {
    out << "redact: " << released << " released, " << quarantined << " quarantined of "
        << inputs.size() << " documents (" << pages << " pages, " << redactions
        << " redactions, " << flags << " flags, " << rule_count << " rules) in " << std::fixed
        << std::setprecision(1) << secs << " s\n";
    out << "  release:    " << release_root << "\n";
    out << "  audit:      " << (fs::path(config.out) / "audit" / "audit.jsonl").string() << "\n";
    if (quarantined) {
      out << "  quarantine: " << (fs::path(config.out) / "quarantine").string()
          << " (each file has a .error.json saying why)\n";
    }
  }
  for (const std::string& f : failures) err << "quarantined: " << f << "\n";
  if (audit_failed) {
    err << "redact batch: some audit records could not be written\n";
    return kExitOutputNotWritable;
  }
  if (interrupted) {
    err << "redact batch: interrupted; documents not started were left alone\n";
    return kExitInterrupted;
  }
  return quarantined ? kExitSomeFailed : kExitOk;
}

}  // namespace redact
