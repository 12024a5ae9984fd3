#pragma once
// What every way of running LibreOffice shares (office.cpp runs it once per document,
// office_server.cpp keeps one running): where it is, its profile's settings, the environment
// it is given, and how paths are written as its URLs.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/core/status.h"

namespace redact {

// soffice.bin itself ($REDACT_SOFFICE overrides it, for tests that fake a LibreOffice), and
// the folder it is in (LibreOfficeKit's install path).
std::string LibreOfficeProgram();
std::string LibreOfficeProgramDir();

// A file URL for `path`, every byte but unreserved ones percent-encoded (a folder named "a#b"
// would otherwise cut the URL short, and LibreOffice fall back to another profile).
std::string FileUrl(const std::string& path);

// Writes a throwaway profile into `profile_dir`: macros never run, links never updated,
// nothing fetched or locked.
Status WriteLibreOfficeProfile(const std::string& profile_dir);

// LibreOffice's environment: only the variables it needs from ours (the locale, TZ), no
// display, no PATH (no program to start), HOME and TMPDIR as given. "NAME=value" strings.
std::vector<std::string> LibreOfficeEnvironment(const std::string& home, const std::string& tmp);

// A LibreOffice (or our server of one) to start: `args` (args[0] a path) with exactly `env`,
// in its own process group, in `work_dir`, stderr appended to `log`, no descriptor of ours
// open but the three standard ones.
struct ConfinedChild {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string work_dir;
  std::string log;
  int stdin_fd = -1;              // -1: /dev/null
  int stdout_fd = -1;             // -1: the log
  uint64_t max_memory_bytes = 0;  // address space; 0: as inherited
  // Killed when the thread that starts it ends (PR_SET_PDEATHSIG), whatever ends it. A child
  // that outlives its starting thread needs another tie (the server's lifeline).
  bool die_with_thread = true;
};

// Forks and execs `child`. Returns its pid, or -1.
pid_t SpawnConfined(const ConfinedChild& child);

}  // namespace redact
