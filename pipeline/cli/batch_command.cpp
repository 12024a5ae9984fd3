#include <stdlib.h>

#include <boost/program_options.hpp>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "pipeline/batch/batch.h"
#include "pipeline/batch/document.h"
#include "pipeline/batch/inputs.h"
#include "pipeline/batch/run_start.h"
#include "pipeline/batch/worker.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/audit_key.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/detect/detect.h"
#include "pipeline/extract/ocr.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/rules/rule_loader.h"
#include "pipeline/watch/watch.h"

namespace redact {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// Options that batch and scan share, bound to a JobConfig.
void AddDocumentOptions(po::options_description* d, JobConfig* c, std::string* ocr) {
  d->add_options()(
      "ocr", po::value(ocr)->default_value("auto"),
      "auto: OCR pages without a usable text layer and pages with pictures of text; "
      "always: OCR every page; never: no OCR (pages and images that need it are quarantined)")(
      "ocr-dpi", po::value(&c->ocr_dpi)->default_value(c->ocr_dpi),
      "resolution pages are rendered at for OCR (and scanned pages are released at)")(
      "ocr-min-confidence", po::value(&c->ocr_min_confidence)->default_value(c->ocr_min_confidence),
      "flags on OCR words below this confidence (0-100) are dropped; redactions never are")(
      "rules,r", po::value(&c->rules)->composing(),
      "rule file or folder of *.toml (repeatable); default: the installed rule packs")(
      "password", po::value(&c->password), "password for encrypted PDFs (owner or user password)")(
      "max-pages", po::value(&c->max_pages)->default_value(c->max_pages),
      "PDFs with more pages are quarantined")(
      "max-file-mb", po::value<uint64_t>()->default_value(c->max_file_bytes >> 20),
      "larger files are quarantined")(
      "max-page-pixels",
      po::value(&c->max_page_pixels)->default_value(c->max_page_pixels, "69.6M (A3 at 600 DPI)"),
      "pages that would need more pixels are quarantined, not attempted");
}

// Parses `args` into `vm`; prints errors and help. Returns -1 to continue, else an exit code.
int Parse(const std::vector<std::string>& args, const po::options_description& visible,
          const po::options_description& all, const po::positional_options_description& pos,
          po::variables_map* vm, const char* usage) {
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), *vm);
    if (vm->count("help")) {
      std::cout << usage << "\n" << visible << "\n";
      return kExitOk;
    }
    po::notify(*vm);
  } catch (const po::error& e) {
    // The error, the usage line and where the rest is: not every option after it.
    const std::string first(usage, std::strchr(usage, '\n') ? std::strchr(usage, '\n') : usage);
    std::string command = first.substr(first.find("redact "));
    command = command.substr(0, command.find(' ', 7));
    std::cerr << "redact: " << e.what() << "\n"
              << first << "\n(" << command << " --help explains every option)\n";
    return kExitBadArguments;
  }
  return -1;
}

// Parse, with every positional argument collected into `inputs`.
int ParseWithInputs(const std::vector<std::string>& args, const po::options_description& visible,
                    std::vector<std::string>* inputs, po::variables_map* vm, const char* usage) {
  po::options_description all;
  all.add(visible).add_options()("input", po::value(inputs)->composing());
  po::positional_options_description pos;
  pos.add("input", -1);
  return Parse(args, visible, all, pos, vm, usage);
}

const char* kBatchUsage = R"(Usage: redact batch IN... -o OUT [options]

Redacts every PDF, image (PNG, JPEG, TIFF) and UTF-8 text file under the inputs (files or
folders, read recursively) and writes:
  OUT/release/...         release copies, mirroring the input tree (safe to publish)
  OUT/review/...          documents with a flag no one has decided yet (an internal note, a
                          protective marking): their would-be release waits here, not in
                          release/, until the flags are decided (or --release-flagged)
  OUT/audit/audit.jsonl   the hash-chained audit log (internal)
  OUT/quarantine/...      inputs that could not be processed, each with <name>.error.json
  OUT/audit/schedule.csv  the redaction schedule (document, page, exemption, rule, count)
  OUT/audit/decisions.toml  one entry per flag and redaction for a reviewer to decide,
                          and the reviewer's own redactions; run again with --decisions to
                          apply it (each run keeps what the file already held)
