#pragma once
// Runs one document in a child process so that a hostile file cannot hang, crash or exhaust
// the batch: the child gets a memory limit (RLIMIT_AS) and a wall-clock deadline, after which
// it is killed. Thread-safe: several threads may run children at once.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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

// A process that has done once what every document worker does first (load the rules, load
// Tesseract's model) and forks a worker per document from there: each document still gets a
// process of its own, with its own memory limit and deadline, killed alone, without paying
// for an exec, the rules and the OCR model every time (a fifth of a second a document).
class WorkerZygote {
 public:
  // Starts `argv` (ourselves, "__zygote"), giving it `preload` (ZygoteMain's `prepare` gets
  // it). Call it from a thread that outlives the zygote: the zygote dies with that thread.
  // Null when it cannot be started.
  static std::unique_ptr<WorkerZygote> Start(const std::vector<std::string>& argv,
                                             const std::string& preload);
  // Closes the control socket: the zygote exits, and any worker still running dies with it.
  ~WorkerZygote();

  // Gives the zygote `message` (ZygoteMain's `prepare` gets it), for the workers it forks
  // from then on. False when the zygote is gone.
  bool Send(const std::string& message) const;

  // As RunIsolated, in a worker forked by the zygote. `ran` is false (and nothing was run)
  // when the zygote could not start one: run the document another way. Thread-safe.
  ChildOutcome Run(const std::string& input, double timeout_seconds, uint64_t max_memory_bytes,
                   const std::function<void(const std::string&)>& on_progress, bool* ran) const;

 private:
  WorkerZygote() = default;
  int control_ = -1;
  pid_t pid_ = 0;
  mutable std::mutex mu_;  // one request on the control socket at a time
};

// The descriptor a zygote reads its requests from.
constexpr int kZygoteControlFd = 3;

// The zygote's side (`redact __zygote`): reads the preload message and gives it to `prepare`
// (and so any later message sent with Send), then for each request forks a worker that runs `work`
// (DocumentWorkerMain) with the request's pipes as its stdin and stdout, and reports its pid and
// how it ended. Returns when the batch closes the control socket.
int ZygoteMain(const std::function<void(const std::string&)>& prepare,
               const std::function<int()>& work);

// The path of the running executable (to start workers of ourselves).
std::string SelfExecutable();

}  // namespace redact
