// The daemon killed at every step of an input's claim (claim.h), after LevelDB's fault
// injection: a child process runs `redact watch` in-process with an Env that ends it (_exit, no
// destructors: kill -9) at one named crash point; a second daemon then recovers. Whatever the
// point, every input ends released, held or quarantined exactly once, nothing is published
// twice or overwritten, the inbox's work folder and journals are empty and the chain verifies.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "pipeline/audit/audit_log.h"
#include "pipeline/core/env.h"
#include "pipeline/core/hash.h"
#include "pipeline/extract/email.h"
#include "pipeline/review/review_server.h"
#include "pipeline/watch/watch.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using namespace testing;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kCrashed = 86;

bool LibreOfficeInstalled() {
  return fs::exists("/usr/lib/libreoffice/program/soffice.bin");
}  // the exit status of a child that reached its crash point

// The real machine, ended at the n-th time `step` is reached.
class CrashEnv : public Env {
 public:
  CrashEnv(std::string step, int nth) : step_(std::move(step)), nth_(nth) {}
  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    return base_->NewWritableFile(path);
  }
  Result<std::unique_ptr<ScratchFile>> NewScratchFile(const std::string& dir) override {
    return base_->NewScratchFile(dir);
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    return base_->NewAppendableFile(path);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Status RenameFileUnsynced(const std::string& from, const std::string& to) override {
    return base_->RenameFileUnsynced(from, to);
  }
  Status CreateDirs(const std::string& dir) override { return base_->CreateDirs(dir); }
  void RemoveFile(const std::string& path) override { base_->RemoveFile(path); }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  std::time_t Now() override { return base_->Now(); }
  void CrashPoint(std::string_view step) override {
    if (step == step_ && ++seen_ == nth_) ::_exit(kCrashed);
  }

 private:
  Env* base_ = Env::Default();
  std::string step_;
  int nth_;
  std::atomic<int> seen_{0};
};

