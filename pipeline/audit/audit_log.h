#pragma once
// The audit log: audit/audit.jsonl, one JSON object per line. Every line carries "prev", the
// sha256 of the line before it (64 zeros for the first), so editing, removing or reordering
// any line breaks the chain. Appends are durable (fsync per line).
//
// The chain needs no key, so whoever can write the file can also recompute it whole, and lines
// cut from its end leave a shorter chain that still verifies. With the installation's audit
// key, the log is anchored: audit.jsonl.anchor holds the number and sha256 of its last line and
// an HMAC-SHA256 of both under the key, rewritten after every append and checked at open (and
// by `redact audit verify --key-file`): a log shorter than its anchor, or whose anchored line
// differs, does not verify, and a new anchor cannot be made without the key.
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
  //
  // A last line without its line break (a crash or a full disk cut it while it was written) is
  // cut off, kept in "<path>.torn-<n>", and the cut recorded as an "audit_repaired" record.
  // With `key` (the installation's audit key; empty: no anchor), the anchor is checked first
  // (CheckAuditAnchor) and kept up to date by every append; a log without one is anchored now.
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& path, Env* env = Env::Default(),
                                                bool keep_records = false,
                                                const std::string& key = {});

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
  Status WriteAnchor();  // REQUIRES: mu_ and the file lock held, or no other user of the log yet
  std::mutex mu_;
  std::string key_;
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
  std::string last_hash;         // sha256 of the last line, to continue the chain
  std::string before_last_hash;  // sha256 of the line before it (the genesis hash if none)
};

// Checks every line's "prev" against the line before it.
ChainCheck VerifyAuditChain(const std::string& path,
                            std::vector<nlohmann::json>* records = nullptr);

// The anchor file of the log at `path`.
std::string AuditAnchorPath(const std::string& path);

// Checks the log `chain` describes (VerifyAuditChain of `path`, intact) against its anchor under
// `key`: the anchor must be made with the key, and the log must hold the anchored line, at most
// one line past it (an append whose anchor a crash stopped). Tampered otherwise, saying which;
// Status::Io when there is no anchor.
Status CheckAuditAnchor(const std::string& path, const ChainCheck& chain, const std::string& key);

// Joins several verified logs (runs, or shards of one corpus) into a new chain at `out`: each
// record keeps its content, gains "source_log" and "source_seq", and is re-chained. Fails,
// writing nothing, if any input does not verify.
Status MergeAuditLogs(const std::vector<std::string>& inputs, const std::string& out);

inline constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

}  // namespace redact
