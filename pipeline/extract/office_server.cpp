#include "pipeline/extract/office_server.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#define LOK_USE_UNSTABLE_API
#include <LibreOfficeKit/LibreOfficeKit.h>
#include <LibreOfficeKit/LibreOfficeKitEnums.h>
#include <LibreOfficeKit/LibreOfficeKitInit.h>

#include "pipeline/core/files.h"
#include "pipeline/core/sanitizer.h"
#include "pipeline/extract/libreoffice.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr size_t kMaxLine = 64 * 1024;

enum class ReadResult { kLine, kEof, kTimeout, kError };

// One line from `fd` (without its '\n') before `deadline`.
ReadResult ReadLine(int fd, std::chrono::steady_clock::time_point deadline, std::string* line) {
  line->clear();
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) return ReadResult::kTimeout;
    struct pollfd pfd = {fd, POLLIN, 0};
    const int r = ::poll(&pfd, 1, int(std::min<int64_t>(left, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ReadResult::kError;
    if (r == 0) continue;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ReadResult::kError;
    if (n == 0) return ReadResult::kEof;
    line->append(buf, size_t(n));
    const size_t nl = line->find('\n');
    if (nl != std::string::npos) {
      line->resize(nl);
      return ReadResult::kLine;
    }
    if (line->size() > kMaxLine) return ReadResult::kError;
  }
}

// The extension OpenDocument gives a document of LibreOfficeKit's `type`.
const char* OdfExtension(int type) {
  switch (type) {
    case LOK_DOCTYPE_TEXT:
      return "odt";
    case LOK_DOCTYPE_SPREADSHEET:
      return "ods";
    case LOK_DOCTYPE_PRESENTATION:
      return "odp";
    default:
      return "odg";
  }
}

// One request on `conn`, answered on it.
void Serve(LibreOfficeKit* office, int conn, const std::string& fault) {
  // Said first: a worker that connected while LibreOffice was starting knows it has started.
  if (!WriteFully(conn, "hello\n")) return;
  std::string line;
  // A worker writes its request at once; one that does not is not waited for.
  if (ReadLine(conn, std::chrono::steady_clock::now() + std::chrono::seconds(30), &line) !=
      ReadResult::kLine) {
    return;
  }
  const json request = json::parse(line, nullptr, false);
  if (!request.is_object() || !request.contains("input") || !request.contains("output_dir") ||
      !request.contains("stem") || !request.contains("format")) {
    WriteFully(conn, json{{"ok", false}, {"error", "malformed request"}}.dump() + "\n");
    return;
  }
  if (fault == "hang") {  // fault injection for tests: a document LibreOffice never finishes
    while (true) ::pause();
  }
  if (fault == "crash") ::abort();
  const std::string input = request.value("input", "");
  LibreOfficeKitDocument* doc =
      office->pClass->documentLoadWithOptions(office, FileUrl(input).c_str(), nullptr);
  if (doc == nullptr) {
    std::string why;
    if (char* e = office->pClass->getError(office)) {
      why = e;
      office->pClass->freeError(e);
    }
    std::cerr << "redact office server: cannot load " << input << ": " << why << "\n";
    WriteFully(conn, json{{"ok", false}, {"error", "unreadable"}}.dump() + "\n");
    return;
  }
  const bool pdf = request.value("format", "") == "pdf";
  const std::string ext = pdf ? "pdf" : OdfExtension(doc->pClass->getDocumentType(doc));
  const std::string out =
      (fs::path(request.value("output_dir", "")) / (request.value("stem", "document") + "." + ext))
          .string();
  const bool saved = doc->pClass->saveAs(doc, FileUrl(out).c_str(), ext.c_str(), nullptr) != 0;
  doc->pClass->destroy(doc);
  if (!saved) {
    WriteFully(conn, json{{"ok", false}, {"error", "unwritable"}}.dump() + "\n");
    return;
  }
  WriteFully(conn, json{{"ok", true}, {"output", out}}.dump() + "\n");
}

}  // namespace

