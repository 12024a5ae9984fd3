#include "pipeline/batch/job_options.h"

#include <string>

namespace redact {
using nlohmann::json;

namespace {

using Recorded = JobOption::Recorded;

// An option that is one JobConfig member, written and read as JSON as it is.
template <auto Member>
JobOption Plain(const char* key, Recorded recorded = Recorded::kValue) {
  return {key, recorded, [](const JobConfig& c) -> json { return c.*Member; },
          [](const json& j, JobConfig* c) { j.get_to(c->*Member); }};
}

const char* OcrName(OcrMode m) {
  return m == OcrMode::kAuto ? "auto" : m == OcrMode::kAlways ? "always" : "never";
}

const char* AuditTextName(AuditText t) {
  return t == AuditText::kPlain ? "plain" : t == AuditText::kHash ? "hash" : "none";
}

}  // namespace

const std::vector<JobOption>& JobOptions() {
  static const std::vector<JobOption> options = {
      Plain<&JobConfig::rules>("rules"),
      Plain<&JobConfig::password>("password", Recorded::kGiven),
      Plain<&JobConfig::dpi>("dpi"),
      Plain<&JobConfig::max_file_bytes>("max_file_bytes"),
      Plain<&JobConfig::max_pages>("max_pages"),
      Plain<&JobConfig::max_page_pixels>("max_page_pixels"),
      Plain<&JobConfig::sidecar>("sidecar"),
      Plain<&JobConfig::release_flagged>("release_flagged"),
      {"ocr", Recorded::kValue, [](const JobConfig& c) -> json { return OcrName(c.ocr); },
       [](const json& j, JobConfig* c) {
         const std::string m = j.get<std::string>();
         c->ocr = m == "auto"     ? OcrMode::kAuto
                  : m == "always" ? OcrMode::kAlways
                  : m == "never"
                      ? OcrMode::kNever
                      : throw json::other_error::create(501, "unknown ocr mode " + j.dump(), &j);
       }},
      Plain<&JobConfig::ocr_dpi>("ocr_dpi"),
      Plain<&JobConfig::ocr_min_confidence>("ocr_min_confidence"),
      Plain<&JobConfig::decisions>("decisions"),
      Plain<&JobConfig::reviewer>("reviewer"),
      Plain<&JobConfig::report>("report"),
      Plain<&JobConfig::page_jobs>("page_jobs"),
      Plain<&JobConfig::timeout_seconds>("timeout_seconds"),
      Plain<&JobConfig::max_memory_bytes>("max_memory_bytes"),
      Plain<&JobConfig::libreoffice_per_document>("libreoffice_per_document"),
      Plain<&JobConfig::deterministic>("deterministic"),
      {"audit_text", Recorded::kValue,
       [](const JobConfig& c) -> json { return AuditTextName(c.audit_text); },
       [](const json& j, JobConfig* c) {
         const std::string t = j.get<std::string>();
         c->audit_text = t == "plain"  ? AuditText::kPlain
                         : t == "hash" ? AuditText::kHash
                         : t == "none" ? AuditText::kNone
                                       : throw json::other_error::create(
                                             501, "unknown audit_text " + j.dump(), &j);
       }},
      Plain<&JobConfig::audit_key>("audit_key", Recorded::kNever),
  };
  return options;
}

json JobOptionsJson(const JobConfig& config) {
  json out = json::object();
  for (const JobOption& o : JobOptions()) out[o.key] = o.get(config);
  return out;
}

Status ReadJobOptions(const json& j, JobConfig* config) {
  try {
    for (const JobOption& o : JobOptions()) o.set(j.at(o.key), config);
  } catch (const json::exception& e) {
    return Status::InvalidInput(std::string("malformed job options: ") + e.what());
  }
  return Status::Ok();
}

json RecordedJobOptions(const JobConfig& config) {
  json out = json::object();
  for (const JobOption& o : JobOptions()) {
    if (o.recorded == Recorded::kValue) out[o.key] = o.get(config);
    if (o.recorded == Recorded::kGiven) {
      const json v = o.get(config);
      out[std::string(o.key) + "_given"] = !(v.is_string() && v.get<std::string>().empty());
    }
  }
  return out;
}

}  // namespace redact
