#include "pipeline/batch/office_pool.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "pipeline/core/files.h"
#include "pipeline/ingest/ingest.h"

namespace redact {
namespace fs = std::filesystem;

namespace {

// After this many servers in a row that could not start, documents start their own...
constexpr int kMaxFailedStarts = 2;
// ... until this long after the last failure.
constexpr std::chrono::minutes kRetryAfter(10);

}  // namespace

OfficePool::OfficePool(int slots, uint64_t max_memory_bytes, std::string self,
                       std::string work_root)
    : max_memory_bytes_(max_memory_bytes),
      self_(std::move(self)),
      work_root_(std::move(work_root)) {
  pool_.resize(size_t(std::max(1, slots)));
  if (::pipe2(lifeline_, O_CLOEXEC) != 0) lifeline_[0] = lifeline_[1] = -1;
}

OfficePool::~OfficePool() {
  std::lock_guard<std::mutex> lock(mu_);
  for (Slot& slot : pool_) StopLocked(&slot);
  for (int fd : lifeline_) {
    if (fd >= 0) ::close(fd);
  }
}

void OfficePool::StopLocked(Slot* slot) {
  if (slot->started) StopOfficeServer(&slot->server);
  slot->started = false;
  slot->uses = 0;
}

void OfficePool::StartFailedLocked() {
  ++failed_starts_;
  last_failure_ = std::chrono::steady_clock::now();
}

bool OfficePool::StartLocked(Slot* slot) {
  if (self_.empty() || lifeline_[0] < 0) return false;
  if (failed_starts_ >= kMaxFailedStarts) {
    if (std::chrono::steady_clock::now() - last_failure_ < kRetryAfter) return false;
    failed_starts_ = 0;
  }
  // $REDACT_SOFFICE names a LibreOffice to run per document (tests fake one with it).
  if (std::getenv("REDACT_SOFFICE") != nullptr) return false;
  std::error_code ec;
  fs::create_directories(work_root_, ec);
  auto started =
      SpawnOfficeServer(self_, TempPathBeside((fs::path(work_root_) / "libreoffice").string()),
                        lifeline_[0], max_memory_bytes_);
  if (!started.ok()) {
    StartFailedLocked();
    return false;
  }
  slot->server = std::move(*started);
  slot->started = true;
  slot->uses = 0;
  return true;
}

void OfficePool::Prewarm(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Slot& slot : pool_) {
    if (n <= 0) break;
    if (!slot.started && StartLocked(&slot)) --n;
  }
}

OfficeServerHandle OfficePool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  Slot* slot = nullptr;
  while (slot == nullptr) {
    // A started server first, then an empty slot.
    for (Slot& s : pool_) {
      if (!s.busy && s.started) {
        slot = &s;
        break;
      }
    }
    for (Slot& s : pool_) {
      if (slot == nullptr && !s.busy) slot = &s;
    }
    if (slot == nullptr) freed_.wait(lock);
  }
  if (slot->started) {
    const ServerStart start = CheckOfficeServerStart(&slot->server);
    if (start == ServerStart::kFailed) StartFailedLocked();
    if (start == ServerStart::kFailed || OfficeServerExited(slot->server)) StopLocked(slot);
  }
  if (!slot->started && !StartLocked(slot)) return {};
  slot->busy = true;
  return slot->server.handle;
}

void OfficePool::Release(const OfficeServerHandle& handle, bool healthy) {
  if (!handle.valid()) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (Slot& slot : pool_) {
    if (!slot.busy || !slot.started || slot.server.handle.socket != handle.socket) continue;
    slot.busy = false;
    const ServerStart start = CheckOfficeServerStart(&slot.server);
    if (start == ServerStart::kFailed) StartFailedLocked();
    if (start == ServerStart::kReady) failed_starts_ = 0;  // later failures counted afresh
    if (!healthy || start == ServerStart::kFailed || ++slot.uses >= kMaxUses ||
        OfficeServerExited(slot.server)) {
      StopLocked(&slot);
    }
    freed_.notify_one();
    return;
  }
}

bool NeedsLibreOffice(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  std::string head(4096, '\0');
  ssize_t n = -1;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) n = ::read(fd, head.data(), head.size());
  ::close(fd);
  if (n <= 0) return false;
  head.resize(size_t(n));
  SourceKind kind;
  // A message is typeset without LibreOffice (its Office attachments are documents of their own).
  return SniffKind(head, head.size() < 4096, &kind) && kind == SourceKind::kOffice;
}

}  // namespace redact