WatchConfig Config(const std::string& in, const std::string& out) {
  WatchConfig w;
  w.job.inputs = {in};
  w.job.out = out;
  w.job.isolate = false;  // documents in the daemon's process, so that they use its Env
  w.job.ocr = OcrMode::kNever;
  w.job.jobs = 1;
  w.job.quiet = true;
  w.job.report = false;
  w.job.release_flagged = true;
  w.settle_seconds = 0.3;
  w.retry_seconds = 1;
  return w;
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

// A daemon in a child process that ends at the n-th `step`. Returns the child's exit status
// (kCrashed when it got there), or -1 when it never did within the limit (it is then killed).
int RunUntilCrash(const std::string& in, const std::string& out, const std::string& step, int nth,
                  std::chrono::seconds limit = 300s) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    CrashEnv env(step, nth);
    std::atomic<bool> stop{false};
    RunEnvironment run;
    run.env = &env;
    run.stop = &stop;
    std::ostringstream log;
    RunWatch(Config(in, out), log, run);
    ::_exit(0);  // stopped without reaching the point (it never is: nothing sets `stop`)
  }
  int status = 0;
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(50ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

// Runs a daemon in this process until `inputs` documents are recorded and nothing is left in
// progress; returns its log.
std::string Recover(const std::string& in, const std::string& out, size_t inputs) {
  std::atomic<bool> stop{false};
  RunEnvironment run;
  run.stop = &stop;
  std::ostringstream log;
  int rc = -1;
  std::thread daemon([&] { rc = RunWatch(Config(in, out), log, run); });
  const bool done = WaitFor(
      [&] {
        json s = json::parse(ReadAll(out + "/audit/status.json"), nullptr, false);
        return DocumentRecords(out).size() >= inputs && FilesUnder(in + "/.redact/work").empty() &&
               s.is_object() && s["pid"] == ::getpid() && s["queued"] == 0 &&
               s["in_progress"].empty();
      },
      300s);
  stop = true;
  daemon.join();
  EXPECT_TRUE(done) << log.str();
  EXPECT_EQ(rc, 0) << log.str();
  return log.str();
}

// Every record's copy of its input (archive/, quarantine/, a message's attachments written out)
// still holds the bytes the record's sha256 names: nothing replaced a copy a record points to.
void ExpectInputCopiesKept(const std::string& out) {
  for (const json& r : DocumentRecords(out)) {
    const std::string path = r.value("input_path", ""), sha = r.value("sha256", "");
    if (path.empty() || sha.empty()) continue;
    auto now = Sha256File(path);
    ASSERT_TRUE(now.ok()) << path << " (of " << r["input"] << ") is missing";
    EXPECT_EQ(*now, sha) << path << " (of " << r["input"] << ") was replaced";
  }
}

// What every crash must leave: each input recorded once with `status`, each output of each
// record on disk with the sha256 the record gives it (nothing overwritten), no output claimed
// by two records, nothing under release/ or quarantine/ that no record names (nothing published
// twice), nothing left claimed or journalled, and a chain that verifies.
void ExpectExactlyOnce(const std::string& in, const std::string& out,
                       const std::map<std::string, std::string>& status, const std::string& log) {
  std::map<std::string, std::string> seen;
  std::set<std::string> outputs;
  for (const json& r : DocumentRecords(out)) {
    const std::string input = r["input"];
    EXPECT_TRUE(seen.emplace(input, r["status"]).second) << "recorded twice: " << input << "\n"
                                                         << log;
    for (const json& o : r["outputs"]) {
      const std::string path = o["path"];
      EXPECT_TRUE(outputs.insert(path).second) << path << " claimed twice";
      if (o.contains("sha256") && !o["sha256"].get<std::string>().empty()) {
        auto sha = Sha256File(out + "/" + path);
        ASSERT_TRUE(sha.ok()) << path << " is missing\n" << log;
        EXPECT_EQ(*sha, o["sha256"]) << path << " was overwritten";
      }
    }
  }
  EXPECT_EQ(seen, status) << log;
  ExpectInputCopiesKept(out);
  for (const char* sub : {"release", "quarantine"}) {
    for (const std::string& f : FilesUnder(out + "/" + sub)) {
      EXPECT_TRUE(outputs.count(std::string(sub) + "/" + f))
          << sub << "/" << f << " has no record\n"
          << log;
    }
  }
  EXPECT_TRUE(FilesUnder(in + "/.redact/work").empty());
  EXPECT_TRUE(FilesUnder(in + "/.redact/attempts").empty());
  ChainCheck check = VerifyAuditChain(out + "/audit/audit.jsonl");
  EXPECT_TRUE(check.intact) << check.message;
}

class CrashPoint : public ::testing::TestWithParam<const char*> {};

// A text released, a PDF released with its sidecar, a file that is not text quarantined;
// the daemon killed at the step, then started again.
TEST_P(CrashPoint, EveryInputEndsExactlyOnce) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  WriteAll(in + "/a.txt", "Shared with GCHQ on 3 March.\n");
  WriteAll(in + "/b.txt", std::string("\0\x01 not text", 11));
  fs::copy_file(Sample("police-remote-devices-draft.pdf"), in + "/c.pdf");
  ASSERT_EQ(RunUntilCrash(in, out, GetParam(), 1), kCrashed) << "never reached " << GetParam();
  const std::string log = Recover(in, out, 3);
  if (std::string(GetParam()) == "published") {
    // a.txt (first in name order) was published, then the crash: taken back, not doubled.
    EXPECT_NE(log.find("rolled-back a.txt: release/a.txt was published without a record"),
              std::string::npos)
        << log;
  }
  ExpectExactlyOnce(in, out,
                    {{"a.txt", "released"}, {"b.txt", "quarantined"}, {"c.pdf", "released"}}, log);
  EXPECT_EQ(FilesUnder(out + "/release"), (std::set<std::string>{"a.txt", "c.pdf", "c.txt"}));
  EXPECT_EQ(FilesUnder(out + "/quarantine"), (std::set<std::string>{"b.txt", "b.txt.error.json"}));
  EXPECT_EQ(ReadAll(out + "/release/a.txt"), "Shared with [REDACTED s.23(1)] on 3 March.\n");
  std::set<std::string> archived;
  for (const std::string& f : FilesUnder(out + "/archive")) {
    archived.insert(fs::path(f).filename().string());
  }
  EXPECT_EQ(archived, (std::set<std::string>{"a.txt", "c.pdf"}));
}

