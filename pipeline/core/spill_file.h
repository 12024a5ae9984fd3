#pragma once
// SpillFile: bytes a stage has finished with, kept on disk until a later stage reads them
// back, so a long document's pages wait in a file rather than in memory. The file has no name
// (it is unlinked, or never linked), is readable by its owner only, and is gone when the
// SpillFile is destroyed or the process dies. Append and Read are thread-safe.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "pipeline/core/env.h"
#include "pipeline/core/status.h"

namespace redact {

class SpillFile {
 public:
  // Where a piece of bytes lies in the file.
  struct Ref {
    uint64_t offset = 0, size = 0;
  };

  // A new, empty spill file in folder `dir` (on the disk it names; /tmp is often in memory).
  static Result<std::unique_ptr<SpillFile>> Create(const std::string& dir,
                                                   Env* env = Env::Default());
  ~SpillFile();
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  Result<Ref> Append(std::string_view bytes);
  Result<std::string> Read(Ref ref) const;
  uint64_t size() const;

 private:
  explicit SpillFile(std::unique_ptr<ScratchFile> file) : file_(std::move(file)) {}
  std::unique_ptr<ScratchFile> file_;
  mutable std::mutex mu_;  // guards end_
  uint64_t end_ = 0;
};

}  // namespace redact