Inputs are never modified. Every release is re-read and re-checked before it is published.

Exit codes: 0 all released, 1 bad arguments, 2 some inputs quarantined, 4 invalid rules,
5 missing dependency (Tesseract's English model), 6 output not writable, 7 nothing failed
but some documents wait for a reviewer's decision (OUT/review/), 130 interrupted.
)";

const char* kScanUsage = R"(Usage: redact scan FILE... [options]

Reports, without writing anything, what the rules would redact or flag in each file.
Useful as a last check on a finished release from any tool.

Exit codes: 0 nothing found, 1 bad arguments, 2 a file could not be read, 3 something would
be redacted, 4 invalid rules.
)";

const char* kWatchUsage = R"(Usage: redact watch INBOX -o OUT [options]

Runs until stopped, redacting every file dropped into INBOX or its sub-folders:
  - a file is taken once complete: closed after writing or moved in, or unchanged for
    --settle seconds; it is claimed by moving it into INBOX/.redact/work/
  - it is processed exactly like `redact batch` on that one file: OUT/release/<path>,
    the audit log OUT/audit/audit.jsonl, OUT/quarantine/<path>.error.json on failure
    (OUT/review/<path> while a flag waits for a decision, as in batch)
  - the input then moves to OUT/archive/YYYY-MM-DD/<path> (released or waiting) or
    OUT/quarantine/
Hidden files (.name), names ending in ~, .part, .partial, .crdownload, .tmp or .swp, and
symbolic links are never taken: write to such a name and rename when done.

Crash safe: on start it first finishes what an earlier run left in INBOX/.redact/work/; a
file in progress when redact died twice is quarantined as poison.
Signals: SIGTERM or SIGINT finish the documents in progress and exit 0 (files still queued
stay claimed for the next start); SIGHUP reloads the rules (broken rules are logged and the
old ones kept). OUT/audit/status.json shows what it is doing; one log line per event goes to
standard error. The reviewer report: redact report OUT/audit/audit.jsonl -o report.html

Exit codes: 0 stopped by a signal, 1 bad arguments (or another daemon has this inbox),
4 invalid rules at start, 5 missing dependency, 6 output or inbox not writable.
)";

bool ParseOcrMode(const std::string& s, OcrMode* mode) {
  if (s == "auto") {
    *mode = OcrMode::kAuto;
  } else if (s == "always") {
    *mode = OcrMode::kAlways;
  } else if (s == "never") {
    *mode = OcrMode::kNever;
  } else {
    std::cerr << "redact: --ocr must be auto, always or never\n";
    return false;
  }
  return true;
}

}  // namespace

