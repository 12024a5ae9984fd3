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
#include "pipeline/report/scan_report.h"
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

// --rules adds to the shipped rules (a CI's own rules beside them), unless told otherwise; a
// shipped folder (or a file of it) given as well is not read twice.
std::vector<std::string> ScanRulePaths(const std::vector<std::string>& given, bool defaults) {
  std::vector<std::string> rule_paths = given;
  if (!defaults) return rule_paths;
  for (const std::string& shipped : DefaultRulePaths()) {
    std::error_code ec;
    const fs::path base = fs::weakly_canonical(shipped, ec);
    const bool again = std::any_of(given.begin(), given.end(), [&](const std::string& r) {
      const std::string p = fs::weakly_canonical(r, ec).string();
      return p == base.string() || p.rfind(base.string() + "/", 0) == 0;
    });
    if (!again) rule_paths.insert(rule_paths.begin(), shipped);
  }
  return rule_paths;
}

// One file read as batch reads it (an Office document or a message as the PDF it prints to;
// a message's attachments are not scanned: give them to `redact batch`, or scan them as
// files) and its findings, each reported once, those of the baseline left out.
ScanFile ScanOneFile(const InputFile& in, const JobConfig& c, const RuleMatcher& matcher,
                     const std::set<std::string>& baseline) {
  IngestLimits limits;
  limits.max_file_bytes = c.max_file_bytes;
  ScanFile file;
  file.path = in.path;
  auto src = IngestFile(in.path, in.relative, limits);
  file.text = src.ok() && src->kind == SourceKind::kText;
  // An Office document or a message is read as the PDF it prints to (a message's
  // attachments are not scanned: give them to `redact batch`, or scan them as files).
  TempFolder scratch;
  const bool typeset = src.ok() && src->kind == SourceKind::kEmail;
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
  ReaderOptions reader_options = ReaderOptionsFrom(c);
  reader_options.typeset = typeset;
  Result<std::unique_ptr<DocumentReader>> reader =
      src.ok() ? DocumentReader::Open(*src, reader_options)
               : Result<std::unique_ptr<DocumentReader>>(src.status());
  Result<ExtractedDocument> doc =
      reader.ok() ? ExtractDocument(reader->get()) : Result<ExtractedDocument>(reader.status());
  DetectOptions detect;
  detect.min_flag_confidence = c.ocr_min_confidence;  // as batch drops OCR-noise flags
  Result<std::vector<Finding>> findings = doc.ok() ? DetectFindings(doc->pages, matcher, detect)
                                                   : Result<std::vector<Finding>>(doc.status());
  if (!findings.ok()) {
    file.error = findings.status().message();
    return file;
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
    hit.finding = std::move(f);
    file.hits.push_back(std::move(hit));
  }
  return file;
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
  if (vm.count("no-default-rules") != 0 && c.rules.empty()) {
    std::cerr << "redact scan: --no-default-rules needs --rules\n";
    return kExitBadArguments;
  }
  const std::vector<std::string> rule_paths =
      ScanRulePaths(c.rules, vm.count("no-default-rules") == 0);
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
  std::vector<ScanFile> files;
  for (const InputFile& in : CollectInputs(c.inputs, &skipped)) {
    files.push_back(ScanOneFile(in, c, *catalog->matcher, baseline));
    failed |= !files.back().error.empty();
    found |= std::any_of(files.back().hits.begin(), files.back().hits.end(),
                         [](const ScanHit& h) { return h.finding.action == Action::kRedact; });
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