INSTANTIATE_TEST_SUITE_P(Watch, CrashPoint,
                         ::testing::Values("claimed", "intent", "published", "processed",
                                           "attachments-done", "filed", "recorded", "archived"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

// Killed right after publishing, twice: the third start sets the document aside as poison,
// and the release published without a record goes with it (never a quarantined document whose
// release stays published).
TEST(WatchCrash, KilledAfterPublishingTwiceIsPoisonWithNothingLeftPublished) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  WriteAll(in + "/a.txt", "Shared with GCHQ on 3 March.\n");
  ASSERT_EQ(RunUntilCrash(in, out, "published", 1), kCrashed);
  EXPECT_TRUE(fs::exists(out + "/release/a.txt"));  // published, then the crash
  ASSERT_EQ(RunUntilCrash(in, out, "published", 1), kCrashed);
  EXPECT_FALSE(fs::exists(out + "/release/a.2.txt"));
  const std::string log = Recover(in, out, 1);
  ExpectExactlyOnce(in, out, {{"a.txt", "quarantined"}}, log);
  EXPECT_EQ(FilesUnder(out + "/release"), std::set<std::string>());
  json err = json::parse(ReadAll(out + "/quarantine/a.txt.error.json"));
  EXPECT_EQ(err["code"], "poison");
}

// A message killed while its attachments run (after the second is published): the restart
// empties its attachments folder and runs them again; each attachment recorded once. A folder
// dropped under the name the message's attachments would take keeps its file: the message's
// attachments go to a folder of their own.
TEST(WatchCrash, AMessageKilledWhileItsAttachmentsRunIsFinishedOnce) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  fs::copy_file(kSourceDir + "/tests/data/email/with-attachments.eml", in + "/reply.eml");
  WriteAll(in + "/reply.attachments/notes.txt", "A dropped file, not the attachment.\n");
  ASSERT_EQ(RunUntilCrash(in, out, "attachment", 2), kCrashed);
  const std::string log = Recover(in, out, 5);
  std::map<std::string, std::string> expected = {{"reply.eml", "released"},
                                                 {"reply.attachments/notes.txt", "released"}};
  for (const json& r : DocumentRecords(out)) {
    if (r.contains("parent")) expected[r["input"]] = "released";
  }
  EXPECT_EQ(expected.size(), 5u) << log;  // the message, its 3 attachments, the dropped file
  ExpectExactlyOnce(in, out, expected, log);
  std::string dropped;
  for (const json& r : DocumentRecords(out)) {
    if (r["input"] == "reply.attachments/notes.txt") dropped = r["outputs"][0]["path"];
  }
  EXPECT_EQ(ReadAll(out + "/" + dropped), "A dropped file, not the attachment.\n");
}

// A PDF and a text of one stem dropped together, two workers: the PDF's sidecar is reserved
// with its release, so neither replaces the other's file.
TEST(WatchNames, APdfAndATextOfOneStemTogetherKeepEveryFile) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  fs::copy_file(Sample("police-remote-devices-draft.pdf"), in + "/a.pdf");
  WriteAll(in + "/a.txt", "The text file's own release.\n");
  WatchConfig w = Config(in, out);
  w.job.jobs = 2;
  std::atomic<bool> stop{false};
  RunEnvironment run;
  run.stop = &stop;
  std::ostringstream log;
  std::thread daemon([&] { RunWatch(w, log, run); });
  const bool done = WaitFor([&] { return DocumentRecords(out).size() >= 2; }, 300s);
  stop = true;
  daemon.join();
  ASSERT_TRUE(done) << log.str();
  ExpectExactlyOnce(in, out, {{"a.pdf", "released"}, {"a.txt", "released"}}, log.str());
  EXPECT_EQ(FilesUnder(out + "/release").size(), 3u);  // the PDF, its sidecar, the text
  bool text_kept = false;
  for (const std::string& f : FilesUnder(out + "/release")) {
    text_kept |= ReadAll(out + "/release/" + f) == "The text file's own release.\n";
  }
  EXPECT_TRUE(text_kept);
}

