// Failure paths of the machine, injected through the Env: a disk that fills half way through a
// release, EIO on fsync, a rename refused at publish, a read-only OUT, an audit line cut off.
// Each must publish nothing partial, leave the input untouched and the audit chain intact,
// say what happened (the machine, not the document) and exit with the README's code.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

#include "pipeline/audit/audit_log.h"
#include "pipeline/batch/batch.h"
#include "pipeline/core/env.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"
#include "pipeline/watch/watch.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::kSourceDir;
using testing::TempDir;
namespace fs = std::filesystem;

// The real file system, with faults on the paths that contain `where`.
class FaultEnv : public Env {
 public:
  enum class Fault { kNone, kDiskFullAfter, kEioOnSync, kRenameRefused, kReadOnly };

  void Inject(Fault fault, std::string where, uint64_t budget = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    fault_ = fault;
    where_ = std::move(where);
    budget_ = budget;
  }
  int faults() const { return faults_; }

  Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) override {
    if (Hits(Fault::kReadOnly, path)) return IoError("cannot create", path, EROFS);
    auto f = base_->NewWritableFile(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(std::make_unique<File>(this, std::move(*f), path));
  }
  Result<std::unique_ptr<ScratchFile>> NewScratchFile(const std::string& dir) override {
    const std::string where = dir + "/";
    if (Hits(Fault::kReadOnly, where))
      return IoError("cannot make a temporary file in", dir, EROFS);
    auto f = base_->NewScratchFile(dir);
    if (!f.ok()) return f.status();
    return std::unique_ptr<ScratchFile>(std::make_unique<Scratch>(this, std::move(*f), where));
  }
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    if (Hits(Fault::kReadOnly, path)) return IoError("cannot open for appending", path, EROFS);
    auto f = base_->NewAppendableFile(path);
    if (!f.ok()) return f.status();
    return std::unique_ptr<WritableFile>(std::make_unique<File>(this, std::move(*f), path));
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (Hits(Fault::kRenameRefused, to) || Hits(Fault::kReadOnly, to)) {
      return IoError("cannot rename " + from + " to", to, EACCES);
    }
    return base_->RenameFile(from, to);
  }
  Status CreateDirs(const std::string& dir) override {
    std::error_code ec;
    if (!fs::is_directory(dir, ec) && Hits(Fault::kReadOnly, dir)) {
      return IoError("cannot create folder", dir, EROFS);
    }
    return base_->CreateDirs(dir);
  }
  void RemoveFile(const std::string& path) override { base_->RemoveFile(path); }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    return base_->TruncateFile(path, size);
  }
  std::time_t Now() override { return 1764600000; }  // a fixed clock: the records' time is ours

 private:
  class File : public WritableFile {
   public:
    File(FaultEnv* env, std::unique_ptr<WritableFile> base, std::string path)
        : env_(env), base_(std::move(base)), path_(std::move(path)) {}
    Status Append(std::string_view data) override {
      if (env_->Hits(Fault::kDiskFullAfter, path_)) {
        // Writes what still fits, as a real full disk does, then fails.
        const uint64_t room = env_->TakeBudget(data.size());
        if (room < data.size()) {
          if (Status s = base_->Append(data.substr(0, room)); !s.ok()) return s;
          ++env_->faults_;
          return IoError("write failed on", path_, ENOSPC);
        }
      }
      return base_->Append(data);
    }
    Status Sync() override {
      if (env_->Hits(Fault::kEioOnSync, path_)) {
        ++env_->faults_;
        return IoError("fsync failed on", path_, EIO);
      }
      return base_->Sync();
    }
    Status Close() override { return base_->Close(); }

   private:
    FaultEnv* env_;
    std::unique_ptr<WritableFile> base_;
    std::string path_;
  };

  class Scratch : public ScratchFile {
   public:
    Scratch(FaultEnv* env, std::unique_ptr<ScratchFile> base, std::string where)
        : env_(env), base_(std::move(base)), where_(std::move(where)) {}
    Status WriteAt(uint64_t offset, std::string_view data) override {
      if (env_->Hits(Fault::kDiskFullAfter, where_) &&
          env_->TakeBudget(data.size()) < data.size()) {
        ++env_->faults_;
        return IoError("cannot write", "a temporary file", ENOSPC);
      }
      return base_->WriteAt(offset, data);
    }
    Status ReadAt(uint64_t offset, size_t n, std::string* out) const override {
      return base_->ReadAt(offset, n, out);
    }

   private:
    FaultEnv* env_;
    std::unique_ptr<ScratchFile> base_;
    std::string where_;
  };

  bool Hits(Fault fault, const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    const bool hit = fault_ == fault && path.find(where_) != std::string::npos;
    if (hit && fault != Fault::kDiskFullAfter && fault != Fault::kEioOnSync) ++faults_;
    return hit;
  }
  uint64_t TakeBudget(uint64_t want) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t got = std::min(want, budget_);
    budget_ -= got;
    return got;
  }

  Env* base_ = Env::Default();
  std::mutex mu_;
  Fault fault_ = Fault::kNone;
  std::string where_;
  uint64_t budget_ = 0;
  std::atomic<int> faults_{0};
};

