#include "pipeline/watch/claim.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>

#include "pipeline/core/files.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr ClaimStep kSteps[] = {ClaimStep::kClaimed, ClaimStep::kProcessing, ClaimStep::kProcessed,
                                ClaimStep::kPublished, ClaimStep::kRecorded};

}  // namespace

const char* ClaimStepName(ClaimStep step) {
  switch (step) {
    case ClaimStep::kClaimed:
      return "claimed";
    case ClaimStep::kProcessing:
      return "processing";
    case ClaimStep::kProcessed:
      return "processed";
    case ClaimStep::kPublished:
      return "published";
    case ClaimStep::kRecorded:
      return "recorded";
  }
  return "claimed";
}

std::string ClaimIntent::AttachmentsFolder(const std::string& release) {
  return fs::path(release).replace_extension("").string() + ".attachments";
}

std::string NewClaimId() {
  static std::atomic<unsigned> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count()) + "-" +
         std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

Result<ClaimIntent> LoadClaimIntent(const std::string& path, const std::string& input) {
  ClaimIntent intent;
  intent.input = input;
  std::error_code ec;
  if (!fs::exists(path, ec)) return intent;
  auto text = ReadFile(path, size_t(64) << 20);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, false);
  if (!j.is_object()) {
    return Status::Io("the claim journal " + path + " is not a JSON object",
                      "Move it aside; the input is then run again from the start.");
  }
  try {
    intent.attempts = j.value("attempts", 0);
    intent.claim = j.value("claim", "");
    // An older daemon's file counted attempts only: the document was being processed.
    const std::string step = j.value("step", std::string(intent.attempts > 0 ? "processing" : ""));
    for (ClaimStep s : kSteps) {
      if (step == ClaimStepName(s)) intent.step = s;
    }
    intent.attachment_runs = j.value("attachment_runs", 0);
    intent.release = j.value("release", "");
    intent.sidecar = j.value("sidecar", "");
    for (const json& n : j.value("name_redactions", json::array())) {
      intent.name_redactions.push_back(
          {n.at("rule").get<std::string>(), n.at("exemption").get<std::string>()});
    }
    intent.archive = j.value("archive", "");
    intent.quarantine = j.value("quarantine", "");
    intent.record = j.value("record", json());
    intent.attachments = j.value("attachments", json::array());
  } catch (const json::exception& e) {
    return Status::Io("the claim journal " + path + " is malformed: " + e.what());
  }
  if (intent.claim.empty()) intent.claim = NewClaimId();
  return intent;
}

Status SaveClaimIntent(const std::string& path, const ClaimIntent& intent, Env* env) {
  json names = json::array();
  for (const PathRedaction& n : intent.name_redactions) {
    names.push_back({{"rule", n.rule_id}, {"exemption", n.exemption}});
  }
  json j = {{"input", intent.input},
            {"claim", intent.claim},
            {"step", ClaimStepName(intent.step)},
            {"attempts", intent.attempts},
            {"attachment_runs", intent.attachment_runs},
            {"release", intent.release},
            {"sidecar", intent.sidecar},
            {"name_redactions", std::move(names)},
            {"archive", intent.archive},
            {"quarantine", intent.quarantine},
            {"record", intent.record},
            {"attachments", intent.attachments}};
  return WriteFileAtomic(path, j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n", env);
}

}  // namespace redact
