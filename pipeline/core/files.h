#pragma once
// File helpers with the publishing discipline of the design: every output is written to a
// temporary file in the destination folder, fsync'd, then renamed over the final name, so a
// reader (or a crash) never sees a partial file.

#include <string>
#include <string_view>

#include "pipeline/core/env.h"
#include "pipeline/core/status.h"

namespace redact {

// Reads a whole file. Fails if it is larger than `max_bytes`.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = size_t(1) << 32);

// Creates the parent folders of `path`, writes `data` to a temp file beside it, fsyncs, renames.
// On failure the temp file is removed and `path` is as it was.
Status WriteFileAtomic(const std::string& path, std::string_view data, Env* env = Env::Default());

// WriteFileAtomic without the fsync: a reader sees the whole file or none of it, but a crash
// may lose it. For files that can be made again (the report's page views).
Status WriteFileAtomicUnsynced(const std::string& path, std::string_view data,
                               Env* env = Env::Default());

// Writes `data` to the new file `path` (which must not exist) and fsyncs it; on failure the
// file is removed. The first half of WriteFileAtomic, for outputs renamed into place later.
Status WriteNewFile(const std::string& path, std::string_view data, Env* env = Env::Default());

// Copies `from` to `to` with WriteFileAtomic's guarantees; `from` is only read.
Status CopyFileAtomic(const std::string& from, const std::string& to, Env* env = Env::Default());

// Appends one line (plus '\n') and fsyncs; a line that could not be written whole is cut
// off again, so the file only ever holds whole lines. For the audit log.
Status AppendLineDurable(const std::string& path, std::string_view line, Env* env = Env::Default());

// A temp path beside `path` that no other thread or process of ours will pick.
std::string TempPathBeside(const std::string& path);

// Writes all of `data` to the descriptor `fd` (a pipe, a socket or a file), through
// interruptions and short writes; a socket whose reader has gone is an error, never SIGPIPE.
// False on any other failure.
bool WriteFully(int fd, std::string_view data);

// An FOI unit shares OUT with its group: a setgid folder its group may write (mode 2770). Then
// whatever this process writes there is the group's as much as its owner's (the umask's group
// bits are made its owner bits), so that the daemon, and each member reviewing and applying
// decisions, can all write the review files, the audit log and the releases. Elsewhere the
// umask is left as it is. Returns whether OUT is shared.
bool ShareOutWithItsGroup(const std::string& out);

// An exclusive lock (flock) on a file or folder that other processes of ours take too, held
// while it lives: read-modify-write of a file that a daemon and reviewers share (the decisions
// file, the audit log). Never fails: a file system without locks is run without.
class FileLock {
 public:
  explicit FileLock(const std::string& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace redact
