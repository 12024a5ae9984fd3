#include "pipeline/audit/audit_log.h"

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
    prev = Sha256Hex(line);
    if (records) records->push_back(std::move(j));
  }
  check.intact = true;
  check.last_hash = prev;
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

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, Env* env,
                                                 bool keep_records) {
  std::error_code ec;
  std::unique_ptr<AuditLog> log;
  if (!std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0) {
    log.reset(new AuditLog(path, kGenesisHash, 0, env));
  } else {
    std::vector<nlohmann::json> records;
    ChainCheck check = VerifyAuditChain(path, keep_records ? &records : nullptr);
    if (!check.intact) {
      return Status::Tampered(
          "the existing audit log " + path + " does not verify: " + check.message,
          "Move it aside (it is evidence) and run again to start a new log.");
    }
    log.reset(new AuditLog(path, check.last_hash, check.lines, env));
    log->records_ = std::move(records);
    log->size_ = std::filesystem::file_size(path, ec);
    if (ec) log->size_ = 0;
  }
  log->keep_records_ = keep_records;
  return log;
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
  return s;
}

}  // namespace redact
