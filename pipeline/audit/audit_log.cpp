#include "pipeline/audit/audit_log.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"

namespace redact {
namespace {

// One compact line; invalid UTF-8 (e.g. in a file name) is replaced rather than thrown on.
std::string Serialize(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

ChainCheck VerifyAuditChain(const std::string& path, std::vector<nlohmann::json>* records) {
  ChainCheck check;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    check.message = "cannot open " + path;
    return check;
  }
  std::string prev = kGenesisHash;
  std::string before = kGenesisHash;
  std::string line;
  while (std::getline(in, line)) {
    ++check.lines;
    auto fail = [&](const std::string& why) {
      check.bad_line = check.lines;
      check.message = "line " + std::to_string(check.lines) + ": " + why;
      return check;
    };
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail("not a JSON object");
    if (!j.contains("prev") || !j["prev"].is_string()) return fail("no \"prev\" hash");
    if (j["prev"].get<std::string>() != prev) {
      return fail(
          "the chain is broken: \"prev\" does not match the line before "
          "(this line or the one before it was edited, removed or reordered)");
    }
    if (!j.contains("seq") || !j["seq"].is_number_unsigned() ||
        j["seq"].get<uint64_t>() != check.lines) {
      return fail("\"seq\" is not " + std::to_string(check.lines));
    }
    // The line must be exactly what we wrote: a re-serialised copy that differs means an edit
    // that kept the JSON valid (e.g. white space or key order).
    if (Serialize(j) != line) return fail("the line was re-formatted or edited");
    before = prev;
    prev = Sha256Hex(line);
    if (records) records->push_back(std::move(j));
  }
  check.intact = true;
  check.last_hash = prev;
  check.before_last_hash = before;
  return check;
}

Status MergeAuditLogs(const std::vector<std::string>& inputs, const std::string& out) {
  std::string merged;
  std::string prev = kGenesisHash;
  uint64_t seq = 0;
  for (const std::string& path : inputs) {
    ChainCheck check = VerifyAuditChain(path);
    if (!check.intact) return Status::Tampered(path + " does not verify: " + check.message);
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
      nlohmann::json j = nlohmann::json::parse(line);
      j["source_log"] = path;
      j["source_seq"] = j["seq"];
      j["seq"] = ++seq;
      j["prev"] = prev;
      std::string text = Serialize(j);
      prev = Sha256Hex(text);
      merged += text + "\n";
    }
  }
  return WriteFileAtomic(out, merged);
}

namespace {

std::string AnchorMac(const std::string& key, uint64_t seq, const std::string& head) {
  return HmacSha256Hex(key, "redact audit anchor\n" + std::to_string(seq) + "\n" + head);
}

// Cuts a last line that has no line break (written in part when the machine stopped) back to
// the last whole line, keeping what was cut beside the log. Returns the cut, empty if none.
Result<std::string> CutTornLine(const std::string& path, Env* env) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  if (text->empty() || text->back() == '\n') return std::string();
  const size_t keep = text->rfind('\n') == std::string::npos ? 0 : text->rfind('\n') + 1;
  std::string cut = text->substr(keep);
  const uint64_t lines = uint64_t(std::count(text->begin(), text->end(), '\n'));
  if (Status s = WriteFileAtomic(path + ".torn-" + std::to_string(lines + 1), cut, env); !s.ok()) {
    return s;
  }
  if (Status s = env->TruncateFile(path, keep); !s.ok()) return s;
  return cut;
}

}  // namespace

std::string AuditAnchorPath(const std::string& path) { return path + ".anchor"; }

