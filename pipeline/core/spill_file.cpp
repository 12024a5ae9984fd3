#include "pipeline/core/spill_file.h"

namespace redact {

Result<std::unique_ptr<SpillFile>> SpillFile::Create(const std::string& dir, Env* env) {
  auto file = env->NewScratchFile(dir);
  if (!file.ok()) return file.status();
  return std::unique_ptr<SpillFile>(new SpillFile(std::move(*file)));
}

SpillFile::~SpillFile() = default;

uint64_t SpillFile::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return end_;
}

Result<SpillFile::Ref> SpillFile::Append(std::string_view bytes) {
  Ref ref;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ref.offset = end_;
    end_ += bytes.size();
  }
  ref.size = bytes.size();
  if (Status s = file_->WriteAt(ref.offset, bytes); !s.ok()) return s;
  return ref;
}

Result<std::string> SpillFile::Read(Ref ref) const {
  std::string out;
  if (Status s = file_->ReadAt(ref.offset, size_t(ref.size), &out); !s.ok()) return s;
  return out;
}

}  // namespace redact
