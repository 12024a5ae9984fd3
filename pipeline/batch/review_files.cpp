#include "pipeline/batch/review_files.h"

#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "pipeline/core/files.h"

namespace redact {
namespace fs = std::filesystem;

namespace {

// RFC 4180: quote every field, double any quote inside. A field a spreadsheet would read as a
// formula (a file named "=HYPERLINK(...)", a label starting "+" or "@") gets a leading "'", as
// OWASP's CSV injection guidance says: quotes alone do not stop Calc or Excel evaluating it.
std::string CsvField(const std::string& s) {
  std::string out = "\"";
  if (!s.empty() && std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos) {
    out += '\'';
  }
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const char* ActionName(Action a) {
  return a == Action::kRedact ? "redact" : a == Action::kFlag ? "flag" : "note";
}

}  // namespace

namespace {

// decisions.toml from the records, merged forward from `previous` (see WriteReviewFiles).
// `each_arrival_new`: documents are told apart by content as well as path (the daemon's);
// else a document's path replaces what an earlier run of it left (a batch's).
std::string MergedDecisions(const std::vector<DocumentRecord>& documents,
                            const DecisionSet& previous, AuditText mode, bool each_arrival_new) {
  std::vector<Decision> entries;
  std::set<std::pair<std::string, std::string>> processed;  // (document, sha256 or "")
  for (const DocumentRecord& d : documents) {
    const std::string& doc = d.source.relative;
    processed.insert({doc, each_arrival_new ? d.source.sha256 : ""});
    for (const Finding& f : d.findings) {
      // A reviewer's own redactions stay as their [[redact]] entries (carried below).
      if (f.rule_id.rfind("manual.", 0) == 0) continue;
      Decision e;
      e.document = doc;
      e.sha256 = d.source.sha256;
      e.fingerprint = f.fingerprint;
      // A finding decided by a [[bulk]] entry keeps no decision of its own: the bulk entry
      // stays the one that decides it (changed or removed, it changes the finding).
      if (!f.in_bulk) {
        e.decision = f.decision;
        e.note = f.note;
        e.reviewer = f.decided_by;
      }
      e.exemption = f.exemption;
      // What the reviewer's file said stays, applied this run or not (a run without
      // --decisions must not undo a reviewer's work).
      if (const Decision* prev =
              previous.Find(doc, d.source.sha256, f.fingerprint, !each_arrival_new)) {
        if (e.decision.empty()) {
          e.decision = prev->decision;
          e.reviewer = prev->reviewer;
          // The label the reviewer chose, until it is applied (then it is the finding's).
          if (!prev->decision.empty() && !prev->exemption.empty()) e.exemption = prev->exemption;
        }
        if (e.note.empty()) e.note = prev->note;
      }
      e.page = f.page;
      e.rule = f.rule_id;
      e.action = ActionName(f.action);
      if (mode == AuditText::kPlain) e.text = f.text;
      entries.push_back(std::move(e));
    }
  }
  // Entries of documents this run did not see are kept as they were.
  for (const auto& [key, dec] : previous.by_key) {
    const std::string& doc = std::get<0>(key);
    if (!processed.count({doc, each_arrival_new ? std::get<1>(key) : ""})) entries.push_back(dec);
  }
  return DecisionsToml(entries, previous.bulk, previous.manual);
}

}  // namespace

Status WriteReviewFiles(const std::string& out, const std::vector<DocumentRecord>& documents,
                        const DecisionSet& previous, AuditText mode, Env* env,
                        const std::string& decisions_suffix, bool each_arrival_new) {
  std::map<std::tuple<std::string, int, std::string, std::string>, int> counts;
  for (const DocumentRecord& d : documents) {
    for (const Finding& f : d.findings) {
      if (f.action == Action::kRedact) {
        ++counts[{d.source.relative, f.page, f.exemption, f.rule_id}];
      }
    }
  }
  std::string csv = "document,page,exemption,rule,count\r\n";
  for (const auto& [key, n] : counts) {
    const auto& [doc, page, exemption, rule] = key;
    csv += CsvField(doc) + "," + std::to_string(page) + "," + CsvField(exemption) + "," +
           CsvField(rule) + "," + std::to_string(n) + "\r\n";
  }
  Status s = WriteFileAtomic((fs::path(out) / "audit" / "schedule.csv").string(), csv, env);
  if (!s.ok()) return s;
  return WriteFileAtomic((fs::path(out) / "audit" / "decisions.toml").string() + decisions_suffix,
                         MergedDecisions(documents, previous, mode, each_arrival_new), env);
}

Status UpdateDecisionsFile(const std::string& out, const std::vector<DocumentRecord>& documents,
                           AuditText mode, Env* env) {
  const fs::path audit = fs::path(out) / "audit";
  const FileLock lock(audit.string());  // a reviewer's change is never lost between the two
  const std::string path = (audit / "decisions.toml").string();
  DecisionSet previous;
  std::string suffix;
  std::error_code ec;
  if (fs::exists(path, ec)) {
    auto loaded = LoadDecisions(path);
    if (!loaded.ok()) {
      suffix = ".new";  // left as it is for the reviewer to mend
    } else {
      previous = std::move(*loaded);
    }
  }
  return WriteFileAtomic(path + suffix, MergedDecisions(documents, previous, mode, true), env);
}

std::vector<std::string> StaleDecisions(const std::vector<DocumentRecord>& documents,
                                        const DecisionSet& decisions) {
  std::set<std::pair<std::string, std::string>> present;
  std::set<std::string> processed;
  for (const DocumentRecord& d : documents) {
    processed.insert(d.source.relative);
    for (const Finding& f : d.findings) present.insert({d.source.relative, f.fingerprint});
  }
  std::vector<std::string> stale;
  for (const auto& [key, dec] : decisions.by_key) {
    const auto& [doc, sha, fp] = key;
    if (!dec.decision.empty() && processed.count(doc) && !present.count({doc, fp})) {
      stale.push_back(doc + " " + fp);
    }
  }
  return stale;
}

}  // namespace redact
