#pragma once
// One function per sub-command. Each parses its own options (Boost.Program_options), checks
// them, runs, and returns an ExitCode. main() only dispatches.

#include <atomic>
#include <string>
#include <vector>

namespace redact {

// The process's signals, owned by the command line (the pipeline is handed pointers to them):
// SIGINT/SIGTERM set the stop flag, SIGHUP (under `watch` only) the reload flag.
extern std::atomic<bool> g_stop_requested;
extern std::atomic<bool> g_reload_requested;
void CatchHangup();

int BatchCommand(const std::vector<std::string>& args);
int WatchCommand(const std::vector<std::string>& args);
int ScanCommand(const std::vector<std::string>& args);
int RulesCommand(const std::vector<std::string>& args);
int AuditCommand(const std::vector<std::string>& args);
int ReportCommand(const std::vector<std::string>& args);
int ReviewCommand(const std::vector<std::string>& args);

}  // namespace redact
