#include <filesystem>
#include <iostream>

#include "pipeline/audit/audit_log.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/audit_key.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/report/report.h"

namespace redact {

namespace {
const char* kAuditUsage = R"(Usage: redact audit verify AUDIT.jsonl [--key-file KEY]
       redact audit merge A.jsonl B.jsonl ... -o MERGED.jsonl

verify: checks the hash chain of an audit log: every line must carry the sha256 of the line
        before it. Exit 0 when intact; 8 when broken, naming the first bad line; 1 when
        it cannot be read. The chain needs no key, so it shows edits, removals and
        reorderings by someone who did not recompute it; with --key-file (the
        installation's audit key), the log is also checked against its anchor
        (AUDIT.jsonl.anchor, an HMAC of its last line under the key), which shows lines cut
        from its end and a chain recomputed by anyone without the key.
merge:  joins logs from several runs or shards into one new chain (each record keeps its
        content and gains source_log and source_seq). Every input must verify first: exit 8
        when one does not, 6 when MERGED cannot be written.
)";

bool WantsHelp(const std::vector<std::string>& args) {
  for (const std::string& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}
}  // namespace

int AuditCommand(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kAuditUsage;
    return kExitOk;
  }
  if (!args.empty() && args[0] == "merge") {
    std::vector<std::string> inputs;
    std::string out;
    for (size_t i = 1; i < args.size(); ++i) {
      if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
        out = args[++i];
      } else {
        inputs.push_back(args[i]);
      }
    }
    if (inputs.empty() || out.empty()) {
      std::cerr << kAuditUsage;
      return kExitBadArguments;
    }
    Status s = MergeAuditLogs(inputs, out);
    if (!s.ok()) {
      std::cerr << "redact audit merge: " << s.message() << "\n";
      return s.code() == Status::Code::kTampered ? kExitAuditBroken
             : s.code() == Status::Code::kIo     ? kExitOutputNotWritable
                                                 : kExitBadArguments;
    }
    std::cout << "merged " << inputs.size() << " logs into " << out << "\n";
    return kExitOk;
  }
  std::string key_file;
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--key-file" && i + 1 < args.size()) {
      key_file = args[++i];
    } else {
      rest.push_back(args[i]);
    }
  }
  if (rest.size() != 2 || rest[0] != "verify") {
    std::cerr << kAuditUsage;
    return kExitBadArguments;
  }
  const std::string& log = rest[1];
  std::error_code ec;
  if (!std::filesystem::is_regular_file(log, ec)) {
    std::cerr << "redact audit verify: cannot read " << log << " (not a file)\n";
    return kExitBadArguments;
  }
  std::string key;
  if (!key_file.empty()) {
    // Never made here: verifying with a new key would vouch for nothing.
    if (!std::filesystem::is_regular_file(key_file, ec)) {
      std::cerr << "redact audit verify: no key at " << key_file << "\n";
      return kExitBadArguments;
    }
    auto loaded = LoadAuditKey(key_file);
    if (!loaded.ok()) {
      std::cerr << "redact audit verify: " << loaded.status().message() << "\n";
      return kExitBadArguments;
    }
    key = *loaded;
  }
  ChainCheck c = VerifyAuditChain(log);
  if (!c.intact) {
    std::cerr << log << ": BROKEN: " << c.message << "\n";
    return kExitAuditBroken;
  }
  if (!key.empty()) {
    if (Status s = CheckAuditAnchor(log, c, key); !s.ok()) {
      std::cerr << log << ": BROKEN: " << s.message() << "\n";
      return kExitAuditBroken;
    }
    std::cout << log << ": intact and matches its anchor, " << c.lines << " records\n";
    return kExitOk;
  }
  std::cout << log << ": intact, " << c.lines << " records (chain only: give --key-file to "
            << "check its anchor too)\n";
  return kExitOk;
}

namespace {
const char* kReportUsage =
    R"(Usage: redact report OUT/audit/audit.jsonl -o report.html [--no-thumbnails]

Writes the reviewer report: one self-contained HTML file (no network needed) with a summary
(redactions per exemption and rule, flags awaiting a decision, quarantined files and why) and,
per document, thumbnails of the original pages with every finding outlined and numbered beside
the release pages, and a table of every finding with its text in context, source, confidence,
fingerprint and decision. A batch writes the same report to OUT/audit/report.html.
The audit log must verify.
)";
}  // namespace

int ReportCommand(const std::vector<std::string>& args) {
  std::string audit, out;
  ReportOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "-h" || args[i] == "--help") {
      std::cout << kReportUsage;
      return kExitOk;
    } else if ((args[i] == "-o" || args[i] == "--output") && i + 1 < args.size()) {
      out = args[++i];
    } else if (args[i] == "--no-thumbnails") {
      options.thumbnails = false;
    } else if (audit.empty() && args[i][0] != '-') {
      audit = args[i];
    } else {
      std::cerr << "redact report: unexpected argument '" << args[i] << "'\n\n" << kReportUsage;
      return kExitBadArguments;
    }
  }
  if (audit.empty() || out.empty()) {
    std::cerr << "redact report: "
              << (audit.empty() ? "which audit log? (OUT/audit/audit.jsonl)"
                                : "where to? -o FILE is required (e.g. -o report.html)")
              << "\nUsage: redact report OUT/audit/audit.jsonl -o report.html (--help for more)\n";
    return kExitBadArguments;
  }
  // OUT is the folder holding audit/: release thumbnails are read from OUT/release.
  options.out_root = std::filesystem::path(audit).parent_path().parent_path().string();
  Status s = WriteReport(audit, out, options);
  if (!s.ok()) {
    std::cerr << "redact report: " << s.message() << "\n";
    return s.code() == Status::Code::kIo ? kExitOutputNotWritable : kExitBadArguments;
  }
  std::cout << "wrote " << out << "\n";
  return kExitOk;
}

}  // namespace redact
