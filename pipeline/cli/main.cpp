// redact: turns draft disclosure documents into release copies that are safe to publish.
#include <malloc.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "pipeline/batch/batch.h"
#include "pipeline/batch/isolation.h"
#include "pipeline/batch/worker.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/build_info.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/extract/office_server.h"

namespace {

const char* kUsage = R"(redact - release copies of FOI drafts that are safe to publish

Usage:
  redact batch IN... -o OUT        redact every file under IN into OUT/release
  redact watch INBOX -o OUT        a daemon: redact every file dropped into INBOX
  redact scan FILE...              report what the rules would redact (exit 3 if anything)
  redact report AUDIT -o FILE      the reviewer report (HTML) from an audit log
  redact review OUT                review in the browser: decide, redact by hand, apply
  redact rules test [RULES...]     run every rule's examples
  redact rules lint [RULES...]     check rule files without running documents
  redact rules explain "TEXT"      which rule matches which span, and why (exit 3 if any)
  redact audit verify AUDIT.jsonl  check the audit log's hash chain
  redact audit merge A B... -o OUT join audit logs of several runs into one chain
  redact --version (-V)

Every command takes --help. Exit codes: 0 ok, 1 bad arguments, 2 some inputs quarantined,
3 findings (scan), 4 invalid rules, 5 missing dependency, 6 output not writable,
7 some documents wait for a reviewer's decision (OUT/review/), 8 audit log broken,
130 interrupted.
)";

// The first SIGINT/SIGTERM lets documents in progress finish; a second one stops at once.
void OnSignal(int sig) {
  if (redact::g_stop_requested.exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

void OnHangup(int) { redact::g_reload_requested = true; }

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
// Under -DREDACT_SANITIZE=ON: fontconfig (loaded by Poppler) keeps its configuration for the
// life of the process and never frees it; LeakSanitizer would report it at every exit.
extern "C" const char* __lsan_default_suppressions() { return "leak:libfontconfig.so\n"; }
#endif

namespace redact {

std::atomic<bool> g_stop_requested{false};
std::atomic<bool> g_reload_requested{false};

void CatchHangup() {
  struct sigaction sa {};
  sa.sa_handler = OnHangup;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGHUP, &sa, nullptr);
}

}  // namespace redact

int main(int argc, char** argv) {
  // A worker slot's LibreOffice: none of what follows (allocator tuning, our signal handlers)
  // is for it.
  if (argc >= 2 && std::string(argv[1]) == "__office-server") {
    return redact::OfficeServerMain(std::vector<std::string>(argv + 2, argv + argc));
  }
  // Page rasters are a few MB each and come and go once per page: keep them in the heap for
  // reuse rather than mapping and faulting in fresh memory every time.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return redact::kExitBadArguments;
  }
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << kUsage;
    return redact::kExitOk;
  }
  if (cmd == "--version" || cmd == "-V" || cmd == "version") {
    std::cout << "redact " << redact::kVersion << "\n";
    return redact::kExitOk;
  }
  int rc;
  if (cmd == "__document") {
    rc = redact::DocumentWorkerMain();
  } else if (cmd == "__zygote") {
    rc = redact::ZygoteMain(redact::PrepareWorkers, redact::DocumentWorkerMain);
  } else if (cmd == "batch") {
    rc = redact::BatchCommand(args);
  } else if (cmd == "watch") {
    rc = redact::WatchCommand(args);
  } else if (cmd == "scan") {
    rc = redact::ScanCommand(args);
  } else if (cmd == "rules") {
    rc = redact::RulesCommand(args);
  } else if (cmd == "report") {
    rc = redact::ReportCommand(args);
  } else if (cmd == "review") {
    rc = redact::ReviewCommand(args);
  } else if (cmd == "audit") {
    rc = redact::AuditCommand(args);
  } else {
    std::cerr << "redact: unknown command '" << cmd << "' (redact --help lists them)\n";
    return redact::kExitBadArguments;
  }
  // A worker finishes its document whatever its parent was told; the parent decides.
  if (redact::g_stop_requested && rc == redact::kExitOk && cmd != "__document" &&
      cmd != "__zygote" && cmd != "watch") {
    rc = redact::kExitInterrupted;
  }
  return rc;
}
