// The daemon, run for real: `redact watch` on temporary folders, driven by files and signals.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <sstream>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <regex>

#include <cctype>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "tests/test_util.h"

extern char** environ;

namespace redact::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// A running `redact watch`; stderr goes to a log file. Killed (SIGKILL) if still running at
// the end of the test.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& args, const std::string& log) : log_(log) {
    std::vector<std::string> argv = {kBin, "watch"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (std::string& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (posix_spawn(&pid_, cargv[0], &fa, nullptr, cargv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
  }
  ~Daemon() {
    if (pid_ > 0) Stop(SIGKILL);
  }
  // Sends `sig` and waits for the daemon to end; returns its exit code (128+N for a signal).
  int Stop(int sig) {
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  // The exit code if it has ended by itself within `wait`, else -1.
  int ExitedWithin(std::chrono::milliseconds wait) {
    auto until = std::chrono::steady_clock::now() + wait;
    do {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < until);
    return -1;
  }
  void Signal(int sig) const { ::kill(pid_, sig); }
  pid_t pid() const { return pid_; }
  std::string Log() const { return ReadAll(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit = 90s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return done();
}

json Status(const std::string& out) {
  return json::parse(ReadAll(out + "/audit/status.json"), nullptr, false);
}

// The daemon's own word that it has nothing left: nothing settling, queued or in progress,
// and `processed` documents done (any number for -1).
bool Idle(const std::string& out, int processed = -1) {
  json s = Status(out);
  return s.is_object() && s["waiting"] == 0 && s["queued"] == 0 && s["in_progress"].empty() &&
         (processed < 0 || s["processed"] == processed);
}

// Whether the status file of the daemon `pid` (not one left by an earlier daemon) shows `name`
// in progress.
bool InProgress(const std::string& out, const std::string& name, pid_t pid) {
  json s = Status(out);
  if (!s.is_object() || s["pid"] != pid) return false;
  for (const json& p : s["in_progress"]) {
    if (p == name) return true;
  }
  return false;
}

// CPU seconds used so far by the processes whose parent is `parent` (the daemon's document
// workers), from /proc/<pid>/stat: the sign that a worker is well into its pages.
// The CPU seconds of `parent`'s descendants (its workers are forked by a zygote, a child of
// its own).
double ChildrenCpuSeconds(pid_t parent) {
  std::map<long, std::pair<long, double>> procs;  // pid -> (ppid, cpu seconds)
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::end(it); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream f(it->path() / "stat");
    std::string line;
    if (!std::getline(f, line)) continue;
    const size_t close = line.rfind(')');  // the command name may hold spaces
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    long ppid = 0, skip = 0, utime = 0, stime = 0;
    rest >> state >> ppid;
    for (int i = 0; i < 9; ++i) rest >> skip;  // pgrp .. cmajflt
    rest >> utime >> stime;
    procs[std::stol(name)] = {ppid, double(utime + stime) / double(::sysconf(_SC_CLK_TCK))};
  }
  double total = 0;
  for (const auto& [pid, info] : procs) {
    for (long up = info.first; up > 1 && procs.count(up); up = procs[up].first) {
      if (up == parent) {
        total += info.second;
        break;
      }
    }
  }
  return total;
}

// A long text-layer PDF: the police sample's pages over and over (qpdf).
std::string LongPdf(const TempDir& tmp, int copies) {
  std::string cmd = "qpdf --empty --pages";
  for (int i = 0; i < copies; ++i) cmd += " " + Quote(Sample("police-remote-devices-draft.pdf"));
  std::string path = tmp / "long.pdf";
  CommandResult r = RunCommand(cmd + " -- " + Quote(path));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return path;
}

std::string Text(int i) {
  return "Draft response " + std::to_string(i) + ".\nThe firewall at 10.20.30." +
         std::to_string(i % 250) + " is managed by the IT team.\nEND OF DRAFT " +
         std::to_string(i) + "\n";
}

TEST(Watch, TakesSlowCopiesMovedFilesAndABurstEachExactlyOnce) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  Daemon d({in, "-o", out, "--jobs", "2", "--settle", "2", "--log-format", "json"}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();

  // Copied in slowly: open for a long while, written in pieces, with pauses shorter than
  // --settle. Taken early, its release would miss the last line.
  {
    std::ofstream slow(in + "/slow.txt", std::ios::binary);
    const std::string text = Text(1);
    for (size_t i = 0; i < text.size(); i += 20) {
      slow << text.substr(i, 20) << std::flush;
      std::this_thread::sleep_for(150ms);
    }
    std::this_thread::sleep_for(1s);
    slow << "APPENDED LAST\n" << std::flush;
  }
  // Written elsewhere and moved in, into a new sub-folder.
  WriteAll(tmp / "staging/moved.txt", Text(2));
  fs::create_directories(in + "/sub");
  fs::rename(tmp / "staging/moved.txt", in + "/sub/moved.txt");
  // A burst of 50, written in place.
  for (int i = 0; i < 50; ++i) WriteAll(in + "/burst/b" + std::to_string(i) + ".txt", Text(i));

  ASSERT_TRUE(WaitFor([&] { return DocumentRecords(out).size() >= 52; }, 120s)) << d.Log();
  // Idle by its own status: a file taken twice would be settling, queued or in progress.
  ASSERT_TRUE(WaitFor([&] { return Idle(out, 52); })) << d.Log();
  EXPECT_EQ(d.Stop(SIGTERM), 0);

  std::vector<json> docs = DocumentRecords(out);
  std::set<std::string> inputs;
  for (const json& r : docs) {
    EXPECT_EQ(r["status"], "released") << r.dump();
    inputs.insert(r["input"].get<std::string>());
  }
  EXPECT_EQ(docs.size(), 52u);
  EXPECT_EQ(inputs.size(), 52u);
  EXPECT_TRUE(inputs.count("slow.txt") && inputs.count("sub/moved.txt") &&
              inputs.count("burst/b49.txt"));

  const std::string slow = ReadAll(out + "/release/slow.txt");
  EXPECT_NE(slow.find("APPENDED LAST"), std::string::npos) << slow;
  EXPECT_NE(slow.find("END OF DRAFT 1"), std::string::npos) << slow;
  EXPECT_EQ(slow.find("10.20.30.1"), std::string::npos) << slow;
  EXPECT_EQ(ReadAll(out + "/release/burst/b7.txt").find("10.20.30.7"), std::string::npos);

  // The inbox is empty again (only the daemon's own state), the inputs are archived once.
  for (const std::string& f : FilesUnder(in)) EXPECT_EQ(f.rfind(".redact/", 0), 0u) << f;
  EXPECT_TRUE(FilesUnder(in + "/.redact/work").empty());
  std::set<std::string> archived;
  for (const std::string& f : FilesUnder(out + "/archive")) {
    archived.insert(fs::path(f).lexically_relative(*fs::path(f).begin()).string());
  }
  EXPECT_EQ(archived, inputs);
  for (const std::string& f : FilesUnder(out + "/archive")) {
    if (f.size() > 14 && f.substr(10) == "/sub/moved.txt") {
      EXPECT_EQ(ReadAll(out + "/archive/" + f), Text(2));  // YYYY-MM-DD/sub/moved.txt
    }
  }

  // One JSON object per log line; each document released once.
  std::istringstream log(d.Log());
  std::string line;
  int released = 0, lines = 0;
  while (std::getline(log, line)) {
    json j = json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    ++lines;
    if (j["event"] == "released") ++released;
  }
  EXPECT_EQ(released, 52);
  EXPECT_GT(lines, 52 * 3);

  json status = Status(out);
  EXPECT_EQ(status["state"], "stopped");
  EXPECT_EQ(status["released"], 52);
  EXPECT_EQ(status["failed"], 0);
  EXPECT_EQ(
      RunCommand(Quote(kBin) + " audit verify " + Quote(out + "/audit/audit.jsonl")).exit_code, 0);
}

TEST(Watch, CorruptFileIsQuarantinedAndTheDaemonCarriesOn) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  Daemon d({in, "-o", out, "--jobs", "1"}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();
  // Files that vanish before they settle are forgotten, not a crash.
  for (int i = 0; i < 20; ++i) {
    WriteAll(in + "/gone" + std::to_string(i) + ".txt", "brief\n");
    fs::remove(in + "/gone" + std::to_string(i) + ".txt");
  }
  std::string pdf = ReadAll(Sample("police-remote-devices-draft.pdf"));
  WriteAll(in + "/broken.pdf", pdf.substr(0, pdf.size() / 2));
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/quarantine/broken.pdf.error.json"); }))
      << d.Log();
  fs::copy_file(Sample("police-remote-devices-draft.pdf"), in + "/good.pdf");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/good.pdf"); })) << d.Log();
  EXPECT_EQ(d.Stop(SIGTERM), 0);

  json err = json::parse(ReadAll(out + "/quarantine/broken.pdf.error.json"));
  EXPECT_EQ(err["stage"], "ingest");
  EXPECT_NE(err["error"].get<std::string>().find("truncated"), std::string::npos) << err.dump();
  EXPECT_EQ(ReadAll(out + "/quarantine/broken.pdf"), pdf.substr(0, pdf.size() / 2));
  EXPECT_FALSE(fs::exists(out + "/release/broken.pdf"));
  EXPECT_FALSE(fs::exists(in + "/broken.pdf"));
  EXPECT_TRUE(FilesUnder(in + "/.redact/work").empty());
  EXPECT_EQ(PdfText(out + "/release/good.pdf").find("GCHQ"), std::string::npos);
  json status = Status(out);
  EXPECT_EQ(status["failed"], 1);
  EXPECT_EQ(status["released"], 1);
  EXPECT_EQ(status["last_error"]["input"], "broken.pdf");
  EXPECT_NE(d.Log().find("quarantined broken.pdf"), std::string::npos) << d.Log();
  // The daemon's first record says how its documents are processed, as a batch's does.
  const json start = AuditRecords(out).front();
  ASSERT_EQ(start["event"], "watch_start");
  EXPECT_EQ(start["options"]["ocr"], "auto");
  EXPECT_EQ(start["options"]["release_flagged"], false);
  EXPECT_FALSE(start["options"].contains("audit_key"));
}

// Outside journald each log line starts with the time; journald stamps lines itself.
TEST(Watch, LogLinesCarryTheTimeUnlessJournaldReadsThem) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  const char* journal = std::getenv("JOURNAL_STREAM");
  const std::string saved = journal ? journal : "";
  ::unsetenv("JOURNAL_STREAM");
  {
    Daemon d({in, "-o", out, "--jobs", "1"}, tmp / "log");
    ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();
    EXPECT_EQ(d.Stop(SIGTERM), 0);
    const std::regex stamped(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ info: )");
    std::istringstream lines(d.Log());
    int n = 0;
    for (std::string line; std::getline(lines, line); ++n) {
      EXPECT_TRUE(std::regex_search(line, stamped)) << line;
    }
    EXPECT_GT(n, 0);
  }
  ::setenv("JOURNAL_STREAM", "8:12345", 1);
  {
    Daemon d({in, "-o", out, "--jobs", "1"}, tmp / "log2");
    ASSERT_TRUE(WaitFor([&] { return Status(out)["state"] == "running"; }, 30s)) << d.Log();
    EXPECT_EQ(d.Stop(SIGTERM), 0);
    EXPECT_EQ(d.Log().rfind("info: ", 0), 0u) << d.Log();
  }
  if (journal) {
    ::setenv("JOURNAL_STREAM", saved.c_str(), 1);
  } else {
    ::unsetenv("JOURNAL_STREAM");
  }
}

// Two files of the same name, one after the other, and an e-mail saved beside a text file of
// the same stem: every release survives, under the names the README gives.
TEST(Watch, ASecondFileOfTheSameNameNeverReplacesTheFirstsRelease) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  Daemon d({in, "-o", out, "--jobs", "1"}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();
  WriteAll(in + "/note.txt", "first draft, shared with GCHQ\n");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/note.txt"); })) << d.Log();
  WriteAll(in + "/note.txt", "second draft\n");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/note.2.txt"); })) << d.Log();
  WriteAll(in + "/note.eml", "Subject: third\n\nthird, an e-mail\n");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/note.3.txt"); })) << d.Log();
  // Two bad files of the name: both kept as evidence, and no release of the name is removed.
  WriteAll(in + "/note.txt", std::string("\0\x01 not text", 11));
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/quarantine/note.txt.error.json"); }))
      << d.Log();
  WriteAll(in + "/note.txt", std::string("\0\x02 not text", 11));
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/quarantine/note.2.txt.error.json"); }))
      << d.Log();
  EXPECT_EQ(d.Stop(SIGTERM), 0);
  EXPECT_EQ(ReadAll(out + "/quarantine/note.txt"), std::string("\0\x01 not text", 11));
  EXPECT_EQ(ReadAll(out + "/quarantine/note.2.txt"), std::string("\0\x02 not text", 11));
  EXPECT_EQ(ReadAll(out + "/release/note.txt"), "first draft, shared with [REDACTED s.23(1)]\n");
  EXPECT_EQ(ReadAll(out + "/release/note.2.txt"), "second draft\n");
  EXPECT_NE(ReadAll(out + "/release/note.3.txt").find("third, an e-mail"), std::string::npos);
  std::set<std::string> outputs;
  for (const json& r : DocumentRecords(out)) {
    for (const json& o : r["outputs"]) outputs.insert(o["path"].get<std::string>());
  }
  EXPECT_EQ(outputs,
            (std::set<std::string>{"release/note.txt", "release/note.2.txt", "release/note.3.txt",
                                   "quarantine/note.txt", "quarantine/note.txt.error.json",
                                   "quarantine/note.2.txt", "quarantine/note.2.txt.error.json"}));
}

TEST(Watch, SigtermFinishesTheDocumentInProgressAndExitsZero) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  const std::string long_pdf = LongPdf(tmp, 150);
  Daemon d({in, "-o", out, "--jobs", "1"}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();
  fs::copy_file(long_pdf, tmp / "staging.pdf");
  fs::rename(tmp / "staging.pdf", in + "/long.pdf");
  ASSERT_TRUE(WaitFor([&] { return InProgress(out, "long.pdf", d.pid()); })) << d.Log();
  d.Signal(SIGTERM);
  EXPECT_EQ(d.ExitedWithin(120s), 0) << d.Log();
  // The document in progress was finished, not abandoned.
  std::vector<json> docs = DocumentRecords(out);
  ASSERT_EQ(docs.size(), 1u) << d.Log();
  EXPECT_EQ(docs[0]["status"], "released");
  EXPECT_EQ(docs[0]["pages"], 300);
  EXPECT_TRUE(fs::exists(out + "/release/long.pdf"));
  EXPECT_EQ(Status(out)["state"], "stopped");
  EXPECT_EQ(AuditRecords(out).back()["event"], "watch_stop");
}

// A writer that keeps the file open and pauses longer than --settle: the file is not taken
// until it is closed, so nothing written after the pause is lost.
TEST(Watch, AFileStillOpenIsNeverTakenHoweverLongItsWriterPauses) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  Daemon d({in, "-o", out, "--jobs", "1", "--settle", "1"}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();
  {
    std::ofstream open(in + "/open.txt", std::ios::binary);
    open << Text(3) << std::flush;
    std::this_thread::sleep_for(3s);  // the writer's pause: three settle periods
    EXPECT_TRUE(fs::exists(in + "/open.txt")) << "taken while still open\n" << d.Log();
    open << "WRITTEN AFTER THE PAUSE\n" << std::flush;
  }
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/open.txt") && Idle(out, 1); }))
      << d.Log();
  EXPECT_EQ(d.Stop(SIGTERM), 0);
  const std::string release = ReadAll(out + "/release/open.txt");
  EXPECT_NE(release.find("WRITTEN AFTER THE PAUSE"), std::string::npos) << release;
  EXPECT_EQ(DocumentRecords(out).size(), 1u);
  EXPECT_EQ(Status(out)["failed"], 0);
}

TEST(Watch, KillDashNineThenRestartLosesNothing) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  const std::string long_pdf = LongPdf(tmp, 150);
  {
    Daemon d({in, "-o", out, "--jobs", "1"}, tmp / "log");
    ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();
    fs::copy_file(long_pdf, in + "/a-long.pdf");
    for (int i = 0; i < 3; ++i) WriteAll(in + "/z" + std::to_string(i) + ".txt", Text(i));
    ASSERT_TRUE(WaitFor([&] { return InProgress(out, "a-long.pdf", d.pid()); })) << d.Log();
    // Well into the document's pages: its worker has done half a second of work.
    ASSERT_TRUE(WaitFor([&] { return ChildrenCpuSeconds(d.pid()) > 0.5; })) << d.Log();
    EXPECT_EQ(d.Stop(SIGKILL), 128 + SIGKILL);
  }
  // Nothing half-published: the long document's release is absent (its worker died with the
  // daemon); anything under release/ is complete.
  EXPECT_FALSE(fs::exists(out + "/release/a-long.pdf"));
  for (const std::string& f : FilesUnder(out + "/release")) {
    if (fs::path(f).extension() == ".pdf") {
      EXPECT_EQ(RunCommand("qpdf --check " + Quote(out + "/release/" + f)).exit_code, 0) << f;
    }
  }
  {
    Daemon d({in, "-o", out, "--jobs", "2"}, tmp / "log2");
    ASSERT_TRUE(WaitFor([&] {
      return fs::exists(out + "/release/a-long.pdf") && FilesUnder(in + "/.redact/work").empty() &&
             Idle(out);
    })) << d.Log();
    EXPECT_EQ(d.Stop(SIGTERM), 0);
    EXPECT_NE(d.Log().find("recovered a-long.pdf"), std::string::npos) << d.Log();
  }
  // Every input released exactly once in the audit, archived, and no temp file anywhere.
  std::set<std::string> released;
  for (const json& r : DocumentRecords(out)) {
    EXPECT_EQ(r["status"], "released") << r.dump();
    EXPECT_TRUE(released.insert(r["input"].get<std::string>()).second) << r["input"];
  }
  EXPECT_EQ(released, (std::set<std::string>{"a-long.pdf", "z0.txt", "z1.txt", "z2.txt"}));
  for (const std::string& f : FilesUnder(out)) {
    EXPECT_EQ(f.find(".tmp."), std::string::npos) << f;
  }
  for (const std::string& f : FilesUnder(in)) EXPECT_EQ(f.rfind(".redact/", 0), 0u) << f;
  EXPECT_EQ(PdfText(out + "/release/a-long.pdf").find("GCHQ"), std::string::npos);
  EXPECT_EQ(RunCommand("qpdf --check " + Quote(out + "/release/a-long.pdf")).exit_code, 0);
}

TEST(Watch, AFileInProgressWhenRedactDiedTwiceIsQuarantinedAsPoison) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  fs::copy_file(LongPdf(tmp, 150), in + "/poison.pdf");
  for (int round = 0; round < 2; ++round) {
    Daemon d({in, "-o", out, "--jobs", "1"}, tmp / "log");
    // Killed only once this run has counted its attempt ("started" is logged after the count;
    // status.json lists the file in progress a moment before).
    ASSERT_TRUE(WaitFor([&] {
      const std::string log = d.Log();
      size_t n = 0;
      for (size_t at = log.find("started poison.pdf"); at != std::string::npos;
           at = log.find("started poison.pdf", at + 1)) {
        ++n;
      }
      return n == static_cast<size_t>(round) + 1 && InProgress(out, "poison.pdf", d.pid());
    })) << d.Log();
    d.Stop(SIGKILL);
  }
  Daemon d({in, "-o", out, "--jobs", "1"}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/quarantine/poison.pdf.error.json"); }))
      << d.Log();
  WriteAll(in + "/after.txt", Text(3));  // and the queue moves on
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/after.txt"); })) << d.Log();
  EXPECT_EQ(d.Stop(SIGTERM), 0);
  json err = json::parse(ReadAll(out + "/quarantine/poison.pdf.error.json"));
  EXPECT_EQ(err["code"], "poison") << err.dump();
  EXPECT_NE(err["error"].get<std::string>().find("2 times"), std::string::npos) << err.dump();
  EXPECT_TRUE(fs::exists(out + "/quarantine/poison.pdf"));
  EXPECT_FALSE(fs::exists(out + "/release/poison.pdf"));
  EXPECT_TRUE(FilesUnder(in + "/.redact/work").empty());
}

// A worker stopped at --timeout is a timeout: quarantined at once saying so, not taken for a
// crash, tried again and called poison.
TEST(Watch, ATimeoutIsReportedAsATimeoutNotRetriedAsACrash) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  const std::string long_pdf = LongPdf(tmp, 150);
  Daemon d({in, "-o", out, "--jobs", "1", "--timeout", "1"}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();
  fs::copy_file(long_pdf, tmp / "staging.pdf");
  fs::rename(tmp / "staging.pdf", in + "/long.pdf");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/quarantine/long.pdf.error.json"); }))
      << d.Log();
  EXPECT_EQ(d.Stop(SIGTERM), 0);
  json err = json::parse(ReadAll(out + "/quarantine/long.pdf.error.json"));
  EXPECT_NE(err["error"].get<std::string>().find("took longer than 1 s"), std::string::npos)
      << err.dump();
  EXPECT_NE(err["code"], "poison") << err.dump();
  EXPECT_EQ(d.Log().find("worker-crashed"), std::string::npos) << d.Log();
  EXPECT_EQ(DocumentRecords(out).size(), 1u);
}

TEST(Watch, SighupReloadsRulesAndABrokenFileKeepsTheOldOnesAcrossARestart) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out", rules = tmp / "rules";
  fs::create_directories(in);
  fs::copy(kSourceDir + "/rules/uk-foi", rules, fs::copy_options::recursive);
  Daemon d({in, "-o", out, "--jobs", "1", "--rules", rules}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 30s)) << d.Log();
  const std::string text = "Codename BLUEHERON runs on 10.1.2.3 for the project.\n";

  WriteAll(in + "/before.txt", text);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/before.txt"); })) << d.Log();

  // A valid new rule: in force after SIGHUP.
  WriteAll(rules + "/local.toml", R"toml([ruleset]
id = "local"
[[rule]]
id = "local.codename"
pattern = 'BLUEHERON'
exemption = "s.31(1)(a)"
examples.redact = ["Codename BLUEHERON here", "BLUEHERON"]
examples.keep = ["blue heron", "Heron"]
)toml");
  d.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return Status(out)["rules"]["files"].size() == 8; })) << d.Log();
  WriteAll(in + "/reloaded.txt", text);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/reloaded.txt"); })) << d.Log();

  // A broken edit: logged, the rules in force stay, the daemon keeps working.
  WriteAll(rules + "/network.toml", "[[rule]\nid = \n");
  d.Signal(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return !Status(out)["rules"]["reload_error"].is_null(); })) << d.Log();
  WriteAll(in + "/after-broken.txt", text);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/after-broken.txt"); })) << d.Log();
  EXPECT_EQ(d.Stop(SIGTERM), 0);

  const std::string before = ReadAll(out + "/release/before.txt");
  EXPECT_NE(before.find("BLUEHERON"), std::string::npos) << before;
  EXPECT_EQ(before.find("10.1.2.3"), std::string::npos) << before;
  for (const char* name : {"reloaded.txt", "after-broken.txt"}) {
    const std::string release = ReadAll(out + "/release/" + name);
    EXPECT_EQ(release.find("BLUEHERON"), std::string::npos) << name << ": " << release;
    EXPECT_EQ(release.find("10.1.2.3"), std::string::npos) << name << ": " << release;
  }
  EXPECT_NE(d.Log().find("rules-reload-failed"), std::string::npos) << d.Log();
  EXPECT_NE(d.Log().find("network.toml"), std::string::npos) << d.Log();
  EXPECT_EQ(Status(out)["failed"], 0);

  // The broken file is still there at the next start (after a reboot): the daemon starts on
  // the last good copy, says so, and keeps working with it.
  Daemon again({in, "-o", out, "--jobs", "1", "--rules", rules}, tmp / "log2");
  ASSERT_TRUE(WaitFor([&] { return Status(out)["state"] == "running"; }, 30s)) << again.Log();
  const std::string error = Status(out)["rules"]["reload_error"].get<std::string>();
  EXPECT_NE(error.find("network.toml"), std::string::npos) << error;
  EXPECT_NE(error.find("last good copy"), std::string::npos) << error;
  WriteAll(in + "/after-restart.txt", text);
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/release/after-restart.txt"); }))
      << again.Log();
  EXPECT_EQ(again.Stop(SIGTERM), 0);
  const std::string release = ReadAll(out + "/release/after-restart.txt");
  EXPECT_EQ(release.find("BLUEHERON"), std::string::npos) << release;
  EXPECT_EQ(release.find("10.1.2.3"), std::string::npos) << release;
  EXPECT_NE(again.Log().find("rules-start-failed"), std::string::npos) << again.Log();
}

