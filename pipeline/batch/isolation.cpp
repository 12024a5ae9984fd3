#include "pipeline/batch/isolation.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "pipeline/core/files.h"
#include "pipeline/core/sanitizer.h"

namespace redact {

std::string SelfExecutable() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

namespace {

// argv as execv takes it (pointers into `argv`, which must outlive them).
std::vector<char*> ArgvPointers(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  return args;
}

// In a child just forked from `parent`: it dies with the thread that forked it, so a killed
// batch or daemon leaves no orphan still writing a release (and at once if that thread is
// gone already). Async-signal-safe.
void DieWithParent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
}

// A worker's address-space limit (none under ASan, which reserves terabytes of it).
void LimitMemory(uint64_t max_memory_bytes) {
  if (max_memory_bytes > 0 && !REDACT_ASAN) {
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = max_memory_bytes;
    ::setrlimit(RLIMIT_AS, &rl);
  }
}

// Reads a worker's answer from `fd` until it closes it, taking out progress lines as they come,
// and kills it (SIGKILL to `pid`) at the deadline.
void ReadAnswer(int fd, pid_t pid, double timeout_seconds,
                const std::function<void(const std::string&)>& on_progress, ChildOutcome* result) {
  ChildOutcome& out = *result;
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
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, int(std::min<int64_t>(left, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
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
}

}  // namespace

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
  std::vector<char*> args = ArgvPointers(argv);
  const pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    DieWithParent(parent);
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    LimitMemory(max_memory_bytes);
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

  ReadAnswer(out_pipe[0], pid, timeout_seconds, on_progress, &out);
  ::close(out_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

}  // namespace redact

namespace redact {
namespace {

// One message on a SOCK_SEQPACKET socket: `data`, and `fds` passed along (SCM_RIGHTS).
bool SendMessage(int sock, const std::string& data, const std::vector<int>& fds) {
  struct iovec iov = {const_cast<char*>(data.data()), data.size()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control(CMSG_SPACE(sizeof(int) * std::max<size_t>(1, fds.size())));
  if (!fds.empty()) {
    msg.msg_control = control.data();
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  ssize_t n;
  while ((n = ::sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  return n == ssize_t(data.size());
}

// Receives one message (up to 1 MB); false at EOF or on an error. Passed descriptors are
// received close-on-exec.
bool ReceiveMessage(int sock, std::string* data, std::vector<int>* fds) {
  data->assign(1 << 20, '\0');
  struct iovec iov = {data->data(), data->size()};
  char control[CMSG_SPACE(sizeof(int) * 8)];
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  if (n <= 0) return false;
  data->resize(size_t(n));
  fds->clear();
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds->push_back(fd);
    }
  }
  return true;
}

// Waits up to `ms` for `fd` to be readable; false on a timeout or an error.
bool WaitReadable(int fd, int ms) {
  struct pollfd pfd = {fd, POLLIN, 0};
  int r;
  while ((r = ::poll(&pfd, 1, ms)) < 0 && errno == EINTR) {
  }
  return r > 0;
}

}  // namespace

std::unique_ptr<WorkerZygote> WorkerZygote::Start(const std::vector<std::string>& argv,
                                                  const std::string& preload) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return nullptr;
  std::vector<char*> args = ArgvPointers(argv);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    DieWithParent(parent);  // the batch's main thread; its workers die with it in turn
    if (::dup2(sv[1], kZygoteControlFd) < 0) ::_exit(127);  // dup2 clears close-on-exec
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(sv[1]);
  if (pid < 0 || !SendMessage(sv[0], preload, {})) {
    ::close(sv[0]);
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    return nullptr;
  }
  auto z = std::unique_ptr<WorkerZygote>(new WorkerZygote());
  z->control_ = sv[0];
  z->pid_ = pid;
  return z;
}

WorkerZygote::~WorkerZygote() {
  if (control_ >= 0) ::close(control_);  // the zygote sees EOF and exits
  if (pid_ > 0) {
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

bool WorkerZygote::Send(const std::string& message) const {
  std::lock_guard<std::mutex> lock(mu_);
  return SendMessage(control_, message, {});
}

ChildOutcome WorkerZygote::Run(const std::string& input, double timeout_seconds,
                               uint64_t max_memory_bytes,
                               const std::function<void(const std::string&)>& on_progress,
                               bool* ran) const {
  ChildOutcome out;
  *ran = false;
  int in_pipe[2], out_pipe[2], status[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return out;
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    return out;
  }
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, status) != 0) {
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1]}) ::close(fd);
    return out;
  }
  bool sent;
  {
    std::lock_guard<std::mutex> lock(mu_);
    sent = SendMessage(control_, std::to_string(max_memory_bytes),
                       {in_pipe[0], out_pipe[1], status[1]});
  }
  for (int fd : {in_pipe[0], out_pipe[1], status[1]}) ::close(fd);
  // The zygote answers with the worker's pid as soon as it has forked it.
  std::string reply;
  std::vector<int> none;
  pid_t pid = 0;
  if (sent && WaitReadable(status[0], 30000) && ReceiveMessage(status[0], &reply, &none)) {
    pid = pid_t(std::atoll(reply.c_str()));
  }
  if (pid <= 0) {
    for (int fd : {in_pipe[1], out_pipe[0], status[0]}) ::close(fd);
    return out;  // the zygote is gone: the caller runs the document another way
  }
  *ran = true;
  out.pid = pid;
  WriteFully(in_pipe[1], input);
  ::close(in_pipe[1]);
  ReadAnswer(out_pipe[0], pid, timeout_seconds, on_progress, &out);
  ::close(out_pipe[0]);
  // Then how it ended, once the zygote has reaped it (a killed worker, a moment later).
  if (ReceiveMessage(status[0], &reply, &none)) {
    const int st = std::atoi(reply.c_str());
    if (WIFEXITED(st)) out.exit_code = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) out.signal = WTERMSIG(st);
  } else {
    out.signal = SIGKILL;  // the zygote died, and its workers with it
  }
  ::close(status[0]);
  return out;
}

