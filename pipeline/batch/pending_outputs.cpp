#include "pipeline/batch/pending_outputs.h"

#include <filesystem>

#include "pipeline/core/files.h"

namespace redact {
namespace fs = std::filesystem;

PendingOutputs::~PendingOutputs() {
  for (const auto& [tmp, final_path] : files_) {
    if (!tmp.empty()) env_->RemoveFile(tmp);
  }
}

Status PendingOutputs::Add(const std::string& final_path, const std::string& data) {
  auto tmp = Reserve(final_path);
  if (!tmp.ok()) return tmp.status();
  Status s = WriteNewFile(*tmp, data, env_);
  if (!s.ok()) files_.pop_back();  // WriteNewFile removed what it had written
  return s;
}

Result<std::string> PendingOutputs::Reserve(const std::string& final_path) {
  if (Status s = env_->CreateDirs(fs::path(final_path).parent_path().string()); !s.ok()) return s;
  files_.emplace_back(TempPathBeside(final_path), final_path);
  return files_.back().first;
}

Status PendingOutputs::Publish() {
  std::vector<std::string> published;
  for (auto& [tmp, final_path] : files_) {
    if (Status s = env_->RenameFile(tmp, final_path); !s.ok()) {
      // All or nothing: a release without its sidecar (or the reverse) is not published.
      for (const std::string& p : published) env_->RemoveFile(p);
      return s;
    }
    published.push_back(final_path);
    tmp.clear();
  }
  files_.clear();
  return Status::Ok();
}

}  // namespace redact