// A file name of 250 bytes: its release cannot be written beside a temp name, so it is
// quarantined, and the quarantine really holds it (under a shortened name), once; nothing is
// left claimed to be recorded again at the next start.
TEST(WatchNames, A250ByteNameIsQuarantinedOnceUnderAShortenedName) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  const std::string name = std::string(246, 'n') + ".txt";
  WriteAll(in + "/" + name, "Shared with GCHQ.\n");
  std::atomic<bool> stop{false};
  RunEnvironment run;
  run.stop = &stop;
  std::ostringstream log;
  std::thread daemon([&] { RunWatch(Config(in, out), log, run); });
  const bool done = WaitFor(
      [&] { return DocumentRecords(out).size() >= 1 && FilesUnder(in + "/.redact/work").empty(); },
      120s);
  stop = true;
  daemon.join();
  ASSERT_TRUE(done) << log.str();
  ExpectExactlyOnce(in, out, {{name, "quarantined"}}, log.str());
  const std::set<std::string> kept = FilesUnder(out + "/quarantine");
  ASSERT_EQ(kept.size(), 2u);
  for (const std::string& f : kept) EXPECT_LT(f.size(), 200u) << f;
  EXPECT_EQ(ReadAll(out + "/quarantine/" + *kept.begin()), "Shared with GCHQ.\n");
}

std::string MessageWithNotes(const std::string& notes) {
  return "From: a@example.org\nTo: b@example.org\nSubject: notes\nMIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"
         "See the notes.\n--b\nContent-Type: text/plain\nContent-Disposition: attachment; "
         "filename=\"notes.txt\"\n\n" +
         notes + "\n--b--\n";
}

// One message name dropped twice: the second's attachments are written out, and released,
// beside the first's, never over them.
TEST(WatchNames, TwoMessagesOfOneNameEachKeepTheirAttachments) {
  if (!LibreOfficeInstalled()) GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  std::atomic<bool> stop{false};
  RunEnvironment run;
  run.stop = &stop;
  std::ostringstream log;
  std::thread daemon([&] { RunWatch(Config(in, out), log, run); });
  WriteAll(in + "/m.eml", MessageWithNotes("The first message's notes."));
  const bool first = WaitFor([&] { return DocumentRecords(out).size() >= 2; }, 300s);
  WriteAll(in + "/m.eml", MessageWithNotes("The second message's notes."));
  const bool second = first && WaitFor([&] { return DocumentRecords(out).size() >= 4; }, 300s);
  stop = true;
  daemon.join();
  ASSERT_TRUE(first && second) << log.str();
  ExpectInputCopiesKept(out);
  int first_notes = 0, second_notes = 0;
  for (const std::string& f : FilesUnder(out + "/release")) {
    if (fs::path(f).extension() != ".txt" || f.find(".attachments/") == std::string::npos) continue;
    const std::string text = ReadAll(out + "/release/" + f);
    first_notes += text.find("The first message's notes.") != std::string::npos;
    second_notes += text.find("The second message's notes.") != std::string::npos;
  }
  EXPECT_EQ(first_notes, 1) << log.str();
  EXPECT_EQ(second_notes, 1) << log.str();
}

// A writer that opened its file before the daemon started (so no open event was seen) and
// pauses longer than --settle: the kernel still says it is open for writing, so it is not
// taken half-written.
TEST(WatchNames, AWriterThatOpenedBeforeTheDaemonStartedIsWaitedFor) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  std::ofstream writer(in + "/slow.txt", std::ios::binary);
  writer << "First half of the draft.\n" << std::flush;
  WatchConfig w = Config(in, out);
  std::atomic<bool> stop{false};
  RunEnvironment run;
  run.stop = &stop;
  std::ostringstream log;
  std::thread daemon([&] { RunWatch(w, log, run); });
  // Three settle periods, and the daemon has scanned the inbox meanwhile.
  const bool scanned = WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, 60s);
  std::this_thread::sleep_for(1s);
  const bool still_there = fs::exists(in + "/slow.txt");
  writer << "Second half, written after the pause.\n" << std::flush;
  writer.close();
  const bool done = WaitFor([&] { return DocumentRecords(out).size() >= 1; }, 120s);
  stop = true;
  daemon.join();
  ASSERT_TRUE(scanned && done) << log.str();
  EXPECT_TRUE(still_there) << "taken while its writer still had it open\n" << log.str();
  EXPECT_EQ(ReadAll(out + "/release/slow.txt"),
            "First half of the draft.\nSecond half, written after the pause.\n");
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