int ZygoteMain(const std::function<void(const std::string&)>& prepare,
               const std::function<int()>& work) {
  const int control = kZygoteControlFd;
  ::fcntl(control, F_SETFD, FD_CLOEXEC);
  std::string message;
  std::vector<int> fds;
  if (!ReceiveMessage(control, &message, &fds)) return 0;
  prepare(message);
  // SIGCHLD through a descriptor, so that one poll waits for requests and for workers.
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, &old);
  const int sfd = ::signalfd(-1, &chld, SFD_CLOEXEC);
  if (sfd < 0) return 1;
  std::map<pid_t, int> running;  // worker -> its status socket
  const pid_t self = ::getpid();
  while (true) {
    struct pollfd pfd[2] = {{control, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (::poll(pfd, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (pfd[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (::read(sfd, &info, sizeof info) < 0 && errno == EINTR) {
      }
      int st = 0;
      for (pid_t done; (done = ::waitpid(-1, &st, WNOHANG)) > 0;) {
        auto it = running.find(done);
        if (it == running.end()) continue;
        SendMessage(it->second, std::to_string(st), {});
        ::close(it->second);
        running.erase(it);
      }
    }
    if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    if (!ReceiveMessage(control, &message, &fds)) return 0;  // the batch is done
    if (fds.empty()) {
      prepare(message);
      continue;
    }
    if (fds.size() != 3) {
      for (int fd : fds) ::close(fd);
      continue;
    }
    const uint64_t max_memory_bytes = std::strtoull(message.c_str(), nullptr, 10);
    const pid_t pid = ::fork();
    if (pid == 0) {
      DieWithParent(self);
      ::sigprocmask(SIG_SETMASK, &old, nullptr);
      ::close(control);
      ::close(sfd);
      for (const auto& [p, fd] : running) ::close(fd);
      ::close(fds[2]);
      if (::dup2(fds[0], STDIN_FILENO) < 0 || ::dup2(fds[1], STDOUT_FILENO) < 0) ::_exit(127);
      ::close(fds[0]);
      ::close(fds[1]);
      LimitMemory(max_memory_bytes);
      const int rc = work();
      std::fflush(nullptr);
      ::_exit(rc);
    }
    ::close(fds[0]);
    ::close(fds[1]);
    if (pid < 0) {
      ::close(fds[2]);  // the parent sees no pid and runs the document another way
      continue;
    }
    SendMessage(fds[2], std::to_string(pid), {});
    running[pid] = fds[2];
  }
}

}  // namespace redact
