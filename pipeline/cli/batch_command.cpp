// redact batch: every input under IN... redacted into OUT.
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

}  // namespace redact
