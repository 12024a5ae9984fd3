#pragma once
// Status and Result<T>: how every stage reports failure to the next.
// Engines throw or return codes in their own ways; their wrappers turn that into a Status,
// so nothing above a wrapper ever sees an engine's exception.

#include <optional>
#include <string>
#include <utility>

namespace redact {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidInput,       // the input file is not something we can read (corrupt, wrong kind)
    kUnsupported,        // a kind of input we do not handle
    kEncrypted,          // password needed
    kTooLarge,           // over a configured limit
    kInvalidRules,       // a rules file is wrong
    kLeak,               // the release failed its self-check
    kIo,                 // reading or writing a file failed
    kEngine,             // an engine (Poppler, RE2, qpdf, Leptonica) failed
    kMissingDependency,  // e.g. tessdata not installed
    kTampered,           // an audit log whose hash chain does not verify
    kPoison,             // a file that stopped its worker (or the daemon) every time it was tried
    // The machine refused to store an output: disk full, quota, read-only file system,
    // permission, EIO. Not the document's fault: the same input succeeds once fixed.
    kOutputUnavailable,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  // A status read back from a record (the worker's, an audit line).
  static Status FromCode(Code code, std::string msg, std::string hint = {}) {
    return code == Code::kOk ? Status() : Status(code, std::move(msg), std::move(hint));
  }
  static Status InvalidInput(std::string msg, std::string hint = {}) {
    return Status(Code::kInvalidInput, std::move(msg), std::move(hint));
  }
  static Status Unsupported(std::string msg, std::string hint = {}) {
    return Status(Code::kUnsupported, std::move(msg), std::move(hint));
  }
  static Status Encrypted(std::string msg, std::string hint = {}) {
    return Status(Code::kEncrypted, std::move(msg), std::move(hint));
  }
  static Status TooLarge(std::string msg, std::string hint = {}) {
    return Status(Code::kTooLarge, std::move(msg), std::move(hint));
  }
  static Status InvalidRules(std::string msg, std::string hint = {}) {
    return Status(Code::kInvalidRules, std::move(msg), std::move(hint));
  }
  static Status Leak(std::string msg, std::string hint = {}) {
    return Status(Code::kLeak, std::move(msg), std::move(hint));
  }
  static Status Tampered(std::string msg, std::string hint = {}) {
    return Status(Code::kTampered, std::move(msg), std::move(hint));
  }
  static Status Io(std::string msg, std::string hint = {}) {
    return Status(Code::kIo, std::move(msg), std::move(hint));
  }
  static Status Engine(std::string msg, std::string hint = {}) {
    return Status(Code::kEngine, std::move(msg), std::move(hint));
  }
  static Status Poison(std::string msg, std::string hint = {}) {
    return Status(Code::kPoison, std::move(msg), std::move(hint));
  }
  static Status OutputUnavailable(std::string msg, std::string hint = {}) {
    return Status(Code::kOutputUnavailable, std::move(msg), std::move(hint));
  }
  static Status MissingDependency(std::string msg, std::string hint = {}) {
    return Status(Code::kMissingDependency, std::move(msg), std::move(hint));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // What the user can do about it; may be empty.
  const std::string& hint() const { return hint_; }
  std::string ToString() const;
  static const char* CodeName(Code code);
  // The code CodeName gives `name`; kIo for a name it never gives (a record from elsewhere).
  static Code CodeFromName(const std::string& name);

 private:
  Status(Code code, std::string message, std::string hint)
      : code_(code), message_(std::move(message)), hint_(std::move(hint)) {}

  Code code_ = Code::kOk;
  std::string message_;
  std::string hint_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok()
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace redact
