#include "pipeline/batch/run_start.h"

#include <filesystem>

#include "pipeline/batch/inputs.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/extract/ocr.h"

namespace redact {
namespace fs = std::filesystem;

Status CheckRunConfig(const JobConfig& config) {
  if (std::string msg = CheckJobConfig(config); !msg.empty()) return Status::InvalidInput(msg);
  if (config.ocr != OcrMode::kNever) return CheckOcrAvailable();
  return Status::Ok();
}

Result<std::unique_ptr<AuditLog>> OpenRunOutput(const std::string& out,
                                                const std::vector<std::string>& folders, Env* env) {
  const std::string choose = "Choose an output folder this user can write to.";
  for (const std::string& sub : folders) {
    Status s = env->CreateDirs((fs::path(out) / sub).string());
    if (!s.ok()) return Status::OutputUnavailable(s.message(), choose);
  }
  const std::string probe = (fs::path(out) / "audit" / ".write-test").string();
  if (Status s = WriteFileAtomic(probe, "ok", env); !s.ok()) {
    return Status::OutputUnavailable("the output folder is not writable: " + s.message(),
                                     s.hint().empty() ? choose : s.hint());
  }
  env->RemoveFile(probe);
  return AuditLog::Open((fs::path(out) / "audit" / "audit.jsonl").string(), env);
}

int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case Status::Code::kOk:
      return kExitOk;
    case Status::Code::kInvalidRules:
      return kExitInvalidRules;
    case Status::Code::kMissingDependency:
      return kExitMissingDependency;
    case Status::Code::kIo:
    case Status::Code::kOutputUnavailable:
      return kExitOutputNotWritable;
    case Status::Code::kTampered:
      return kExitAuditBroken;
    default:
      return kExitBadArguments;
  }
}

}  // namespace redact
