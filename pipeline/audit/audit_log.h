#pragma once
// The audit log: audit/audit.jsonl, one JSON object per line. Every line carries "prev", the
// sha256 of the line before it (64 zeros for the first), so editing, removing or reordering
// any line breaks the chain. Appends are durable (fsync per line).
// Thread-safety: Append may be called from several threads, and several processes may append
// to one log (the daemon, and a reviewer applying decisions into its OUT): each append holds
// a lock on the file and first takes up the lines another process appended since its last.

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/core/env.h"
#include "pipeline/core/status.h"

namespace redact {

class AuditLog {
 public:
  // Opens `path` for appending, continuing the chain of an existing log (which must verify).
  // Files are written through `env`. With `keep_records`, the log's records (those it
  // verified and those appended) stay in memory for TakeRecords.
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& path, Env* env = Env::Default(),
                                                bool keep_records = false);

  // Adds "seq" and "prev" to `record` and appends it as one line. A line that cannot be
  // written whole is taken back: the log never holds half a line, the chain stays intact.
  Status Append(nlohmann::json record);
  const std::string& path() const { return path_; }

  // Every record of the log, as verified when it was opened and as appended since (opened
  // with `keep_records`; empty otherwise). What the file holds unless another process wrote
  // to it meanwhile: a run's report reads them here instead of parsing the file again.
  std::vector<nlohmann::json> TakeRecords();

 private:
  AuditLog(std::string path, std::string last_hash, uint64_t seq, Env* env)
      : path_(std::move(path)), last_hash_(std::move(last_hash)), seq_(seq), env_(env) {}
  // The lines another process appended since this one's last: the chain continues from them.
  Status CatchUp(uint64_t size);
  std::mutex mu_;
  std::string path_;
  std::string last_hash_;
  uint64_t seq_;
  uint64_t size_ = 0;  // the file's size after this log's last line
  Env* env_;
  bool keep_records_ = false;
  std::vector<nlohmann::json> records_;
};

struct ChainCheck {
  bool intact = false;
  uint64_t lines = 0;
  uint64_t bad_line = 0;  // 1-based; 0 when intact
  std::string message;
  std::string last_hash;  // sha256 of the last line, to continue the chain
};

// Checks every line's "prev" against the line before it.
ChainCheck VerifyAuditChain(const std::string& path,
                            std::vector<nlohmann::json>* records = nullptr);

// Joins several verified logs (runs, or shards of one corpus) into a new chain at `out`: each
// record keeps its content, gains "source_log" and "source_seq", and is re-chained. Fails,
// writing nothing, if any input does not verify.
Status MergeAuditLogs(const std::vector<std::string>& inputs, const std::string& out);

inline constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace redact
