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
      "password", po::value(&c->password),
      "password for encrypted PDFs (owner or user password); seen by anyone who lists the "
      "machine's processes: prefer --password-file or $REDACT_PASSWORD")(
      "password-file", po::value<std::string>(),
      "read the password from the first line of this file (e.g. one only you can read)")(
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

// --config FILE (TOML): what would otherwise be written on the command line (a unit's
// ExecStart), one key per long option (`jobs = 2`, `rules = ["a", "b"]`, `release-flagged =
// true`), and `inbox` / `inputs` / `out` for the folders. The command line wins over the file.
// Returns the file's options as arguments, or a message naming what is wrong.
Result<std::vector<std::string>> ConfigArgs(const std::string& path,
                                            const po::options_description& visible,
                                            const po::variables_map& given, bool has_inputs) {
  auto parsed = ReadTomlFile(path, 1 << 20);
  if (!parsed.ok()) return parsed.status();
  const toml::table& doc = *parsed;
  std::vector<std::string> out, positional;
  for (auto&& [k, v] : doc) {
    std::string key(k.str());
    if (key == "inbox" || key == "inputs" || key == "input") {
      if (has_inputs) continue;  // given on the command line
      if (auto s = v.value<std::string>()) positional.push_back(*s);
      if (const toml::array* a = v.as_array()) {
        for (const toml::node& e : *a) {
          if (auto s = e.value<std::string>()) positional.push_back(*s);
        }
      }
      continue;
    }
    if (key == "out") key = "output";
    // The daemon's own keys: a batch reads the daemon's file (the review's apply does) for
    // everything else.
    if ((key == "settle" || key == "retry-after" || key == "log-format") &&
        !visible.find_nothrow(key, false)) {
      continue;
    }
    const po::option_description* opt = visible.find_nothrow(key, false);
    if (!opt || key == "config" || key == "help" || key == "check-config") {
      return Status::InvalidInput(path + ": unknown key '" + std::string(k.str()) + "'",
                                  "Keys are the command's long options without the dashes "
                                  "(see --help), and inbox/inputs and out.");
    }
    if (given.count(key) && !given[key].defaulted()) continue;  // the command line wins
    auto add = [&](const toml::node& n) -> Status {
      if (auto b = n.value_exact<bool>()) {
        if (*b) out.push_back("--" + key);
        return Status::Ok();
      }
      std::string value;
      if (auto s = n.value_exact<std::string>()) {
        value = *s;
      } else if (auto i = n.value_exact<int64_t>()) {
        value = std::to_string(*i);
      } else if (auto d = n.value_exact<double>()) {
        std::ostringstream os;
        os << *d;
        value = os.str();
      } else {
        return Status::InvalidInput(path + ": '" + key +
                                    "' must be a string, a number, a "
                                    "boolean or an array of them");
      }
      out.push_back("--" + key + "=" + value);
      return Status::Ok();
    };
    if (const toml::array* a = v.as_array()) {
      for (const toml::node& e : *a) {
        if (Status s = add(e); !s.ok()) return s;
      }
    } else if (Status s = add(v); !s.ok()) {
      return s;
    }
  }
  out.insert(out.end(), positional.begin(), positional.end());
  return out;
}

// Parse with the inputs, then what the configuration file adds (--config, or `fallback` when
// it exists and no --config was given). `config` receives the file used, if any.
int ParseWithConfig(const std::vector<std::string>& args, po::options_description* visible,
                    std::vector<std::string>* inputs, po::variables_map* vm, const char* usage,
                    const char* command, const std::string& fallback, std::string* config) {
  visible->add_options()(
      "config", po::value(config),
      ("read options from this TOML file (the command line wins)" +
       (fallback.empty() ? std::string() : "; default " + fallback + " if it exists"))
          .c_str());
  std::string path;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) path = args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) path = args[i].substr(9);
  }
  std::error_code ec;
  if (path.empty() && !fallback.empty() && fs::exists(fallback, ec)) path = fallback;
  if (path.empty()) return ParseWithInputs(args, *visible, inputs, vm, usage);
  // What the command line gives (stored, not checked: a required option may be the file's).
  po::variables_map given;
  std::vector<std::string> ignored;
  try {
    po::options_description all;
    all.add(*visible).add_options()("input", po::value(&ignored)->composing());
    po::positional_options_description pos;
    pos.add("input", -1);
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), given);
  } catch (const po::error&) {
    return ParseWithInputs(args, *visible, inputs, vm, usage);  // says what is wrong
  }
  if (given.count("help")) return ParseWithInputs(args, *visible, inputs, vm, usage);
  auto extra = ConfigArgs(path, *visible, given, given.count("input") > 0);
  if (!extra.ok()) {
    std::cerr << "redact " << command << ": --config: " << extra.status().message() << "\n";
    if (!extra.status().hint().empty()) std::cerr << "  " << extra.status().hint() << "\n";
    return kExitBadArguments;
  }
  std::vector<std::string> all = args;
  all.insert(all.end(), extra->begin(), extra->end());
  const int rc = ParseWithInputs(all, *visible, inputs, vm, usage);
  *config = path;
  return rc;
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
      "start LibreOffice afresh for every Office document (a second or more "
      "each) instead of keeping one per --jobs slot, so that no two documents share one");
}

