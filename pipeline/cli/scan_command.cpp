// redact scan: what the rules find in files, as text, JSON or SARIF, nothing written.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "pipeline/batch/batch.h"
#include "pipeline/batch/document.h"
#include "pipeline/batch/inputs.h"
#include "pipeline/batch/run_start.h"
#include "pipeline/batch/worker.h"
#include "pipeline/cli/command_options.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/audit_key.h"
#include "pipeline/core/build_info.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"
#include "pipeline/core/text.h"
#include "pipeline/core/toml_file.h"
#include "pipeline/detect/detect.h"
#include "pipeline/extract/ocr.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/rules/rule_loader.h"
#include "pipeline/watch/watch.h"

namespace redact {
namespace po = boost::program_options;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace cli;

namespace {

const char* kScanUsage = R"(Usage: redact scan FILE... [options]

Reports, without writing anything, what the rules would redact or flag in each file.
Useful as a last check on a finished release from any tool, and in CI:
  --format text   one line per finding: FILE:PAGE: ACTION EXEMPTION RULE "TEXT" (default)
  --format json   one JSON object: every file with its findings (page, boxes, rule, ...)
  --format sarif  SARIF 2.1.0, for code-scanning tools: a result per finding, its file, its
                  page as the region's line (for PDFs and images; a text file's own line
                  for text), the boxes in the result's properties, and partialFingerprints
                  (rule, file and occurrence: no text) that keep an alert the same alert
                  from run to run. The matched text is left out (a code-scanning server
                  keeps what it is sent); --show-text puts it in.
A word read twice (a text layer and the OCR of the same page) is reported once.
--rules adds rule files to the shipped ones (--no-default-rules: only the files given; a
shipped folder given again is not read twice). --baseline REPORT (an earlier json or sarif
report) leaves out the findings it holds: a CI fails on new findings only.

Exit codes: 0 nothing found, 1 bad arguments, 2 a file could not be read, 3 something would
be redacted, 4 invalid rules, 6 --output cannot be written.
)";

}  // namespace

