#pragma once
// One function per sub-command. Each parses its own options (Boost.Program_options), checks
// them, runs, and returns an ExitCode. main() only dispatches.

#include <string>
#include <vector>

namespace redact {

int BatchCommand(const std::vector<std::string>& args);
int WatchCommand(const std::vector<std::string>& args);
int ScanCommand(const std::vector<std::string>& args);
int RulesCommand(const std::vector<std::string>& args);
int AuditCommand(const std::vector<std::string>& args);
int ReportCommand(const std::vector<std::string>& args);

}  // namespace redact