// Reads back what AddRunOptions and AddDocumentOptions could not bind directly.
// The password: --password, else the first line of --password-file, else $REDACT_PASSWORD.
bool ResolvePassword(const po::variables_map& vm, const char* command, JobConfig* c) {
  if (vm.count("password-file")) {
    const std::string path = vm["password-file"].as<std::string>();
    auto bytes = ReadFile(path, 1 << 16);
    if (!bytes.ok()) {
      std::cerr << "redact " << command << ": --password-file: " << bytes.status().message()
                << "\n";
      return false;
    }
    std::string line = bytes->substr(0, bytes->find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    c->password = line;
  } else if (c->password.empty()) {
    if (const char* env = std::getenv("REDACT_PASSWORD")) c->password = env;
  }
  return true;
}

bool FinishRunOptions(const po::variables_map& vm, const std::string& ocr,
                      const std::string& audit_text, const char* command, JobConfig* c) {
  if (!ParseOcrMode(ocr, &c->ocr)) return false;
  if (!ResolvePassword(vm, command, c)) return false;
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

namespace {

// A stream buffer that passes everything on and keeps a copy (or only counts it).
class TeeBuffer : public std::streambuf {
 public:
  TeeBuffer(std::streambuf* to, bool keep) : to_(to), keep_(keep) {}
  const std::string& kept() const { return kept_; }
  size_t count() const { return count_; }

 protected:
  int overflow(int c) override {
    if (c == EOF) return 0;
    ++count_;
    if (keep_) kept_ += char(c);
    return to_->sputc(char(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    count_ += size_t(n);
    if (keep_) kept_.append(s, size_t(n));
    return to_->sputn(s, n);
  }
  int sync() override { return to_->pubsync(); }

 private:
  std::streambuf* to_;
  bool keep_;
  std::string kept_;
  size_t count_ = 0;
};

int RunBatchCommand(const std::vector<std::string>& args);

}  // namespace

// --json promises one JSON object on standard output, whatever the exit: a run that stopped
// before its summary (bad arguments, an unwritable OUT, a key that cannot be read) gives its
// exit code and what it said on standard error.
int BatchCommand(const std::vector<std::string>& args) {
  if (std::find(args.begin(), args.end(), "--json") == args.end() ||
      std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    return RunBatchCommand(args);
  }
  TeeBuffer err(std::cerr.rdbuf(), true), out(std::cout.rdbuf(), false);
  std::streambuf* const old_err = std::cerr.rdbuf(&err);
  std::streambuf* const old_out = std::cout.rdbuf(&out);
  const int rc = RunBatchCommand(args);
  std::cerr.rdbuf(old_err);
  std::cout.rdbuf(old_out);
  if (out.count() == 0) {
    std::string said = err.kept();
    while (!said.empty() && said.back() == '\n') said.pop_back();
    std::cout << json{{"exit_code", rc}, {"error", said}}.dump(-1, ' ', false,
                                                               json::error_handler_t::replace)
              << std::endl;
  }
  return rc;
}

namespace {

int RunBatchCommand(const std::vector<std::string>& args) {
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
      "release-as", po::value<std::vector<std::string>>()->composing(),
      "REL=NAME: the document REL releases as NAME, a numbered form of its own release name "
      "(response.2.pdf), as the daemon named it; redact review's apply uses it")(
      "shard", po::value<std::string>(),
      "K/N: process only the inputs whose sha256 falls in shard K of N (1 <= K <= N); run "
      "the N shards anywhere, then join their audit logs with redact audit merge")(
      "deterministic",
      "fixed timestamps ($SOURCE_DATE_EPOCH or 1970) and no timings in the audit: two runs "
      "of the same inputs give byte-identical releases and audit records")(
      "quiet,q", "no progress line and no summary")(
      "verbose,v",
      "a line per document as it is done: released, waiting or quarantined (and "
      "why), its pages, redactions and flags")(
      "log-file", po::value(&c.log_file),
      "append those lines, the run's start and end, to FILE (with timestamps)")(
      "json",
      "print the summary as one JSON object on standard output (for scripts): counts, "
      "paths, the inputs quarantined or waiting, the exit code");
  AddDocumentOptions(&visible, &c, &ocr);
  po::variables_map vm;
  std::string config;
  if (int rc = ParseWithConfig(args, &visible, &c.inputs, &vm, kBatchUsage, "batch", "", &config);
      rc >= 0)
    return rc;
  if (!FinishRunOptions(vm, ocr, audit_text, "batch", &c)) return kExitBadArguments;
  if (int rc = LoadKey("batch", &c); rc >= 0) return rc;
  c.quiet = vm.count("quiet") > 0;
  c.json_summary = vm.count("json") > 0;
  c.verbose = vm.count("verbose") > 0;
  c.report = vm.count("no-report") == 0;
  c.deterministic = vm.count("deterministic") > 0;
  if (vm.count("release-as")) {
    for (const std::string& a : vm["release-as"].as<std::vector<std::string>>()) {
      const size_t eq = a.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == a.size()) {
        std::cerr << "redact batch: --release-as is REL=NAME (got '" << a << "')\n";
        return kExitBadArguments;
      }
      c.release_as[a.substr(0, eq)] = a.substr(eq + 1);
    }
  }
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

}  // namespace

// redact watch --check-config: everything the daemon needs at start, checked and said.
int CheckWatchConfig(const WatchConfig& w, const std::string& config) {
  const JobConfig& c = w.job;
  std::cout << "configuration: " << (config.empty() ? "(command line only)" : config) << "\n";
  if (c.inputs.size() != 1) {
    std::cerr << "redact watch: give one INBOX (on the command line or as inbox = in the file)\n";
    return kExitBadArguments;
  }
  std::error_code ec;
  const std::string& inbox = c.inputs[0];
  if (!fs::is_directory(inbox, ec) || ::access(inbox.c_str(), R_OK | W_OK | X_OK) != 0) {
    std::cerr << "redact watch: the inbox " << inbox
              << " is not a folder this user can read and write\n";
    return kExitOutputNotWritable;
  }
  fs::path out = fs::absolute(c.out, ec);
  while (!out.empty() && !fs::exists(out, ec)) out = out.parent_path();
  if (::access(out.c_str(), W_OK | X_OK) != 0) {
    std::cerr << "redact watch: " << c.out << " cannot be written by this user (" << out.string()
              << " is not writable)\n";
    return kExitOutputNotWritable;
  }
  auto catalog = LoadRules(RulePathsOf(c));
  if (!catalog.ok()) {
    std::cerr << "redact watch: invalid rules: " << catalog.status().message() << "\n";
    return kExitInvalidRules;
  }
  size_t rules = 0;
  for (const RuleSet& rs : catalog->sets) rules += rs.rules.size();
  if (c.ocr != OcrMode::kNever) {
    if (Status s = CheckOcrAvailable(); !s.ok()) {
      std::cerr << "redact watch: " << s.message() << "\n  " << s.hint() << "\n";
      return kExitMissingDependency;
    }
  }
  std::cout << "inbox:         " << inbox << "\n"
            << "out:           " << c.out << "\n"
            << "rules:         " << rules << " rules from";
  for (const std::string& r : RulePathsOf(c)) std::cout << " " << r;
  std::cout << "\njobs:          " << c.jobs << "\n"
            << "audit key:     " << c.key_file << "\n"
            << "configuration OK\n";
  return kExitOk;
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
  visible.add_options()("check-config",
                        "check the options (and the configuration file), the folders, the rules "
                        "and the audit key, say what the daemon would run with, and exit");
  std::string config;
  const char* env_config = std::getenv("REDACT_CONFIG");
  if (int rc = ParseWithConfig(args, &visible, &c.inputs, &vm, kWatchUsage, "watch",
                               env_config ? env_config : "/etc/redact/redact.toml", &config);
      rc >= 0)
    return rc;
  if (!FinishRunOptions(vm, ocr, audit_text, "watch", &c)) return kExitBadArguments;
  if (int rc = LoadKey("watch", &c); rc >= 0) return rc;
  if (log_format != "text" && log_format != "json") {
    std::cerr << "redact watch: --log-format must be text or json\n";
    return kExitBadArguments;
  }
  if (vm.count("check-config")) return CheckWatchConfig(w, config);
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
