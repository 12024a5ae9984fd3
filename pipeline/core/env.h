#pragma once
// Env: what the pipeline takes from the machine, the file system and the clock, behind one
// interface (after LevelDB's), so that a run is given it rather than reaching for it and a
// test can hand it a file system that fails: a full disk, EIO on fsync, a rename refused, a
// read-only output folder.
//
//   Env* env = Env::Default();                // the real machine
//   auto file = env->NewWritableFile(tmp);    // O_CREAT | O_EXCL: never an existing file
//   if (s.ok()) s = (*file)->Append(bytes);
//   if (s.ok()) s = (*file)->Sync();
//   if (s.ok()) s = env->RenameFile(tmp, final_path);
//
// Every failure is a Status::Io whose message names the file and the system's reason, and
// whose hint says what to do when the cause is the machine rather than the document (a full
// disk, a read-only or unwritable folder).
// Thread-safety: Env::Default() and its files may be used from any thread; a WritableFile
// by one thread at a time.

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace redact {

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;   // the bytes so far are on disk
  virtual Status Close() = 0;  // also done, errors ignored, by the destructor
};

// A file with no name, for bytes the same process reads back (the spill file): readable by its
// owner only, gone when closed or when the process dies. Thread-safe.
class ScratchFile {
 public:
  virtual ~ScratchFile() = default;
  virtual Status WriteAt(uint64_t offset, std::string_view data) = 0;
  virtual Status ReadAt(uint64_t offset, size_t n, std::string* out) const = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // The real file system and clock. Never deleted.
  static Env* Default();

  // Creates `path` for writing; fails if it exists (temp names are never reused).
  virtual Result<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path) = 0;
  // A scratch file on the disk that holds folder `dir` (/tmp is often memory).
  virtual Result<std::unique_ptr<ScratchFile>> NewScratchFile(const std::string& dir) = 0;
  // Opens `path` for appending, creating it if need be (the audit log).
  virtual Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) = 0;
  // rename(2): replaces `to` atomically; then makes the rename durable (fsync of the folder).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // rename(2) alone: as atomic for a reader, but a crash may undo it. For files that are not
  // synced themselves (a folder's fsync would be a disk write for nothing). By default the
  // durable rename.
  virtual Status RenameFileUnsynced(const std::string& from, const std::string& to) {
    return RenameFile(from, to);
  }
  // Creates `dir` and its parents (no error if it exists).
  virtual Status CreateDirs(const std::string& dir) = 0;
  // Removes a file; a missing one is not an error.
  virtual void RemoveFile(const std::string& path) = 0;
  // Cuts `path` back to `size` bytes (an append that failed half way leaves nothing).
  virtual Status TruncateFile(const std::string& path, uint64_t size) = 0;
  // Wall-clock time, for the records.
  virtual std::time_t Now() = 0;
  // A named step of a protocol that must survive a crash at any point (the daemon's claim
  // steps: "intent", "published", "processed", ...), reached after the step's effects are on
  // disk. Nothing here by default; a test's Env ends the process at one, as kill -9 would,
  // and checks that the next start finishes or rolls back what was begun.
  virtual void CrashPoint(std::string_view step) { (void)step; }
};

// The Status for a failed system call on `path` (errno `err`): the message says what was being
// done and why it failed; a full disk, a read-only file system, a quota or a permission refused
// are Status::OutputUnavailable with a hint that the machine, not the document, needs
// attention; anything else is Status::Io.
Status IoError(const std::string& what, const std::string& path, int err);

// Times for the audit records. Deterministic (--deterministic): every time is
// $SOURCE_DATE_EPOCH (or 1970-01-01), read once when the clock is made, and every measured
// duration is 0, so that two runs of the same inputs give byte-identical records.
class RecordClock {
 public:
  RecordClock(Env* env, bool deterministic);
  std::string Now() const;  // ISO 8601 UTC, "2026-12-01T15:11:36Z"
  double Seconds(double measured) const { return deterministic_ ? 0.0 : measured; }
  bool deterministic() const { return deterministic_; }

 private:
  Env* env_;
  bool deterministic_;
  std::time_t fixed_ = 0;
};

}  // namespace redact
