#include "pipeline/batch/isolation.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "pipeline/core/files.h"
#include "pipeline/core/sanitizer.h"

namespace redact {

std::string SelfExecutable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

ChildOutcome RunIsolated(const std::vector<std::string>& argv, const std::string& input,
                         double timeout_seconds, uint64_t max_memory_bytes,
                         const std::function<void(const std::string&)>& on_progress) {
  ChildOutcome out;
  int in_pipe[2], out_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return out;
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return out;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec. It dies with the thread that started
    // it, so a killed batch or daemon leaves no orphan still writing a release.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    if (max_memory_bytes > 0 && !REDACT_ASAN) {
      struct rlimit rl;
      rl.rlim_cur = rl.rlim_max = max_memory_bytes;
      ::setrlimit(RLIMIT_AS, &rl);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  if (pid < 0) {
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    return out;
  }
  out.pid = pid;
  // The job description is small (well under a pipe buffer); write it and close.
  WriteFully(in_pipe[1], input);  // a child gone already is seen by its exit below
  ::close(in_pipe[1]);

  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(timeout_seconds * 1000));
  char buf[65536];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      out.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    struct pollfd pfd = {out_pipe[0], POLLIN, 0};
    int r = ::poll(&pfd, 1, int(std::min<int64_t>(left, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child closed stdout (it is exiting)
    out.output.append(buf, size_t(n));
    // Progress lines, whole ones, out of the answer as they arrive.
    static const std::string kMark = "#progress ";
    for (size_t at; (at = out.output.find(kMark)) != std::string::npos;) {
      const size_t end = out.output.find('\n', at);
      if (end == std::string::npos) break;
      if (on_progress) on_progress(out.output.substr(at + kMark.size(), end - at - kMark.size()));
      out.output.erase(at, end + 1 - at);
    }
  }
  ::close(out_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

}  // namespace redact
