#include "pipeline/batch/quarantine.h"

#include <filesystem>

#include "pipeline/batch/release_names.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A document's release under `root` (release/ or review/) and its sidecar, by the names the
// run planned for it: "a.txt" beside "a.pdf" may be another input's release, never guessed.
void RemoveRelease(const fs::path& root, const DocumentRecord& record, Env* env) {
  env->RemoveFile((root / record.release_name).string());
  if (!record.sidecar_name.empty()) env->RemoveFile((root / record.sidecar_name).string());
}

}  // namespace

std::string QuarantineName(const std::string& relative) {
  // ".error.json" (11) and a temp name's ".", ".tmp.<pid>.<n>" (up to 30) must fit in 255.
  constexpr size_t kMaxName = 200;
  const fs::path p(relative);
  const std::string name = p.filename().string();
  if (name.size() <= kMaxName) return relative;
  std::string ext = p.extension().string();
  if (ext.size() > 16) ext.clear();
  std::string start = name.substr(0, 150);
  // Never a UTF-8 sequence cut in two.
  while (!start.empty() && (static_cast<unsigned char>(start.back()) & 0xC0) == 0x80) {
    start.pop_back();
  }
  if (!start.empty() && (static_cast<unsigned char>(start.back()) & 0x80)) start.pop_back();
  return (p.parent_path() / (start + "-" + Sha256Hex(name).substr(0, 12) + ext)).string();
}

Status Quarantine(DocumentRecord* record, const std::string& out, bool rerun, Env* env,
                  const RecordClock& clock, const std::string& name) {
  const std::string relative = QuarantineName(record->source.relative);
  const std::string& input = record->source.path;
  fs::path q = fs::path(out) / "quarantine" / (name.empty() ? relative : name);
  std::error_code ec;
  for (int n = 2;
       name.empty() && !rerun && (fs::exists(q, ec) || fs::exists(q.string() + ".error.json", ec));
       ++n) {
    q = fs::path(out) / "quarantine" / NumberedName(relative, n);
  }
  const std::string copy_rel = q.lexically_relative(out).string();
  json note = QuarantineNoteJson(*record, clock);
  record->outputs.clear();
  if (fs::is_regular_file(fs::symlink_status(input, ec))) {
    Status s = CopyFileAtomic(input, q.string(), env);
    if (s.ok()) {
      record->outputs.push_back({copy_rel, record->source.sha256});
    } else {
      note["copy_error"] = s.message();  // e.g. unreadable: the error file still says why
    }
  } else {
    note["copy_error"] = "not a regular file: not copied";
  }
  Status e = WriteFileAtomic(q.string() + ".error.json",
                             note.dump(2, ' ', false, json::error_handler_t::replace) + "\n", env);
  if (!e.ok()) return e;
  record->outputs.push_back({copy_rel + ".error.json", ""});
  if (rerun && !record->release_name.empty()) {
    RemoveRelease(fs::path(out) / "release", *record, env);
  }
  return Status::Ok();
}

void ClearEarlierRuns(const DocumentRecord& record, const std::string& out, Env* env) {
  const fs::path q = fs::path(out) / "quarantine" / record.source.relative;
  env->RemoveFile(q.string());
  env->RemoveFile(q.string() + ".error.json");
  if (record.disposition() == Disposition::kReleased && !record.release_name.empty()) {
    // Decided at last: the would-be release an earlier run left for the reviewer goes.
    RemoveRelease(fs::path(out) / "review", record, env);
  }
  if (record.disposition() == Disposition::kReview && !record.release_name.empty()) {
    // Held again (a reviewer took a decision back): an earlier run's release of it is no
    // longer what was decided, and must not stay published.
    RemoveRelease(fs::path(out) / "release", record, env);
  }
}

}  // namespace redact