int OfficeServerMain(const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 3) {
    std::cerr << "usage: redact __office-server DIR [--fault hang|crash|no-start]\n";
    return 2;
  }
  const std::string dir = args[0];
  const std::string fault = args.size() == 3 && args[1] == "--fault" ? args[2] : "";
  ::signal(SIGPIPE, SIG_IGN);
  // The lifeline: stdin is a pipe the pool holds open; when it closes (the pool stopped, or
  // its process died however it died), so does the server, even in the middle of a document.
  std::thread([] {
    char c;
    while (true) {
      const ssize_t n = ::read(STDIN_FILENO, &c, 1);
      if (n == 0 || (n < 0 && errno != EINTR)) ::_exit(0);
    }
  }).detach();
  // The "ready" line goes to the stdout we were given; whatever LibreOffice prints goes to
  // stderr, which is the server's log.
  const int ready_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (ready_fd < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) return 3;
  auto fail = [&](const std::string& why) {
    WriteFully(ready_fd, "error " + why + "\n");
    return 3;
  };
  // Listening first, so that a document's worker can connect (and wait) while LibreOffice
  // starts; if it cannot start, the server exits and the worker sees the connection close
  // before any "hello".
  // Bound by a name relative to DIR (our working directory), so that no length of DIR's path
  // can exceed what a socket address holds.
  if (::chdir(dir.c_str()) != 0) return fail("cannot enter " + dir + ": " + std::strerror(errno));
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, "socket", sizeof "socket");
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ::unlink("socket");
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::chmod("socket", 0600) != 0 || ::listen(listener, 4) != 0) {
    return fail("cannot listen on " + dir + "/socket: " + std::strerror(errno));
  }
  if (fault == "no-start") return fail("told not to start (fault injection)");
  if (Status s = WriteLibreOfficeProfile(dir + "/profile"); !s.ok()) return fail(s.message());
  const std::string install = LibreOfficeProgramDir();
  LibreOfficeKit* office = lok_init_2(install.c_str(), FileUrl(dir + "/profile").c_str());
  if (office == nullptr) return fail("LibreOfficeKit could not be loaded from " + install);
  WriteFully(ready_fd, "ready\n");
  ::close(ready_fd);
  while (true) {
    const int conn = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return 4;
    }
    Serve(office, conn, fault);
    ::close(conn);
  }
}

namespace {

// Connects to the server's socket through its folder's descriptor ("/proc/self/fd/N/socket"),
// so that no length of the folder's path matters. -1 with errno set on failure.
int ConnectTo(const std::string& socket_path) {
  const int dir =
      ::open(fs::path(socket_path).parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  const std::string via = "/proc/self/fd/" + std::to_string(dir) + "/socket";
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, via.c_str(), via.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int err = errno;
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    ::close(dir);
    return fd;
  }
  err = errno;
  if (fd >= 0) ::close(fd);
  ::close(dir);
  errno = err;
  return -1;
}

void Kill(const OfficeServerHandle& server) {
  ::kill(-server.pid, SIGKILL);
  ::kill(server.pid, SIGKILL);
}

}  // namespace