TEST(Watch, RefusesOverlappingFoldersAndASecondDaemonOnOneInbox) {
  TempDir tmp;
  const std::string in = tmp / "inbox";
  fs::create_directories(in);
  CommandResult inside = Redact("watch " + Quote(in) + " -o " + Quote(in + "/out"));
  EXPECT_EQ(inside.exit_code, 1) << inside.out;
  EXPECT_NE(inside.out.find("inside the input folder"), std::string::npos) << inside.out;
  CommandResult around = Redact("watch " + Quote(in) + " -o " + Quote(tmp.path()));
  EXPECT_EQ(around.exit_code, 1) << around.out;

  Daemon first({in, "-o", tmp / "out"}, tmp / "log");
  ASSERT_TRUE(WaitFor([&] { return fs::exists(tmp / "out/audit/status.json"); }, 30s));
  CommandResult second = Redact("watch " + Quote(in) + " -o " + Quote(tmp / "out2"));
  EXPECT_EQ(second.exit_code, 1) << second.out;
  EXPECT_NE(second.out.find("already working on"), std::string::npos) << second.out;
  EXPECT_EQ(first.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace redact::testing

namespace redact::testing {
namespace {

// The shipped unit parses, with ExecStart pointed at this build.
TEST(Watch, SystemdUnitVerifies) {
  if (RunCommand("command -v systemd-analyze").exit_code != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed";
  }
  TempDir tmp;
  std::string unit = ReadAll(kSourceDir + "/scripts/redact-watch.service");
  for (const char* key : {"NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=",
                          "ExecReload=/bin/kill -HUP $MAINPID", "KillMode=mixed"}) {
    EXPECT_NE(unit.find(key), std::string::npos) << key;
  }
  for (size_t at; (at = unit.find("/usr/local/bin/redact")) != std::string::npos;) {
    unit.replace(at, std::strlen("/usr/local/bin/redact"), kBin);
  }
  WriteAll(tmp / "redact-watch.service", unit);
  CommandResult r = RunCommand("systemd-analyze verify " + Quote(tmp / "redact-watch.service"));
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace redact::testing
