#pragma once
// Runs one document in a child process so that a hostile file cannot hang, crash or exhaust
// the batch: the child gets a memory limit (RLIMIT_AS) and a wall-clock deadline, after which
// it is killed. Thread-safe: several threads may run children at once.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace redact {

struct ChildOutcome {
  bool timed_out = false;
  int exit_code = -1;  // when it exited normally
  int signal = 0;      // when a signal ended it
  pid_t pid = 0;
  std::string output;  // what it wrote to stdout
};

// Runs `argv` (argv[0] is the program path) with `input` on its stdin.
// Lines it writes starting with "#progress " are taken out of `output` and given to
// `on_progress` (without the prefix) as they come.
ChildOutcome RunIsolated(const std::vector<std::string>& argv, const std::string& input,
                         double timeout_seconds, uint64_t max_memory_bytes,
                         const std::function<void(const std::string&)>& on_progress = {});

// The path of the running executable (to start workers of ourselves).
std::string SelfExecutable();

}  // namespace redact