// A folder under $TMPDIR removed when it goes.
class TempFolder {
 public:
  TempFolder() {
    std::string tmpl = (fs::temp_directory_path() / "redact-scan-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempFolder() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

namespace {

// One finding of a scan, as every format reports it.
struct ScanHit {
  Finding finding;
  int line = 0;             // a text file's line; 0 for pages
  std::string fingerprint;  // which alert this is (ScanFingerprint)
};

// Which alert a finding is, run after run, without its text: its rule, its file and which
// finding of that rule in the file it is. SARIF's partialFingerprints and --baseline use it.
std::string ScanFingerprint(const std::string& rule, const std::string& path, int occurrence) {
  return Sha256Hex(rule + '\0' + path + '\0' + std::to_string(occurrence)).substr(0, 32);
}

// The alerts of an earlier `redact scan --format json` or `--format sarif` report.
Result<std::set<std::string>> BaselineFingerprints(const std::string& path) {
  auto bytes = ReadFile(path, size_t(256) << 20);
  if (!bytes.ok()) return bytes.status();
  const json j = json::parse(*bytes, nullptr, false);
  std::set<std::string> known;
  if (j.is_object() && j.contains("runs")) {
    for (const json& run : j["runs"]) {
      for (const json& r : run.value("results", json::array())) {
        const json fp = r.value("partialFingerprints", json::object());
        if (fp.contains("redactFinding/v1"))
          known.insert(fp["redactFinding/v1"].get<std::string>());
      }
    }
  } else if (j.is_object() && j.contains("files")) {
    for (const json& f : j["files"]) {
      for (const json& x : f.value("findings", json::array())) {
        if (x.contains("fingerprint")) known.insert(x["fingerprint"].get<std::string>());
      }
    }
  } else {
    return Status::InvalidInput(path + " is not a report of redact scan --format json or sarif");
  }
  return known;
}

struct ScanFile {
  std::string path;
  std::string error;  // empty: read
  bool text = false;
  std::vector<ScanHit> hits;
};

bool Overlaps(const std::vector<Box>& a, const std::vector<Box>& b) {
  if (a.empty() || b.empty()) return a.empty() && b.empty();
  for (const Box& x : a) {
    for (const Box& y : b) {
      if (std::min(x.x1, y.x1) > std::max(x.x0, y.x0) &&
          std::min(x.y1, y.y1) > std::max(x.y0, y.y0)) {
        return true;
      }
    }
  }
  return false;
}

const char* ActionWord(Action a) {
  return a == Action::kRedact ? "redact" : a == Action::kFlag ? "flag" : "note";
}

json BoxesJson(const std::vector<Box>& boxes) {
  json out = json::array();
  for (const Box& b : boxes) {
    out.push_back({std::round(b.x0 * 100) / 100, std::round(b.y0 * 100) / 100,
                   std::round(b.x1 * 100) / 100, std::round(b.y1 * 100) / 100});
  }
  return out;
}

std::string OneLine(std::string text) {
  for (char& ch : text) {
    if (ch == '\n') ch = ' ';
  }
  return text;
}

std::string ScanText(const std::vector<ScanFile>& files) {
  std::string out;
  for (const ScanFile& f : files) {
    if (!f.error.empty()) {
      out += f.path + ": error: " + f.error + "\n";
      continue;
    }
    for (const ScanHit& h : f.hits) {
      std::string word = ActionWord(h.finding.action);
      word.resize(6, ' ');
      out += f.path + ":" + std::to_string(h.finding.page) + ": " + word + " " +
             h.finding.exemption + " " + h.finding.rule_id + " \"" + OneLine(h.finding.text) +
             "\"\n";
    }
  }
  return out;
}

json ScanJson(const std::vector<ScanFile>& files) {
  json out = json::array();
  size_t findings = 0, redactions = 0, errors = 0;
  for (const ScanFile& f : files) {
    json hits = json::array();
    for (const ScanHit& h : f.hits) {
      const Finding& x = h.finding;
      json j = {{"page", x.page},
                {"action", ActionWord(x.action)},
                {"rule", x.rule_id},
                {"exemption", x.exemption},
                {"text", OneLine(x.text)},
                {"boxes", BoxesJson(x.boxes)},
                {"source", x.source == TextSource::kOcr ? "ocr" : "text-layer"},
                {"fingerprint", h.fingerprint}};
      if (h.line > 0) j["line"] = h.line;
      if (x.source == TextSource::kOcr) j["confidence"] = std::round(x.confidence * 10) / 10;
      hits.push_back(std::move(j));
      ++findings;
      redactions += x.action == Action::kRedact;
    }
    json file = {{"path", f.path}, {"status", f.error.empty() ? "read" : "error"}};
    if (!f.error.empty()) {
      file["error"] = f.error;
      ++errors;
    }
    file["findings"] = std::move(hits);
    out.push_back(std::move(file));
  }
  return {{"tool", "redact"},
          {"version", kVersion},
          {"files", out},
          {"summary",
           {{"files", files.size()},
            {"findings", findings},
            {"redactions", redactions},
            {"errors", errors}}}};
}

// SARIF 2.1.0 (OASIS): one run, the rules that fired as the driver's rules, a result per
// finding. A page has no place in SARIF's region: its number is the region's line (a text
// file's own line for text), and the page and boxes are the result's properties.
// A path as a relative URI reference: unreserved characters and '/' as they are, the rest
// percent-encoded (a space, '#', '%', non-ASCII bytes).
std::string UriOf(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : path) {
    if (std::isalnum(ch) || ch == '/' || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += char(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

json ScanSarif(const std::vector<ScanFile>& files, const std::vector<Rule>& rules, bool show_text) {
  json driver_rules = json::array();
  std::map<std::string, size_t> index;
  auto rule_index = [&](const std::string& id) {
    auto it = index.find(id);
    if (it != index.end()) return it->second;
    json r = {{"id", id}};
    for (const Rule& rule : rules) {
      if (rule.id != id) continue;
      r["shortDescription"] = {{"text", rule.description.empty() ? id : rule.description}};
      r["properties"] = {{"exemption", rule.exemption}};
    }
    driver_rules.push_back(std::move(r));
    return index[id] = driver_rules.size() - 1;
  };
  json results = json::array(), notifications = json::array();
  for (const ScanFile& f : files) {
    const json artifact = {{"uri", UriOf(f.path)}};
    if (!f.error.empty()) {
      notifications.push_back(
          {{"level", "error"},
           {"message", {{"text", f.path + ": " + f.error}}},
           {"locations", {{{"physicalLocation", {{"artifactLocation", artifact}}}}}}});
      continue;
    }
    for (const ScanHit& h : f.hits) {
      const Finding& x = h.finding;
      const std::string where = f.text ? "" : " on page " + std::to_string(x.page);
      const std::string what = show_text ? ": \"" + OneLine(x.text) + "\"" : "";
      json result = {
          {"ruleId", x.rule_id},
          {"ruleIndex", rule_index(x.rule_id)},
          {"level", x.action == Action::kRedact ? "error"
                    : x.action == Action::kFlag ? "warning"
                                                : "note"},
          {"message",
           {{"text", std::string(x.action == Action::kRedact ? "Would be redacted"
                                 : x.action == Action::kFlag ? "Flagged for a reviewer"
                                                             : "Noted") +
                         " under " + x.exemption + where + what}}},
          {"locations",
           {{{"physicalLocation",
              {{"artifactLocation", artifact},
               {"region", {{"startLine", h.line > 0 ? h.line : std::max(1, x.page)}}}}}}}},
          {"partialFingerprints", {{"redactFinding/v1", h.fingerprint}}},
          {"properties",
           {{"page", x.page}, {"boxes", BoxesJson(x.boxes)}, {"exemption", x.exemption}}}};
      if (show_text) {
        result["locations"][0]["physicalLocation"]["region"]["snippet"] = {
            {"text", OneLine(x.text)}};
      }
      results.push_back(std::move(result));
    }
  }
  json run = {{"tool",
               {{"driver",
                 {{"name", "redact"},
                  {"version", kVersion},
                  {"semanticVersion", kVersion},
                  {"rules", driver_rules}}}}},
              {"results", results}};
  if (!notifications.empty()) {
    run["invocations"] = {
        {{"executionSuccessful", false}, {"toolExecutionNotifications", notifications}}};
  } else {
    run["invocations"] = {{{"executionSuccessful", true}}};
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", {run}}};
}

}  // namespace

int ScanCommand(const std::vector<std::string>& args) {
  JobConfig c;
  std::string ocr = "auto", format = "text", output;
  po::options_description visible("Options");
  visible.add_options()("help,h", "show this help")(
      "format", po::value(&format)->default_value("text"), "text, json or sarif")(
      "output", po::value(&output), "write the report to FILE (default: standard output)")(
      "show-text", "sarif: put the matched text in each result (left out by default)")(
      "no-default-rules", "only the --rules given, not the shipped rules as well")(
      "baseline", po::value<std::string>(),
      "an earlier report of this command (--format json or sarif): the findings it holds are "
      "known, and neither reported nor counted for the exit code");
  AddDocumentOptions(&visible, &c, &ocr);
  po::variables_map vm;
  if (int rc = ParseWithInputs(args, visible, &c.inputs, &vm, kScanUsage); rc >= 0) return rc;
  if (!ParseOcrMode(ocr, &c.ocr)) return kExitBadArguments;
  if (format != "text" && format != "json" && format != "sarif") {
    std::cerr << "redact scan: --format must be text, json or sarif (got '" << format << "')\n";
    return kExitBadArguments;
  }
  if (!ResolvePassword(vm, "scan", &c)) return kExitBadArguments;
  if (c.ocr != OcrMode::kNever) {
    if (Status s = CheckOcrAvailable(); !s.ok()) {
      std::cerr << "redact scan: " << s.message() << "\n  " << s.hint() << "\n";
      return kExitMissingDependency;
    }
  }
  c.max_file_bytes = vm["max-file-mb"].as<uint64_t>() << 20;
  if (c.inputs.empty()) {
    std::cerr << "redact scan: give at least one file\n";
    return kExitBadArguments;
  }
  // --rules adds to the shipped rules (a CI's own rules beside them), unless told otherwise; a
  // shipped folder (or a file of it) given as well is not read twice.
  std::vector<std::string> rule_paths = c.rules;
  if (vm.count("no-default-rules") == 0) {
    for (const std::string& shipped : DefaultRulePaths()) {
      std::error_code ec;
      const fs::path base = fs::weakly_canonical(shipped, ec);
      const bool given = std::any_of(c.rules.begin(), c.rules.end(), [&](const std::string& r) {
        const std::string p = fs::weakly_canonical(r, ec).string();
        return p == base.string() || p.rfind(base.string() + "/", 0) == 0;
      });
      if (!given) rule_paths.insert(rule_paths.begin(), shipped);
    }
  } else if (c.rules.empty()) {
    std::cerr << "redact scan: --no-default-rules needs --rules\n";
    return kExitBadArguments;
  }
  auto catalog = LoadRules(rule_paths);
  if (!catalog.ok()) {
    std::cerr << "redact scan: invalid rules: " << catalog.status().message() << "\n";
    return kExitInvalidRules;
  }
  std::set<std::string> baseline;
  if (vm.count("baseline")) {
    auto known = BaselineFingerprints(vm["baseline"].as<std::string>());
    if (!known.ok()) {
      std::cerr << "redact scan: --baseline: " << known.status().message() << "\n";
      return kExitBadArguments;
    }
    baseline = std::move(*known);
  }
  std::vector<std::string> skipped;
  bool failed = false, found = false;
  IngestLimits limits;
  limits.max_file_bytes = c.max_file_bytes;
  std::vector<ScanFile> files;
  for (const InputFile& in : CollectInputs(c.inputs, &skipped)) {
    ScanFile file;
    file.path = in.path;
    auto src = IngestFile(in.path, in.relative, limits);
    file.text = src.ok() && src->kind == SourceKind::kText;
    // An Office document or a message is read as the PDF it prints to (a message's
    // attachments are not scanned: give them to `redact batch`, or scan them as files).
    TempFolder scratch;
    if (src.ok() && (src->kind == SourceKind::kOffice || src->kind == SourceKind::kEmail)) {
      auto printed = PrintToPdf(*src, scratch.path() + "/work", scratch.path() + "/attachments",
                                c.timeout_seconds);
      if (printed.ok()) {
        src->path = printed->pdf_path;
        src->kind = SourceKind::kPdf;
      } else {
        src = printed.status();
      }
    }
    Result<std::unique_ptr<DocumentReader>> reader =
        src.ok() ? DocumentReader::Open(*src, ReaderOptionsFrom(c))
                 : Result<std::unique_ptr<DocumentReader>>(src.status());
    Result<ExtractedDocument> doc =
        reader.ok() ? ExtractDocument(reader->get()) : Result<ExtractedDocument>(reader.status());
    DetectOptions detect;
    detect.min_flag_confidence = c.ocr_min_confidence;  // as batch drops OCR-noise flags
    Result<std::vector<Finding>> findings =
        doc.ok() ? DetectFindings(doc->pages, *catalog->matcher, detect)
                 : Result<std::vector<Finding>>(doc.status());
    if (!findings.ok()) {
      file.error = findings.status().message();
      failed = true;
      files.push_back(std::move(file));
      continue;
    }
    std::map<std::string, int> occurrence;  // per rule, in the file's order
    for (Finding& f : *findings) {
      // The same words read twice (a release's text layer and the OCR of its pixels): once.
      const std::string norm = NormalizeForMatch(f.text);
      const bool again = std::any_of(file.hits.begin(), file.hits.end(), [&](const ScanHit& h) {
        return h.finding.page == f.page && h.finding.rule_id == f.rule_id &&
               NormalizeForMatch(h.finding.text) == norm && Overlaps(h.finding.boxes, f.boxes);
      });
      if (again) continue;
      ScanHit hit;
      if (file.text && doc.ok() && !doc->pages.empty()) {
        const std::string& t = doc->pages[0].text;
        hit.line =
            1 + int(std::count(t.begin(), t.begin() + long(std::min(f.begin, t.size())), '\n'));
      }
      hit.fingerprint = ScanFingerprint(f.rule_id, file.path, ++occurrence[f.rule_id]);
      if (baseline.count(hit.fingerprint)) continue;  // known: neither reported nor counted
      if (f.action == Action::kRedact) found = true;
      hit.finding = std::move(f);
      file.hits.push_back(std::move(hit));
    }
    files.push_back(std::move(file));
  }
  std::string report;
  if (format == "text") {
    report = ScanText(files);
  } else {
    const json j = format == "json"
                       ? ScanJson(files)
                       : ScanSarif(files, catalog->matcher->rules(), vm.count("show-text") > 0);
    report = j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  }
  if (output.empty()) {
    std::cout << report;
  } else if (Status s = WriteFileAtomic(output, report); !s.ok()) {
    std::cerr << "redact scan: --output: " << s.message() << "\n";
    return kExitOutputNotWritable;
  }
  if (found) return kExitFindings;
  return failed ? kExitSomeFailed : kExitOk;
}

}  // namespace redact