Result<std::string> ConvertOnServer(const OfficeServerHandle& server, const OfficeRequest& request,
                                    double timeout_seconds) {
  auto unavailable = [&](const std::string& why) {
    return Status::MissingDependency(
        "the worker's LibreOffice did not convert the document (" + why + ")",
        "It is started afresh for the next document.");
  };
  const auto now = std::chrono::steady_clock::now();
  const auto deadline = now + std::chrono::milliseconds(int64_t(timeout_seconds * 1000));
  // The server listens within milliseconds of starting (before LibreOffice loads): a little
  // grace for one just started, never past the deadline.
  const auto connect_by = std::min(deadline, now + std::chrono::seconds(2));
  int fd = -1;
  while ((fd = ConnectTo(server.socket)) < 0) {
    const int err = errno;
    if ((err != ENOENT && err != ECONNREFUSED) || std::chrono::steady_clock::now() > connect_by) {
      return unavailable(std::strerror(err));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string line;
  // Its "hello" comes once LibreOffice has loaded (a second or two after the server starts).
  const ReadResult hello = ReadLine(fd, deadline, &line);
  if (hello != ReadResult::kLine || line != "hello") {
    ::close(fd);
    Kill(server);
    if (hello == ReadResult::kTimeout) return Status::TooLarge("LibreOffice did not start in time");
    return unavailable("it could not start");
  }
  const json j = {{"input", request.input},
                  {"output_dir", request.output_dir},
                  {"stem", request.stem},
                  {"format", request.format}};
  if (!WriteFully(fd, j.dump() + "\n")) {
    ::close(fd);
    Kill(server);
    return unavailable("it closed the connection");
  }
  const ReadResult r = ReadLine(fd, deadline, &line);
  ::close(fd);
  if (r == ReadResult::kTimeout) {
    // Stopped here, so that the next document gets a fresh one (the pool sees it gone).
    Kill(server);
    return Status::TooLarge("LibreOffice took longer than " + std::to_string(int(timeout_seconds)) +
                            " s and was stopped");
  }
  if (r != ReadResult::kLine) {
    Kill(server);  // it died under this document, or may still be half-way through it
    return unavailable("it stopped while converting");
  }
  const json answer = json::parse(line, nullptr, false);
  if (!answer.is_object() || !answer.value("ok", false)) return unavailable("it could not load it");
  // Only the file asked for: a LibreOffice that was taken over must not name another.
  const std::string out = answer.value("output", "");
  const fs::path p(out);
  const std::string ext = p.extension().string();
  const bool expected_ext =
      request.format == "pdf" ? ext == ".pdf"
                              : (ext == ".odt" || ext == ".ods" || ext == ".odp" || ext == ".odg");
  struct stat st;
  if (p.parent_path() != fs::path(request.output_dir) || p.stem() != request.stem ||
      !expected_ext || ::lstat(out.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
    return unavailable("it answered with a file it was not asked for");
  }
  return out;
}

Result<StartingServer> SpawnOfficeServer(const std::string& self, const std::string& dir,
                                         int lifeline, uint64_t max_memory_bytes) {
  if (::mkdir(dir.c_str(), 0700) != 0) {
    return Status::Io("cannot make a folder for LibreOffice (" + dir +
                      "): " + std::strerror(errno));
  }
  StartingServer server;
  server.dir = dir;
  std::error_code ec;
  fs::create_directories(server.dir + "/home", ec);
  fs::create_directories(server.dir + "/tmp", ec);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    fs::remove_all(server.dir, ec);
    return Status::Io(std::string("cannot make a pipe: ") + std::strerror(errno));
  }
  ConfinedChild child;
  child.args = {self, "__office-server", server.dir};
  if (const char* fault = std::getenv("REDACT_OFFICE_SERVER_FAULT")) {  // tests only
    child.args.push_back("--fault");
    child.args.push_back(fault);
  }
  child.env = LibreOfficeEnvironment(server.dir + "/home", server.dir + "/tmp");
  child.work_dir = server.dir;
  child.log = server.dir + "/libreoffice.log";
  child.stdin_fd = lifeline;
  child.stdout_fd = pipe_fds[1];
  child.max_memory_bytes = REDACT_ASAN ? 0 : max_memory_bytes;
  child.die_with_thread = false;  // lent to any slot's documents: the lifeline ties it instead
  const pid_t pid = SpawnConfined(child);
  ::close(pipe_fds[1]);
  if (pid < 0) {
    ::close(pipe_fds[0]);
    fs::remove_all(server.dir, ec);
    return Status::Io(std::string("cannot start LibreOffice: ") + std::strerror(errno));
  }
  server.handle = {server.dir + "/socket", pid};
  server.ready_fd = pipe_fds[0];
  return server;
}

ServerStart CheckOfficeServerStart(StartingServer* server) {
  if (server->ready_fd < 0) return server->started;
  struct pollfd pfd = {server->ready_fd, POLLIN, 0};
  if (::poll(&pfd, 1, 0) <= 0) return ServerStart::kPending;
  std::string line;
  const ReadResult r = ReadLine(
      server->ready_fd, std::chrono::steady_clock::now() + std::chrono::milliseconds(100), &line);
  if (r == ReadResult::kTimeout) return ServerStart::kPending;
  ::close(server->ready_fd);
  server->ready_fd = -1;
  server->started =
      r == ReadResult::kLine && line == "ready" ? ServerStart::kReady : ServerStart::kFailed;
  return server->started;
}

bool OfficeServerExited(const StartingServer& server) {
  if (server.handle.pid <= 0) return true;
  siginfo_t info = {};
  // WNOWAIT: a zombie stays one, its pid (and group) not free for another process yet.
  return ::waitid(P_PID, id_t(server.handle.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == server.handle.pid;
}

void StopOfficeServer(StartingServer* server) {
  if (server->ready_fd >= 0) ::close(server->ready_fd);
  server->ready_fd = -1;
  if (server->handle.pid > 0) {
    Kill(server->handle);  // the whole group, before its leader is reaped
    int status = 0;
    while (::waitpid(server->handle.pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  server->handle = {};
  std::error_code ec;
  if (!server->dir.empty()) fs::remove_all(server->dir, ec);
  server->dir.clear();
}

}  // namespace redact
