#include "pipeline/batch/run_start.h"

#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "pipeline/batch/inputs.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/extract/ocr.h"
#include "pipeline/write/release_pdf.h"

namespace redact {
namespace fs = std::filesystem;

Status CheckRunConfig(const JobConfig& config) {
  if (std::string msg = CheckJobConfig(config); !msg.empty()) return Status::InvalidInput(msg);
  if (Status s = CheckReleaseWriterReady(); !s.ok()) return s;
  if (config.ocr != OcrMode::kNever) return CheckOcrAvailable();
  return Status::Ok();
}

Result<std::unique_ptr<AuditLog>> OpenRunOutput(const std::string& out,
                                                const std::vector<std::string>& folders, Env* env,
                                                bool keep_records, const std::string& audit_key) {
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
  return AuditLog::Open((fs::path(out) / "audit" / "audit.jsonl").string(), env, keep_records,
                        audit_key);
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

void RemoveDeadTemps(const std::string& root) {
  std::error_code ec;
  auto it =
      fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
  std::vector<fs::path> dead;
  for (; !ec && it != fs::end(it); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    size_t at = name.rfind(".tmp.");
    if (name.empty() || name[0] != '.' || at == std::string::npos) continue;
    pid_t pid = pid_t(std::atoll(name.c_str() + at + 5));
    if (pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH)) continue;
    dead.push_back(it->path());
  }
  for (const fs::path& p : dead) fs::remove_all(p, ec);  // a file, or an Office work folder
}

}  // namespace redact