using namespace testing;
using nlohmann::json;
namespace fs = std::filesystem;

std::vector<std::string> Lines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(ReadAll(path));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A crash mid-write leaves a last line without its line break: the next open cuts it off,
// keeps it, records the cut, and the chain goes on (the daemon is not kept down).
TEST(AuditAnchor, ATornLastLineIsCutAtOpenKeptAndRecorded) {
  TempDir dir;
  const std::string path = dir / "audit.jsonl";
  {
    auto log = AuditLog::Open(path);
    ASSERT_TRUE(log.ok());
    ASSERT_TRUE((*log)->Append({{"event", "one"}}).ok());
    ASSERT_TRUE((*log)->Append({{"event", "two"}}).ok());
  }
  std::ofstream(path, std::ios::app | std::ios::binary) << R"({"event":"thr)";
  auto log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status().message();
  ASSERT_TRUE((*log)->Append({{"event", "four"}}).ok());
  ChainCheck check = VerifyAuditChain(path);
  EXPECT_TRUE(check.intact) << check.message;
  const std::vector<std::string> lines = Lines(path);
  ASSERT_EQ(lines.size(), 4u);
  json repaired = json::parse(lines[2]);
  EXPECT_EQ(repaired["event"], "audit_repaired");
  EXPECT_EQ(repaired["cut_bytes"], 13);
  EXPECT_EQ(ReadAll(path + ".torn-3"), R"({"event":"thr)");
  EXPECT_EQ(json::parse(lines[3])["event"], "four");
}

// The chain alone cannot tell a log cut short, nor one recomputed whole; the anchor (an HMAC
// of the last line under the key) can, and a run refuses to append to such a log.
TEST(AuditAnchor, LinesCutFromTheEndOrARecomputedChainFailAgainstTheAnchor) {
  TempDir dir;
  const std::string path = dir / "audit.jsonl";
  const std::string key(64, 'a');
  {
    auto log = AuditLog::Open(path, Env::Default(), false, key);
    ASSERT_TRUE(log.ok());
    for (const char* e : {"one", "two", "three"}) ASSERT_TRUE((*log)->Append({{"event", e}}).ok());
  }
  ASSERT_TRUE(AuditLog::Open(path, Env::Default(), false, key).ok());
  const std::vector<std::string> lines = Lines(path);
  WriteAll(path, lines[0] + "\n" + lines[1] + "\n");  // the last line cut off
  ChainCheck cut = VerifyAuditChain(path);
  EXPECT_TRUE(cut.intact) << "the chain alone cannot see a cut end";
  Status s = CheckAuditAnchor(path, cut, key);
  EXPECT_EQ(s.code(), Status::Code::kTampered);
  EXPECT_NE(s.message().find("cut from its end"), std::string::npos) << s.message();
  auto refused = AuditLog::Open(path, Env::Default(), false, key);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kTampered);
  // A key that did not make the anchor vouches for nothing.
  WriteAll(path, lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n");
  EXPECT_TRUE(AuditLog::Open(path, Env::Default(), false, key).ok());
  EXPECT_FALSE(AuditLog::Open(path, Env::Default(), false, std::string(64, 'b')).ok());
  // The second line edited and the chain recomputed by hand: intact, but not what was anchored.
  std::string prev = kGenesisHash, rewritten;
  for (size_t i = 0; i < lines.size(); ++i) {
    json j = json::parse(lines[i]);
    if (i == 1) j["event"] = "edited";
    j["prev"] = prev;
    const std::string line = j.dump();
    prev = Sha256Hex(line);
    rewritten += line + "\n";
  }
  WriteAll(path, rewritten);
  ChainCheck recomputed = VerifyAuditChain(path);
  EXPECT_TRUE(recomputed.intact) << recomputed.message;
  EXPECT_EQ(CheckAuditAnchor(path, recomputed, key).code(), Status::Code::kTampered);
}