using Fault = FaultEnv::Fault;

// Every file under `root`, relative, including temps.
std::vector<std::string> FilesUnder(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(it->path().lexically_relative(root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<nlohmann::json> AuditRecords(const std::string& out, const std::string& event) {
  std::vector<nlohmann::json> records;
  std::ifstream f(fs::path(out) / "audit" / "audit.jsonl");
  std::string line;
  while (std::getline(f, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("event", "") == event) records.push_back(j);
  }
  return records;
}

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A PDF and a text draft, copied so that "untouched" can be checked byte for byte.
    fs::copy_file(fs::path(kSourceDir) / "samples" / "police-remote-devices-draft.pdf",
                  in_ / "draft.pdf");
    std::ofstream(in_ / "note.txt") << "Contact Dr Jane Smith on 020 7946 0123 about the VPN.\n";
    for (const std::string& f : FilesUnder(in_.path())) {
      before_[f] = *Sha256File(in_ / f);
    }
  }

  int Run(std::string* messages) {
    JobConfig config;
    config.inputs = {in_.path()};
    config.out = out_.path();
    config.isolate = false;  // in this process, so that the documents use our Env
    config.ocr = OcrMode::kNever;
    config.jobs = 1;
    config.quiet = true;
    config.report = false;
    std::ostringstream out, err;
    RunEnvironment run;
    run.env = &env_;
    int rc = RunBatch(config, out, err, run);
    *messages = err.str();
    return rc;
  }

  void ExpectInputsUntouched() {
    for (const auto& [f, sha] : before_) EXPECT_EQ(*Sha256File(in_ / f), sha) << f;
    EXPECT_EQ(FilesUnder(in_.path()).size(), before_.size());
  }

  void ExpectNothingPublished() {
    for (const char* sub : {"release", "review", "quarantine"}) {
      EXPECT_EQ(FilesUnder(out_ / sub), std::vector<std::string>()) << sub;
    }
  }

  void ExpectAuditIntact() {
    ChainCheck check = VerifyAuditChain(out_ / "audit/audit.jsonl");
    EXPECT_TRUE(check.intact) << check.message;
  }

  TempDir in_, out_;
  FaultEnv env_;
  std::map<std::string, std::string> before_;
};

TEST_F(FaultTest, DiskFullHalfWayThroughAReleasePublishesNothingAndSaysTheDiskIsFull) {
  // The release PDF's own temp file (".draft.pdf.tmp.<pid>.<n>"): its first 20 kB fit.
  env_.Inject(Fault::kDiskFullAfter, "/release/.draft.pdf.tmp.", 20000);
  std::string messages;
  EXPECT_EQ(Run(&messages), kExitOutputNotWritable) << messages;
  EXPECT_GT(env_.faults(), 0);
  EXPECT_NE(messages.find("No space left on device"), std::string::npos) << messages;
  EXPECT_NE(messages.find("disk is full"), std::string::npos) << messages;
  EXPECT_NE(messages.find("run the same command again"), std::string::npos) << messages;
  EXPECT_EQ(messages.find("quarantined:"), std::string::npos) << "the document is not to blame";
  ExpectNothingPublished();
  ExpectInputsUntouched();
  ExpectAuditIntact();
  auto docs = AuditRecords(out_.path(), "document");
  ASSERT_EQ(docs.size(), 1u) << "the run stops at the first failure of the machine";
  EXPECT_EQ(docs[0]["status"], "output_failed");
  EXPECT_EQ(docs[0]["code"], "output unavailable");
  EXPECT_EQ(docs[0]["stage"], "write");
  auto end = AuditRecords(out_.path(), "run_end");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_EQ(end[0]["not_started"], 1);
  EXPECT_EQ(end[0]["output_failed"], 1);

  // Once there is room again the same command releases both.
  env_.Inject(Fault::kNone, "");
  EXPECT_EQ(Run(&messages), kExitOk) << messages;
  EXPECT_EQ(FilesUnder(out_ / "release"),
            (std::vector<std::string>{"draft.pdf", "draft.txt", "note.txt"}));
  ExpectAuditIntact();
}

// The pages waiting between stages fill the disk first: the same outcome, at an earlier stage.
TEST_F(FaultTest, DiskFullWhileSpillingPagesIsTheMachinesFailureToo) {
  env_.Inject(Fault::kDiskFullAfter, "/release/", 4096);
  std::string messages;
  EXPECT_EQ(Run(&messages), kExitOutputNotWritable) << messages;
  EXPECT_GT(env_.faults(), 0);
  EXPECT_NE(messages.find("No space left on device"), std::string::npos) << messages;
  EXPECT_EQ(messages.find("quarantined:"), std::string::npos) << messages;
  ExpectNothingPublished();
  ExpectInputsUntouched();
  ExpectAuditIntact();
  auto docs = AuditRecords(out_.path(), "document");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["status"], "output_failed");
}

