#include "pipeline/batch/worker.h"

#include <fcntl.h>
#include <unistd.h>
#include <chrono>
#include <mutex>
#include <new>
#include <optional>

#include <cerrno>
#include <filesystem>
#include <iostream>
#include <iterator>

#include "pipeline/batch/document.h"
#include "pipeline/batch/job_options.h"
#include "pipeline/batch/record.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/decide/decisions.h"
#include "pipeline/extract/ocr.h"
#include "pipeline/rules/rule_loader.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

json WorkerJobJson(const WorkerJob& job) {
  const JobConfig& c = job.config;
  const json config = JobOptionsJson(c);
  return {{"input", job.input.path},
          {"relative", job.input.relative},
          {"release", job.input.release},
          {"sidecar", job.input.sidecar},
          {"attachments_dir", job.input.attachments_dir},
          {"out", job.out},
          {"office_socket", job.office.socket},
          {"office_pid", job.office.pid},
          {"config", config}};
}

Result<WorkerJob> ParseWorkerJob(const json& j) {
  try {
    WorkerJob job;
    job.input = {j.at("input").get<std::string>(),
                 j.at("relative").get<std::string>(),
                 j.at("release").get<std::string>(),
                 j.at("sidecar").get<std::string>(),
                 {},
                 j.value("attachments_dir", "")};
    job.out = j.at("out").get<std::string>();
    job.office.socket = j.at("office_socket").get<std::string>();
    job.office.pid = j.at("office_pid").get<pid_t>();
    if (Status s = ReadJobOptions(j.at("config"), &job.config); !s.ok()) return s;
    return job;
  } catch (const json::exception& e) {
    return Status::InvalidInput(std::string("malformed job: ") + e.what());
  }
}

namespace {

// What a zygote loaded before forking this worker: the rules (for these paths) and the model.
struct Preloaded {
  std::vector<std::string> rule_paths;
  std::optional<Result<RuleCatalog>> catalog;
};
Preloaded& preloaded() {
  static Preloaded p;
  return p;
}

// The rules as a worker loads them: the parent checked them, examples included, before it
// started; a failure here is still reported.
Result<RuleCatalog> LoadWorkerRules(const std::vector<std::string>& paths) {
  LoadOptions quick;
  quick.check_examples = false;
  quick.check_patterns = false;
  return LoadRules(paths, quick);
}

}  // namespace

std::string WorkerPreload(const JobConfig& config, bool ocr) {
  return json{{"rules", config.rules}, {"ocr", ocr && config.ocr != OcrMode::kNever}}.dump();
}

void PrepareWorkers(const std::string& preload) {
  const json j = json::parse(preload, nullptr, false);
  if (!j.is_object()) return;
  Preloaded& p = preloaded();
  if (j.contains("rules") && j["rules"].is_array() && !p.catalog) {
    for (const json& r : j["rules"]) {
      if (r.is_string()) p.rule_paths.push_back(r.get<std::string>());
    }
    p.catalog.emplace(LoadWorkerRules(p.rule_paths));
  }
  if (j.value("ocr", false)) PreloadOcrEngine();
}

int DocumentWorkerMain() {
  std::set_new_handler([] { ::_exit(kWorkerOutOfMemoryExit); });
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  json parsed = json::parse(input, nullptr, false);
  auto job = parsed.is_object() ? ParseWorkerJob(parsed)
                                : Result<WorkerJob>(Status::InvalidInput("not a JSON object"));
  if (!job.ok()) {
    std::cerr << "redact: the document worker was given a malformed job: " << job.status().message()
              << "\n";
    return kExitBadArguments;
  }
  // The answer goes to the stdout we were given; while the document is processed, stdout is
  // /dev/null, so that nothing a library prints there (libytnef does) corrupts the answer or
  // reaches the user's terminal.
  const int answer_fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);  // not for LibreOffice
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (answer_fd < 0 || null_fd < 0 || ::dup2(null_fd, STDOUT_FILENO) < 0) {
    return kExitOutputNotWritable;
  }
  ::close(null_fd);
  const JobConfig& config = job->config;
  DocumentContext ctx;
  ctx.config = &config;
  ctx.release_root = (fs::path(job->out) / "release").string();
  ctx.release_name = job->input.release;
  ctx.sidecar_name = job->input.sidecar;
  ctx.attachments_dir = job->input.attachments_dir;
  ctx.office = job->office;
  // Pages as they go, to the parent's progress display, on the answer's pipe (a line it
  // takes out); a few a second at most, and the last of each stage.
  std::mutex progress_mu;
  auto last = std::chrono::steady_clock::time_point();
  ctx.on_pages = [&](int read, int rendered, int total) {
    std::lock_guard<std::mutex> lock(progress_mu);
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(100) && read != total && rendered != total) return;
    last = now;
    WriteFully(answer_fd, "#progress pages " + std::to_string(read) + " " +
                              std::to_string(rendered) + " " + std::to_string(total) + "\n");
  };
  DecisionSet decisions;
  if (!config.decisions.empty()) {
    auto loaded = LoadDecisions(config.decisions);  // the parent checked it loads
    if (loaded.ok()) decisions = std::move(*loaded);
    ctx.decisions = &decisions;
  }
  Preloaded& pre = preloaded();
  Result<RuleCatalog> catalog = pre.catalog && pre.rule_paths == config.rules
                                    ? std::move(*pre.catalog)
                                    : LoadWorkerRules(config.rules);
  DocumentRecord record;
  if (!catalog.ok()) {
    record = FailedRecord(job->input.path, job->input.relative, Stage::kRules, catalog.status());
  } else {
    ctx.matcher = catalog->matcher;
    record = ProcessFile(job->input.path, job->input.relative, ctx);
  }
  std::cout.flush();
  const std::string answer =
      WireJson(record).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  if (!WriteFully(answer_fd, answer)) return kExitOutputNotWritable;
  ::close(answer_fd);
  return kExitOk;
}

}  // namespace redact