// The command line: verify with --key-file says a cut log is broken (exit 8) where the chain
// alone says intact; the next batch into that OUT refuses to start (exit 8).
TEST(AuditAnchor, VerifyWithTheKeyAndTheNextBatchRefuseACutLog) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  WriteAll(in + "/a.txt", "Shared with GCHQ.\n");
  WriteAll(in + "/b.txt", "Nothing to hide.\n");
  ASSERT_EQ(Redact("batch " + Quote(in) + " -o " + Quote(out)).exit_code, 0);
  const std::string log = out + "/audit/audit.jsonl";
  const std::string key_file = std::getenv("REDACT_KEY_FILE");
  CommandResult ok = Redact("audit verify " + Quote(log) + " --key-file " + Quote(key_file));
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("matches its anchor"), std::string::npos) << ok.out;
  std::vector<std::string> lines = Lines(log);
  lines.pop_back();  // run_end
  std::string cut;
  for (const std::string& l : lines) cut += l + "\n";
  WriteAll(log, cut);
  EXPECT_EQ(Redact("audit verify " + Quote(log)).exit_code, 0) << "the chain alone";
  CommandResult broken = Redact("audit verify " + Quote(log) + " --key-file " + Quote(key_file));
  EXPECT_EQ(broken.exit_code, 8) << broken.out;
  EXPECT_NE(broken.out.find("cut from its end"), std::string::npos) << broken.out;
  CommandResult again = Redact("batch " + Quote(in) + " -o " + Quote(out));
  EXPECT_EQ(again.exit_code, 8) << again.out;
  EXPECT_EQ(Lines(log).size(), lines.size()) << "nothing appended to a cut log";
}

// A file named as a formula is text in a spreadsheet, not a formula (OWASP CSV injection).
TEST(Schedule, AFieldAFormulaWouldStartWithIsQuotedAsText) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  WriteAll(in + "/=HYPERLINK(1).txt", "Shared with GCHQ.\n");
  CommandResult r = Redact("batch " + Quote(in) + " -o " + Quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string csv = ReadAll(out + "/audit/schedule.csv");
  EXPECT_NE(csv.find("\"'=HYPERLINK(1).txt\""), std::string::npos) << csv;
  EXPECT_EQ(csv.find("\"=HYPERLINK"), std::string::npos) << csv;
}

// A record edited to name another file as a draft (/etc/passwd) breaks the chain, and the
// review application refuses to serve that OUT at all.
TEST(ReviewChain, AnEditedAuditLogIsNotServed) {
  TempDir dir;
  const std::string in = dir / "in", out = dir / "out";
  WriteAll(in + "/a.txt", "Shared with GCHQ.\n");
  ASSERT_EQ(Redact("batch " + Quote(in) + " -o " + Quote(out)).exit_code, 0);
  const std::string log = out + "/audit/audit.jsonl";
  std::string text = ReadAll(log);
  const std::string path = in + "/a.txt";
  const size_t at = text.find(path);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, path.size(), "/etc/passwd");
  WriteAll(log, text);
  std::atomic<bool> stop{true};
  ReviewOptions options;
  options.out = out;
  options.stop = &stop;
  std::ostringstream err;
  EXPECT_EQ(RunReviewServer(options, err), 1);
  EXPECT_NE(err.str().find("does not verify"), std::string::npos) << err.str();
}

// An attachment named with a right-to-left override ("report<U+202E>fdp.exe" shows as
// "reportexe.pdf") is written out, and released, under its name without the controls.
TEST(AttachmentNames, BidiControlsAreTakenOut) {
  TempDir dir;
  const std::string eml = dir / "m.eml";
  WriteAll(eml,
           "From: a@example.org\nTo: b@example.org\nSubject: s\nMIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n"
           "Body.\n--b\nContent-Type: text/plain\nContent-Disposition: attachment; "
           "filename*=UTF-8''report%E2%80%AEfdp%E2%81%A6.txt\n\nAttached.\n--b--\n");
  auto mail = ReadEmailMessage(eml, dir / "att");
  ASSERT_TRUE(mail.ok()) << mail.status().message();
  ASSERT_EQ(mail->attachments.size(), 1u);
  EXPECT_EQ(mail->attachments[0].name, "reportfdp.txt");
}

