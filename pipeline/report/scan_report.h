#pragma once
// The reports of `redact scan`: what the rules found in each file, as text for a terminal,
// JSON for scripts, or SARIF 2.1.0 for code-scanning tools; and the alerts of an earlier
// report (--baseline). Nothing of a release is written.

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pipeline/core/rule.h"
#include "pipeline/core/status.h"
#include "pipeline/core/types.h"

namespace redact {

// One finding of a scan, as every format reports it.
struct ScanHit {
  Finding finding;
  int line = 0;             // a text file's line; 0 for pages
  std::string fingerprint;  // which alert this is (ScanFingerprint)
};

struct ScanFile {
  std::string path;
  std::string error;  // empty: read
  bool text = false;
  std::vector<ScanHit> hits;
};

// Which alert a finding is, run after run, without its text: its rule, its file and which
// finding of that rule in the file it is. SARIF's partialFingerprints and --baseline use it.
std::string ScanFingerprint(const std::string& rule, const std::string& path, int occurrence);

// The alerts of an earlier `redact scan --format json` or `--format sarif` report.
Result<std::set<std::string>> BaselineFingerprints(const std::string& path);

std::string ScanText(const std::vector<ScanFile>& files);
nlohmann::json ScanJson(const std::vector<ScanFile>& files);
// `show_text`: the matched text in each result (left out by default: a SARIF report is often
// uploaded where more people read it than read the documents).
nlohmann::json ScanSarif(const std::vector<ScanFile>& files, const std::vector<Rule>& rules,
                         bool show_text);

}  // namespace redact