Status CheckAuditAnchor(const std::string& path, const ChainCheck& chain, const std::string& key) {
  auto text = ReadFile(AuditAnchorPath(path), 1 << 16);
  if (!text.ok()) {
    return Status::Io("the audit log " + path + " has no anchor (" + AuditAnchorPath(path) +
                      "): lines cut from its end could not be told");
  }
  nlohmann::json a = nlohmann::json::parse(*text, nullptr, false);
  if (!a.is_object() || !a.contains("seq") || !a["seq"].is_number_unsigned() ||
      !a.contains("head") || !a["head"].is_string() || !a.contains("hmac") ||
      !a["hmac"].is_string()) {
    return Status::Tampered("the anchor " + AuditAnchorPath(path) + " is not an anchor");
  }
  const uint64_t seq = a["seq"].get<uint64_t>();
  const std::string head = a["head"].get<std::string>();
  if (AnchorMac(key, seq, head) != a["hmac"].get<std::string>()) {
    return Status::Tampered(
        "the anchor " + AuditAnchorPath(path) +
            " was not made with this audit key (or was edited): the log cannot be vouched for",
        "If the installation's key was replaced on purpose, move the anchor aside (it is "
        "evidence) and run again to anchor the log under the new key.");
  }
  if (chain.lines < seq) {
    return Status::Tampered("the audit log " + path + " ends at line " +
                            std::to_string(chain.lines) + " but its anchor says line " +
                            std::to_string(seq) + ": lines were cut from its end");
  }
  const bool matches = (chain.lines == seq && chain.last_hash == head) ||
                       (chain.lines == seq + 1 && chain.before_last_hash == head);
  if (!matches) {
    return Status::Tampered(
        "the audit log " + path + " does not match its anchor at line " + std::to_string(seq) +
        (chain.lines > seq + 1 ? " (" + std::to_string(chain.lines - seq) +
                                     " lines after it were appended without the key)"
                               : " (the chain was rewritten)"));
  }
  return Status::Ok();
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, Env* env,
                                                 bool keep_records, const std::string& key) {
  std::error_code ec;
  std::unique_ptr<AuditLog> log;
  std::string torn;
  if (std::filesystem::exists(path, ec)) {
    auto cut = CutTornLine(path, env);
    if (!cut.ok()) return cut.status();
    torn = std::move(*cut);
  }
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) {
    log.reset(new AuditLog(path, kGenesisHash, 0, env));
    if (!key.empty() && std::filesystem::exists(AuditAnchorPath(path), ec)) {
      ChainCheck empty;
      empty.intact = true;
      empty.last_hash = empty.before_last_hash = kGenesisHash;
      if (Status s = CheckAuditAnchor(path, empty, key); !s.ok()) {
        return Status::Tampered(s.message(),
                                "Move the log and its anchor aside (they are "
                                "evidence) and run again to start a new log.");
      }
    }
  } else {
    std::vector<nlohmann::json> records;
    ChainCheck check = VerifyAuditChain(path, keep_records ? &records : nullptr);
    if (!check.intact) {
      return Status::Tampered(
          "the existing audit log " + path + " does not verify: " + check.message,
          "Move it aside (it is evidence) and run again to start a new log.");
    }
    if (!key.empty() && std::filesystem::exists(AuditAnchorPath(path), ec)) {
      if (Status s = CheckAuditAnchor(path, check, key); !s.ok()) {
        return Status::Tampered(s.message(), s.hint().empty() ? "Move the log and its anchor "
                                                                "aside (they are evidence) and "
                                                                "run again to start a new log."
                                                              : s.hint());
      }
    }
    log.reset(new AuditLog(path, check.last_hash, check.lines, env));
    log->records_ = std::move(records);
    log->size_ = std::filesystem::file_size(path, ec);
    if (ec) log->size_ = 0;
  }
  log->keep_records_ = keep_records;
  log->key_ = key;
  if (!torn.empty()) {
    if (Status s = log->Append({{"event", "audit_repaired"},
                                {"cut_bytes", torn.size()},
                                {"cut_sha256", Sha256Hex(torn)},
                                {"kept_in", path + ".torn-" + std::to_string(log->seq_ + 1)},
                                {"reason",
                                 "the last line had no line break: a write the "
                                 "machine stopped half way"}});
        !s.ok()) {
      return s;
    }
  } else if (!key.empty()) {
    if (Status s = log->WriteAnchor(); !s.ok()) return s;
  }
  return log;
}

Status AuditLog::WriteAnchor() {
  if (key_.empty()) return Status::Ok();
  const nlohmann::json a = {
      {"seq", seq_}, {"head", last_hash_}, {"hmac", AnchorMac(key_, seq_, last_hash_)}};
  return WriteFileAtomic(AuditAnchorPath(path_), a.dump() + "\n", env_);
}

std::vector<nlohmann::json> AuditLog::TakeRecords() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<nlohmann::json> records;
  records.swap(records_);
  return records;
}

Status AuditLog::CatchUp(uint64_t size) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) return Status::Io("cannot read the audit log " + path_);
  // Shorter than this log left it: moved aside and begun again; read from its start.
  if (size > size_) in.seekg(std::streamoff(size_));
  if (size < size_) {
    last_hash_ = kGenesisHash;
    seq_ = 0;
  }
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned()) {
      return Status::Tampered("the audit log " + path_ + " holds a line that is not a record",
                              "Check it with redact audit verify.");
    }
    seq_ = j["seq"].get<uint64_t>();
    last_hash_ = Sha256Hex(line);
    if (keep_records_) records_.push_back(std::move(j));
  }
  size_ = size;
  return Status::Ok();
}

Status AuditLog::Append(nlohmann::json record) {
  std::lock_guard<std::mutex> lock(mu_);
  const FileLock shared(path_);
  std::error_code ec;
  const uint64_t size =
      std::filesystem::exists(path_, ec) ? std::filesystem::file_size(path_, ec) : 0;
  if (size != size_) {
    if (Status s = CatchUp(size); !s.ok()) return s;
  }
  record["seq"] = seq_ + 1;
  record["prev"] = last_hash_;
  std::string line = Serialize(record);
  Status s = AppendLineDurable(path_, line, env_);
  if (!s.ok()) return s;
  ++seq_;
  last_hash_ = Sha256Hex(line);
  size_ = size + line.size() + 1;
  if (keep_records_) records_.push_back(std::move(record));
  // The line is in either way; an anchor that lags one line behind still verifies.
  return WriteAnchor();
}

}  // namespace redact