// A multipart whose boundary never appears holds its parts in a preamble no client shows:
// refused (quarantined), never released as an empty body with the parts silently gone.
TEST(BrokenMime, AMultipartWhoseBoundaryNeverAppearsIsRefused) {
  TempDir dir;
  const std::string eml = dir / "m.eml";
  WriteAll(eml,
           "From: a@example.org\nTo: b@example.org\nSubject: s\nMIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"abc\"\n\n--xyz\nContent-Type: "
           "text/plain\n\nThe body the boundary lost.\n--xyz--\n");
  auto mail = ReadEmailMessage(eml, dir / "att");
  ASSERT_FALSE(mail.ok());
  EXPECT_NE(mail.status().message().find("boundary \"abc\" never appears"), std::string::npos)
      << mail.status().message();
}

// A page of a million "q" (save the graphics state) grows the reader past the memory limit:
// reported as memory, not as "reader crashed (signal 6)" (the abort of an uncaught bad_alloc).
TEST(WorkerLimits, APageThatExhaustsMemoryIsReportedAsOutOfMemory) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 1000000; ++i) content += "q\n";
  std::vector<std::string> objects = {
      "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
      "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
      "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream"};
  std::string pdf = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(pdf.size());
    pdf += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = pdf.size();
  pdf += "xref\n0 5\n0000000000 65535 f \n";
  for (size_t o : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    pdf += line;
  }
  pdf += "trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  WriteAll(dir / "in/q.pdf", pdf);
  CommandResult r = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") +
                           " --ocr never --max-memory-mb 400");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  const std::string note = ReadAll(dir / "out/quarantine/q.pdf.error.json");
  ASSERT_FALSE(note.empty()) << r.out;
  json err = json::parse(note);
  const std::string error = err["error"];
  EXPECT_NE(error.find("ran out of memory"), std::string::npos) << error;
  EXPECT_EQ(error.find("crashed"), std::string::npos) << error;
}

// A two-page TIFF (16 x 16 grey, uncompressed, little-endian), written by hand: header, then
// for each page its directory and its pixels.
std::string TwoPageTiff() {
  std::string t = std::string("II*\0", 4) + std::string(4, '\0');
  const auto put16 = [&](uint32_t v) { t += char(v & 0xff), t += char(v >> 8 & 0xff); };
  const auto put32 = [&](uint32_t v) { put16(v & 0xffff), put16(v >> 16); };
  const auto at32 = [&](size_t o, uint32_t v) {
    for (int k = 0; k < 4; ++k) t[o + size_t(k)] = char(v >> (8 * k) & 0xff);
  };
  at32(4, 8);
  for (int page = 0; page < 2; ++page) {
    const uint32_t ifd = uint32_t(t.size()), data = ifd + 2 + 9 * 12 + 4;
    put16(9);
    const uint32_t entries[9][3] = {{256, 3, 16}, {257, 3, 16}, {258, 3, 8},
                                    {259, 3, 1},  {262, 3, 1},  {273, 4, data},
                                    {277, 3, 1},  {278, 3, 16}, {279, 4, 256}};
    for (const auto& e : entries) {
      put16(e[0]), put16(e[1]), put32(1);
      if (e[1] == 3) {
        put16(e[2]), put16(0);
      } else {
        put32(e[2]);
      }
    }
    const size_t next = t.size();
    put32(0);
    t += std::string(256, char(0xff));
    if (page == 0) at32(next, uint32_t(t.size()));
  }
  return t;
}

// A multi-page TIFF cut short was released as its first page with nothing said: refused, saying
// which page is missing. Whole, the same file releases both pages.
TEST(ImageInputs, ATiffCutShortIsRefusedNotReleasedAsItsFirstPages) {
  TempDir dir;
  const std::string tiff = TwoPageTiff();
  WriteAll(dir / "whole/scan.tif", tiff);
  WriteAll(dir / "cut/scan.tif", tiff.substr(0, 400));  // inside the second page's directory
  CommandResult whole = Redact("batch " + Quote(dir / "whole") + " -o " + Quote(dir / "w"));
  ASSERT_EQ(whole.exit_code, 0) << whole.out;
  EXPECT_NE(
      RunCommand("pdfinfo " + Quote(dir / "w/release/scan.pdf")).out.find("Pages:           2"),
      std::string::npos);
  CommandResult cut = Redact("batch " + Quote(dir / "cut") + " -o " + Quote(dir / "c"));
  EXPECT_EQ(cut.exit_code, 2) << cut.out;
  EXPECT_FALSE(fs::exists(dir / "c/release/scan.pdf"));
  const std::string why = ReadAll(dir / "c/quarantine/scan.tif.error.json");
  EXPECT_NE(why.find("cut short"), std::string::npos) << why;
  EXPECT_NE(why.find("page 2"), std::string::npos) << why;
}

