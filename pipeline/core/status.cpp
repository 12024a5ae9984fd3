#include "pipeline/core/status.h"

namespace redact {

const char* Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidInput:
      return "invalid input";
    case Code::kUnsupported:
      return "unsupported";
    case Code::kEncrypted:
      return "encrypted";
    case Code::kTooLarge:
      return "too large";
    case Code::kInvalidRules:
      return "invalid rules";
    case Code::kLeak:
      return "leak";
    case Code::kIo:
      return "i/o";
    case Code::kEngine:
      return "engine";
    case Code::kMissingDependency:
      return "missing dependency";
    case Code::kTampered:
      return "tampered";
    case Code::kPoison:
      return "poison";
    case Code::kOutputUnavailable:
      return "output unavailable";
  }
  return "unknown";
}

Status::Code Status::CodeFromName(const std::string& name) {
  for (int c = int(Code::kOk); c <= int(Code::kOutputUnavailable); ++c) {
    if (name == CodeName(Code(c))) return Code(c);
  }
  return Code::kIo;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace redact
