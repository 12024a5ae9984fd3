// redact watch: the daemon over an inbox.
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

}  // namespace redact