namespace {

// Processing options batch and watch share, bound to a JobConfig.
void AddRunOptions(po::options_description* d, JobConfig* c, std::string* audit_text) {
  d->add_options()("output,o", po::value(&c->out)->required(),
                   "output folder OUT (created if missing)")(
      "jobs,j", po::value(&c->jobs)->default_value(0), "documents in parallel; 0 = all cores")(
      "dpi", po::value(&c->dpi)->default_value(c->dpi), "resolution of release pages")(
      "audit-text", po::value(audit_text)->default_value(*audit_text),
      "matched text in the audit log: plain, hash (sha256) or none")(
      "no-sidecar", "do not write the <name>.txt text beside each release PDF")(
      "release-flagged",
      "release documents whose flags nobody has decided (the flagged text is kept) instead "
      "of holding them in OUT/review/ for a decision")(
      "timeout", po::value(&c->timeout_seconds)->default_value(c->timeout_seconds),
      "seconds one document may take before it is stopped and quarantined")(
      "max-memory-mb", po::value<uint64_t>()->default_value(c->max_memory_bytes >> 20),
      "memory one document may use before it is stopped and quarantined")(
      "key-file", po::value(&c->key_file),
      "the secret that fingerprints and --audit-text hash are keyed with (HMAC-SHA256), made "
      "on first use, mode 0600; keep it outside OUT (default $REDACT_KEY_FILE, else "
      "~/.local/state/redact/audit.key)")(
      "libreoffice-per-document",
      "start LibreOffice afresh for every Office document and message (a second or more "
      "each) instead of keeping one per --jobs slot, so that no two documents share one");
}

// Reads back what AddRunOptions and AddDocumentOptions could not bind directly.
bool FinishRunOptions(const po::variables_map& vm, const std::string& ocr,
                      const std::string& audit_text, const char* command, JobConfig* c) {
  if (!ParseOcrMode(ocr, &c->ocr)) return false;
  c->sidecar = vm.count("no-sidecar") == 0;
  c->release_flagged = vm.count("release-flagged") > 0;
  c->libreoffice_per_document = vm.count("libreoffice-per-document") > 0;
  c->max_file_bytes = vm["max-file-mb"].as<uint64_t>() << 20;
  c->max_memory_bytes = vm["max-memory-mb"].as<uint64_t>() << 20;
  if (!(c->timeout_seconds > 0)) {
    std::cerr << "redact " << command << ": --timeout must be a positive number of seconds\n";
    return false;
  }
  if (audit_text == "plain") {
    c->audit_text = AuditText::kPlain;
  } else if (audit_text == "hash") {
    c->audit_text = AuditText::kHash;
  } else if (audit_text == "none") {
    c->audit_text = AuditText::kNone;
  } else {
    std::cerr << "redact " << command << ": --audit-text must be plain, hash or none\n";
    return false;
  }
  return true;
}

// Loads (or on first use makes) the audit key into c->audit_key. -1 when it did; else the
// exit code, the reason said on stderr.
int LoadKey(const char* command, JobConfig* c) {
  if (c->key_file.empty()) c->key_file = DefaultAuditKeyPath();
  auto key = LoadAuditKey(c->key_file);
  if (!key.ok()) {
    std::cerr << "redact " << command << ": " << key.status().message() << "\n  "
              << key.status().hint() << "\n";
    return ExitCodeFor(key.status());
  }
  c->audit_key = *key;
  return -1;
}

}  // namespace

int BatchCommand(const std::vector<std::string>& args) {
  JobConfig c;
  std::string audit_text = "plain", ocr = "auto";
  po::options_description visible("Options");
  visible.add_options()("help,h", "show this help");
  AddRunOptions(&visible, &c, &audit_text);
  visible.add_options()(
      "no-report", "do not write OUT/audit/report.html (it can be made later with redact report)")(
      "decisions", po::value(&c.decisions),
      "apply a reviewer's decisions file (OUT/audit/decisions.toml, filled in): decisions on "
      "findings, [[bulk]] ones (every finding of a rule or a text) and the reviewer's own "
      "[[redact]] entries (a text, an area of a page, a page withheld)")(
      "reviewer", po::value(&c.reviewer), "who made the decisions, for the audit")(
      "only", po::value(&c.only)->composing(),
      "process only this document (its path under IN, as the audit names it); repeatable. "
      "redact review's apply uses it to run again what a reviewer decided")(
      "shard", po::value<std::string>(),
      "K/N: process only the inputs whose sha256 falls in shard K of N (1 <= K <= N); run "
      "the N shards anywhere, then join their audit logs with redact audit merge")(
      "deterministic",
      "fixed timestamps ($SOURCE_DATE_EPOCH or 1970) and no timings in the audit: two runs "
      "of the same inputs give byte-identical releases and audit records")(
      "quiet,q", "no progress line and no summary");
  AddDocumentOptions(&visible, &c, &ocr);
  po::variables_map vm;
  if (int rc = ParseWithInputs(args, visible, &c.inputs, &vm, kBatchUsage); rc >= 0) return rc;
  if (!FinishRunOptions(vm, ocr, audit_text, "batch", &c)) return kExitBadArguments;
  if (int rc = LoadKey("batch", &c); rc >= 0) return rc;
  c.quiet = vm.count("quiet") > 0;
  c.report = vm.count("no-report") == 0;
  c.deterministic = vm.count("deterministic") > 0;
  if (vm.count("shard")) {
    const std::string shard = vm["shard"].as<std::string>();
    char slash = 0;
    std::istringstream in(shard);
    if (!(in >> c.shard_index >> slash >> c.shard_count) || slash != '/' || !in.eof()) {
      std::cerr << "redact batch: --shard must be K/N, e.g. --shard 2/8 (got '" << shard << "')\n";
      return kExitBadArguments;
    }
  }
  RunEnvironment run;
  run.stop = &g_stop_requested;
  return RunBatch(c, std::cout, std::cerr, run);
}

