#include <iostream>

#include "pipeline/audit/audit_log.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/exit_codes.h"

namespace redact {

namespace {
const char* kAuditUsage = R"(Usage: redact audit verify AUDIT.jsonl

Checks the hash chain of an audit log: every line must carry the sha256 of the line before
it. Exit 0 when intact; 1 when broken, naming the first bad line.
)";
}  // namespace

int AuditCommand(const std::vector<std::string>& args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << kAuditUsage;
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