TEST_F(FaultTest, EioOnFsyncOfTheReleaseLeavesNoFileAndBlamesTheDisk) {
  env_.Inject(Fault::kEioOnSync, "/release/");
  std::string messages;
  EXPECT_EQ(Run(&messages), kExitOutputNotWritable) << messages;
  EXPECT_GT(env_.faults(), 0);
  EXPECT_NE(messages.find("fsync failed"), std::string::npos) << messages;
  EXPECT_NE(messages.find("I/O error"), std::string::npos) << messages;
  ExpectNothingPublished();
  ExpectInputsUntouched();
  ExpectAuditIntact();
}

TEST_F(FaultTest, ARenameRefusedAtPublishLeavesNoTempAndNoRelease) {
  env_.Inject(Fault::kRenameRefused, "/release/draft.pdf");
  std::string messages;
  EXPECT_EQ(Run(&messages), kExitOutputNotWritable) << messages;
  EXPECT_GT(env_.faults(), 0);
  EXPECT_NE(messages.find("cannot rename"), std::string::npos) << messages;
  ExpectNothingPublished();  // nor the sidecar, which would have been renamed after it
  ExpectInputsUntouched();
  ExpectAuditIntact();
  auto docs = AuditRecords(out_.path(), "document");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["stage"], "publish");
}

// The sidecar's rename refused after the PDF's went through: the PDF is taken back.
TEST_F(FaultTest, PublishingIsAllOrNothing) {
  env_.Inject(Fault::kRenameRefused, "/release/draft.txt");
  std::string messages;
  EXPECT_EQ(Run(&messages), kExitOutputNotWritable) << messages;
  EXPECT_GT(env_.faults(), 0);
  ExpectNothingPublished();
  ExpectInputsUntouched();
  ExpectAuditIntact();
}

TEST_F(FaultTest, AReadOnlyOutputFolderStopsTheRunBeforeAnyDocument) {
  env_.Inject(Fault::kReadOnly, out_.path());
  std::string messages;
  EXPECT_EQ(Run(&messages), kExitOutputNotWritable) << messages;
  EXPECT_GT(env_.faults(), 0);
  EXPECT_NE(messages.find("Read-only file system"), std::string::npos) << messages;
  EXPECT_NE(messages.find("Choose an output folder"), std::string::npos) << messages;
  EXPECT_EQ(FilesUnder(out_.path()), std::vector<std::string>());
  ExpectInputsUntouched();
}