int WatchCommand(const std::vector<std::string>& args) {
  WatchConfig w;
  JobConfig& c = w.job;
  std::string audit_text = "plain", ocr = "auto", log_format = "text";
  po::options_description visible("Options");
  visible.add_options()("help,h", "show this help")(
      "settle", po::value(&w.settle_seconds)->default_value(w.settle_seconds),
      "seconds a file must stay unchanged before it is taken, when it was not closed after "
      "writing (a file closed after writing, or moved in, is taken at once)")(
      "retry-after", po::value(&w.retry_seconds)->default_value(w.retry_seconds),
      "seconds before a document is tried again when the machine refused its release (a full "
      "disk, a read-only OUT); it stays claimed meanwhile")(
      "log-format", po::value(&log_format)->default_value(log_format),
      "text (one line per event, for journald) or json (one JSON object per line)");
  AddRunOptions(&visible, &c, &audit_text);
  AddDocumentOptions(&visible, &c, &ocr);
  po::variables_map vm;
  if (int rc = ParseWithInputs(args, visible, &c.inputs, &vm, kWatchUsage); rc >= 0) return rc;
  if (!FinishRunOptions(vm, ocr, audit_text, "watch", &c)) return kExitBadArguments;
  if (int rc = LoadKey("watch", &c); rc >= 0) return rc;
  if (log_format != "text" && log_format != "json") {
    std::cerr << "redact watch: --log-format must be text or json\n";
    return kExitBadArguments;
  }
  w.log_json = log_format == "json";
  c.quiet = true;
  c.report = false;
  RunEnvironment run;
  run.stop = &g_stop_requested;
  run.reload = &g_reload_requested;
  CatchHangup();
  return RunWatch(w, std::cerr, run);
}

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

int ScanCommand(const std::vector<std::string>& args) {
  JobConfig c;
  std::string ocr = "auto";
  po::options_description visible("Options");
  visible.add_options()("help,h", "show this help");
  AddDocumentOptions(&visible, &c, &ocr);
  po::variables_map vm;
  if (int rc = ParseWithInputs(args, visible, &c.inputs, &vm, kScanUsage); rc >= 0) return rc;
  if (!ParseOcrMode(ocr, &c.ocr)) return kExitBadArguments;
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
  auto catalog = LoadRules(c.rules.empty() ? DefaultRulePaths() : c.rules);
  if (!catalog.ok()) {
    std::cerr << "redact scan: invalid rules: " << catalog.status().message() << "\n";
    return kExitInvalidRules;
  }
  std::vector<std::string> skipped;
  bool failed = false, found = false;
  IngestLimits limits;
  limits.max_file_bytes = c.max_file_bytes;
  for (const InputFile& in : CollectInputs(c.inputs, &skipped)) {
    auto src = IngestFile(in.path, in.relative, limits);
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
      std::cout << in.path << ": error: " << findings.status().message() << "\n";
      failed = true;
      continue;
    }
    for (const Finding& f : *findings) {
      std::string text = f.text;
      for (char& ch : text) {
        if (ch == '\n') ch = ' ';
      }
      std::cout << in.path << ":" << f.page << ": "
                << (f.action == Action::kRedact ? "redact "
                    : f.action == Action::kFlag ? "flag   "
                                                : "note   ")
                << f.exemption << " " << f.rule_id << " \"" << text << "\"\n";
      if (f.action == Action::kRedact) found = true;
    }
  }
  if (found) return kExitFindings;
  return failed ? kExitSomeFailed : kExitOk;
}

}  // namespace redact
