#pragma once
// OfficePool: one persistent LibreOffice (extract/office_server.h) per worker slot, so that an
// Office document or a message pays LibreOffice's start once per slot, not once per document.
// A slot's server is started when its first document needs it (or ahead, Prewarm), lent to
// one document's worker at a time, and started afresh after kMaxUses documents or after any
// document whose worker did not come back normally. Servers live in `work_root`, each in a
// folder named as a temp of this process (".libreoffice.tmp.<pid>.<n>"), so that what a killed
// batch or daemon leaves is swept like its other temps; they exit when the pool does, however
// it ends (their lifeline). Where none can start (twice running, within ten minutes),
// documents start a LibreOffice of their own until the ten minutes pass.
// Thread-safe. The destructor stops every server and removes their folders.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "pipeline/extract/office_server.h"

namespace redact {

class OfficePool {
 public:
  // `slots`: how many documents may hold a server at once (the batch's --jobs).
  // `max_memory_bytes`: each server's address-space limit (the worker's). `self`: this
  // executable. `work_root`: where the servers' folders go (OUT/attachments).
  OfficePool(int slots, uint64_t max_memory_bytes, std::string self, std::string work_root);
  ~OfficePool();
  OfficePool(const OfficePool&) = delete;
  OfficePool& operator=(const OfficePool&) = delete;

  // Starts up to `n` servers now, without waiting for them.
  void Prewarm(int n);
  // A server for one document, held until Release; invalid when none could be started (the
  // document then starts a LibreOffice of its own). Does not wait for LibreOffice to load:
  // the worker does, on its connection.
  OfficeServerHandle Acquire();
  // Gives the server back. `healthy`: its document's worker came back normally.
  void Release(const OfficeServerHandle& server, bool healthy);

  // Documents a server converts before it is started afresh.
  static constexpr int kMaxUses = 20;

 private:
  struct Slot {
    StartingServer server;
    bool started = false;
    bool busy = false;
    int uses = 0;
  };
  bool StartLocked(Slot* slot);
  void StopLocked(Slot* slot);
  void StartFailedLocked();

  const uint64_t max_memory_bytes_;
  const std::string self_;
  const std::string work_root_;
  int lifeline_[2] = {-1, -1};  // servers read [0]; [1] is held open while the pool lives
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<Slot> pool_;
  int failed_starts_ = 0;
  std::chrono::steady_clock::time_point last_failure_;
};

// A server borrowed from `pool` (null: none) for one document, given back however the scope
// ends; healthy unless said otherwise.
class OfficeLease {
 public:
  explicit OfficeLease(OfficePool* pool) : pool_(pool) {
    if (pool_ != nullptr) handle_ = pool_->Acquire();
  }
  ~OfficeLease() {
    if (pool_ != nullptr) pool_->Release(handle_, healthy_);
  }
  OfficeLease(const OfficeLease&) = delete;
  OfficeLease& operator=(const OfficeLease&) = delete;
  const OfficeServerHandle& handle() const { return handle_; }
  void set_healthy(bool healthy) { healthy_ = healthy; }

 private:
  OfficePool* pool_;
  OfficeServerHandle handle_;
  bool healthy_ = true;
};

// Whether the file at `path` is one a document's worker converts with LibreOffice (an Office
// document; a message is typeset without it), by its first bytes as ingest decides. Only a regular file
// is opened (a FIFO among the inputs must not block the batch here).
bool NeedsLibreOffice(const std::string& path);

}  // namespace redact
