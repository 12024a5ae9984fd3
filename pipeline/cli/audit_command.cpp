#include <iostream>

#include "pipeline/audit/audit_log.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/exit_codes.h"

namespace redact {

namespace {
const char* kAuditUsage = R"(Usage: redact audit verify AUDIT.jsonl
       redact audit merge A.jsonl B.jsonl ... -o MERGED.jsonl

verify: checks the hash chain of an audit log: every line must carry the sha256 of the line
        before it. Exit 0 when intact; 1 when broken, naming the first bad line.
merge:  joins logs from several runs or shards into one new chain (each record keeps its
        content and gains source_log and source_seq). Every input must verify first.
)";
}  // namespace

int AuditCommand(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
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
      return s.code() == Status::Code::kIo ? kExitOutputNotWritable : kExitSomeFailed;
    }
    std::cout << "merged " << inputs.size() << " logs into " << out << "\n";
    return kExitOk;
  }
  if (args.size() != 2 || args[0] != "verify") {
    std::cerr << kAuditUsage;
    return kExitBadArguments;
  }
  ChainCheck c = VerifyAuditChain(args[1]);
  if (!c.intact) {
    std::cerr << args[1] << ": BROKEN: " << c.message << "\n";
    return 1;
  }
  std::cout << args[1] << ": intact, " << c.lines << " records\n";
  return kExitOk;
}

}  // namespace redact
