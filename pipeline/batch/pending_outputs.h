#pragma once
// PendingOutputs: a document's output files, written under temp names beside their final
// paths and published together by rename once the release has passed its self-check. Whatever
// is not published is removed when the object goes, so a failure at any stage leaves nothing.
// Thread-safety: one thread at a time.

#include <string>
#include <utility>
#include <vector>

#include "pipeline/core/env.h"
#include "pipeline/core/status.h"

namespace redact {

class PendingOutputs {
 public:
  explicit PendingOutputs(Env* env) : env_(env) {}
  ~PendingOutputs();
  PendingOutputs(const PendingOutputs&) = delete;
  PendingOutputs& operator=(const PendingOutputs&) = delete;

  // Writes `data` (synced) under a temp name beside `final_path`.
  Status Add(const std::string& final_path, const std::string& data);
  // A temp path beside `final_path` for a writer that makes the file itself; published (or
  // removed) with the others.
  Result<std::string> Reserve(const std::string& final_path);

  const std::string& temp_of(size_t i) const { return files_[i].first; }
  size_t size() const { return files_.size(); }

  // Renames every file into place, in the order added: all or nothing. On a failure the files
  // already renamed are removed again, the rest when the object goes, and the error says which
  // could not be published.
  Status Publish();

 private:
  Env* env_;
  std::vector<std::pair<std::string, std::string>> files_;  // temp path, final path
};

}  // namespace redact