TEST(AuditLogFaults, ALineCutOffByAFullDiskIsTakenBackAndTheChainContinues) {
  TempDir dir;
  FaultEnv env;
  const std::string path = dir / "audit.jsonl";
  auto log = AuditLog::Open(path, &env);
  ASSERT_TRUE(log.ok());
  ASSERT_TRUE((*log)->Append({{"event", "one"}}).ok());
  const auto size = fs::file_size(path);
  env.Inject(Fault::kDiskFullAfter, "audit.jsonl", 10);  // 10 bytes of the next line fit
  Status s = (*log)->Append({{"event", "two"}, {"padding", std::string(200, 'x')}});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kOutputUnavailable);
  EXPECT_EQ(fs::file_size(path), size) << "half a line would break the chain";
  env.Inject(Fault::kNone, "");
  ASSERT_TRUE((*log)->Append({{"event", "three"}}).ok());
  ChainCheck check = VerifyAuditChain(path);
  EXPECT_TRUE(check.intact) << check.message;
  EXPECT_EQ(check.lines, 2u);
}

TEST(WriteFileAtomicFaults, AFailedWriteLeavesTheOldFileAndNoTemp) {
  TempDir dir;
  FaultEnv env;
  const std::string path = dir / "status.json";
  ASSERT_TRUE(WriteFileAtomic(path, "old", &env).ok());
  env.Inject(Fault::kDiskFullAfter, dir.path(), 2);
  EXPECT_EQ(WriteFileAtomic(path, "a longer new text", &env).code(),
            Status::Code::kOutputUnavailable);
  EXPECT_EQ(*ReadFile(path), "old");
  EXPECT_EQ(FilesUnder(dir.path()), std::vector<std::string>{"status.json"});
}

bool WaitFor(const std::function<bool()>& done, std::chrono::seconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// The daemon, in this process with the faulty Env: a document whose release the disk refused
// is neither quarantined nor archived; it stays claimed and goes through once there is room.
TEST(WatchFaults, AReleaseTheDiskRefusedStaysClaimedAndIsTriedAgain) {
  TempDir tmp;
  const std::string in = tmp / "inbox", out = tmp / "out";
  fs::create_directories(in);
  FaultEnv env;
  env.Inject(Fault::kDiskFullAfter, "/release/", 0);
  WatchConfig w;
  w.job.inputs = {in};
  w.job.out = out;
  w.job.isolate = false;
  w.job.ocr = OcrMode::kNever;
  w.job.jobs = 1;
  w.job.quiet = true;
  w.job.report = false;
  w.settle_seconds = 0.5;
  w.retry_seconds = 1;
  std::atomic<bool> stop{false};
  RunEnvironment run;
  run.env = &env;
  run.stop = &stop;
  std::ostringstream log;
  int rc = -1;
  std::thread daemon([&] { rc = RunWatch(w, log, run); });
  ASSERT_TRUE(
      WaitFor([&] { return fs::exists(out + "/audit/status.json"); }, std::chrono::seconds(30)));
  std::ofstream(in + "/note.txt") << "Ring Dr Jane Smith on 020 7946 0123.\n";
  const bool refused = WaitFor([&] { return env.faults() > 0; }, std::chrono::seconds(30));
  EXPECT_TRUE(refused);
  EXPECT_TRUE(fs::exists(in + "/.redact/work/note.txt")) << "the claimed file stays claimed";
  EXPECT_EQ(FilesUnder(out + "/quarantine"), std::vector<std::string>());
  EXPECT_EQ(FilesUnder(out + "/release"), std::vector<std::string>());
  env.Inject(Fault::kNone, "");
  const bool released =
      WaitFor([&] { return fs::exists(out + "/release/note.txt"); }, std::chrono::seconds(30));
  stop = true;
  daemon.join();
  ASSERT_TRUE(refused && released) << log.str();
  EXPECT_EQ(rc, kExitOk) << log.str();
  EXPECT_NE(log.str().find("output-failed note.txt"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("disk is full"), std::string::npos) << log.str();
  EXPECT_EQ(ReadFile(out + "/release/note.txt")->find("020 7946 0123"), std::string::npos);
  EXPECT_FALSE(fs::exists(in + "/.redact/work/note.txt"));
  auto docs = AuditRecords(out, "document");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0]["status"], "released");
  ChainCheck check = VerifyAuditChain(out + "/audit/audit.jsonl");
  EXPECT_TRUE(check.intact) << check.message;
}

}  // namespace
}  // namespace redact