// After a crash, files never started go before the one that was in progress (which counts an
// attempt): the same files are not the ones in progress at the next crash.
TEST(WatchRecovery, LeftoversNeverStartedGoBeforeThoseInProgressAtTheCrash) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  for (const char* name : {"a.txt", "b.txt", "c.txt"}) {
    WriteAll(in + "/.redact/work/" + name, std::string("Draft ") + name + ".\n");
  }
  WriteAll(in + "/.redact/attempts/" + Sha256Hex("a.txt"),
           R"({"input":"a.txt","attempts":1,"step":"processing"})");
  const std::string log = Recover(in, out, 3);
  const size_t a = log.find("started a.txt"), b = log.find("started b.txt"),
               c = log.find("started c.txt");
  ASSERT_NE(a, std::string::npos) << log;
  EXPECT_LT(b, a) << log;
  EXPECT_LT(c, a) << log;
  EXPECT_NE(log.find("started a.txt: attempt 2"), std::string::npos) << log;
  ExpectExactlyOnce(in, out, {{"a.txt", "released"}, {"b.txt", "released"}, {"c.txt", "released"}},
                    log);
}

// The review app takes a document or page only as a whole number in range: 0.5, 1e30 and a
// page of 10^9 were taken (0.5 as document 0, the page written into decisions.toml).
TEST(ReviewChain, DocumentAndPageNumbersMustBeWholeAndInRange) {
  if (RunCommand("command -v curl").exit_code != 0) GTEST_SKIP() << "no curl";
  TempDir dir;
  const std::string out = dir / "out";
  WriteAll(dir / "in/a.txt", "Shared with GCHQ.\n");
  ASSERT_EQ(Redact("batch " + Quote(dir / "in") + " -o " + Quote(out)).exit_code, 0);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::string url;
  ReviewOptions options;
  options.out = out;
  options.stop = &stop;
  options.token = "0123456789abcdef";
  options.on_ready = [&](const std::string& u) {
    std::lock_guard<std::mutex> lock(mu);
    url = u;
  };
  std::ostringstream err;
  std::thread server([&] { RunReviewServer(options, err); });
  const bool ready = WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return !url.empty();
      },
      60s);
  std::string base;
  {
    std::lock_guard<std::mutex> lock(mu);
    base = url.substr(0, url.find("/?token="));
  }
  const auto decide = [&](const std::string& body) {
    return RunCommand("curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Redact-Token: " +
                      options.token + "' --data " + Quote(body) + " " + Quote(base + "/api/decide"))
        .out;
  };
  const auto page_png = [&](const std::string& query) {
    return RunCommand("curl -s -o /dev/null -w '%{http_code}' -H 'X-Redact-Token: " +
                      options.token + "' " + Quote(base + "/api/page.png?" + query))
        .out;
  };
  const std::string page = R"j({"type":"page","exemption":"s.40(2)",)j";
  const std::string doc0_page1 = decide(page + R"("doc":0,"page":1})");
  const std::string half = decide(page + R"("doc":0.5,"page":1})");
  const std::string huge = decide(page + R"("doc":1e30,"page":1})");
  const std::string far_page = decide(page + R"("doc":0,"page":1000000000})");
  const std::string png_half = page_png("doc=0.5&page=1");
  const std::string png_far = page_png("doc=0&page=1000000000");
  stop = true;
  server.join();
  ASSERT_TRUE(ready) << err.str();
  EXPECT_EQ(doc0_page1, "200") << err.str();
  EXPECT_EQ(half, "400");
  EXPECT_EQ(huge, "400");
  EXPECT_EQ(far_page, "400");
  EXPECT_EQ(png_half, "400");
  EXPECT_EQ(png_far, "400");
}

}  // namespace
}  // namespace redact
