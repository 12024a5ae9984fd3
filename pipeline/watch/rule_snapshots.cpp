// Rules in force: copied under .redact/rules/<generation>/, loaded from there, reloaded on SIGHUP.
#include "pipeline/watch/watcher.h"

namespace redact::daemon {

Status Watcher::LoadRuleSnapshot() {
  // Find the files the given paths mean, copy them, then load the copies: what is loaded is
  // exactly what the workers will read, whatever happens to the originals afterwards. The
  // examples are run once, on the copies.
  LoadOptions find_only;
  find_only.check_examples = false;
  find_only.check_patterns = false;
  auto found = LoadRules(rule_paths_, find_only);
  if (!found.ok()) return found.status();
  const int generation = rules_generation_ + 1;
  fs::path dir = state_ / "rules" / std::to_string(generation);
  std::error_code ec;
  fs::remove_all(dir, ec);
  std::vector<std::string> copies;
  for (size_t i = 0; i < found->sets.size(); ++i) {
    const RuleSet& rs = found->sets[i];
    std::ostringstream name;
    name << std::setw(3) << std::setfill('0') << i;
    // Each file in a folder of its own, its word lists where its [lists] table says they are
    // ("../lists/forenames.txt"), so the copy loads exactly as the original did.
    int up = 0;
    for (const auto& [rel, from] : rs.list_files) {
      int n = 0;
      for (const auto& part : fs::path(rel)) n += part == "..";
      up = std::max(up, n);
    }
    fs::path copy_dir = dir / name.str();
    for (int k = 0; k < up; ++k) copy_dir /= "r";
    fs::path copy = copy_dir / fs::path(rs.path).filename();
    if (Status s = CopyFileAtomic(rs.path, copy.string()); !s.ok()) return s;
    for (const auto& [rel, from] : rs.list_files) {
      const fs::path to = (copy_dir / rel).lexically_normal();
      if (Status s = CopyFileAtomic(from, to.string()); !s.ok()) return s;
    }
    copies.push_back(copy.string());
  }
  auto loaded = LoadRules(copies);
  if (!loaded.ok()) return loaded.status();
  size_t rule_count = 0;
  json files = RuleFilesRecord(*found, &rule_count);  // the paths as given
  for (size_t i = 0; i < loaded->sets.size() && i < files.size(); ++i) {
    files[i]["sha256"] = loaded->sets[i].sha256;  // the bytes actually in force
  }
  auto runner = std::make_shared<const DocumentRunner>(config_.job, copies, loaded->matcher,
                                                       nullptr, 1, run_.env, Office());
  // Older copies: a worker started before this reload may still be reading the previous one.
  for (auto it = fs::directory_iterator(state_ / "rules", ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    int g = std::atoi(it->path().filename().c_str());
    if (g < generation - 1) fs::remove_all(it->path(), ec);
  }
  return InstallRules(runner, std::move(files), rule_count, generation, {}, json::object());
}

Status Watcher::InstallRules(std::shared_ptr<const DocumentRunner> runner, json files,
                             size_t rule_count, int generation, const std::string& error,
                             json audit_extra) {
  json record = {{"event", "rules_loaded"},
                 {"time", clock_.Now()},
                 {"rule_files", files},
                 {"rules", rule_count}};
  for (auto& [k, v] : audit_extra.items()) record[k] = v;
  {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.runner = std::move(runner);
    rules_.files = std::move(files);
    rules_.rule_count = rule_count;
    rules_.loaded_at = clock_.Now();
    rules_error_ = error;
    status_dirty_ = true;
  }
  rules_generation_ = generation;
  return audit_->Append(record);
}

Status Watcher::StartOnLastGoodRules(const Status& why) {
  std::error_code ec;
  int newest = 0;
  for (auto it = fs::directory_iterator(state_ / "rules", ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec)) newest = std::max(newest, std::atoi(it->path().filename().c_str()));
  }
  if (newest == 0) return why;
  const fs::path dir = state_ / "rules" / std::to_string(newest);
  // One rule file a folder ("000", "001", ... in load order), under the folders its word
  // lists' relative paths need.
  std::vector<fs::path> tops;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    tops.push_back(it->path());
  }
  std::sort(tops.begin(), tops.end());
  std::vector<std::string> copies;
  for (const fs::path& top : tops) {
    for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (it->path().extension() == ".toml") copies.push_back(it->path().string());
    }
  }
  if (copies.empty()) return why;
  auto loaded = LoadRules(copies);
  if (!loaded.ok()) return why;
  size_t rule_count = 0;
  const json files = RuleFilesRecord(*loaded, &rule_count);
  auto runner = std::make_shared<const DocumentRunner>(config_.job, copies, loaded->matcher,
                                                       nullptr, 1, run_.env, Office());
  const std::string error = why.message() + " - started on the last good copy of the rules (" +
                            dir.string() + "); fix the file and reload (SIGHUP)";
  log_.Write("error", "rules-start-failed", "", error, {{"error", why.message()}});
  return InstallRules(runner, files, rule_count, newest, error,
                      {{"last_good_copy", true}, {"error", why.message()}});
}

void Watcher::ReloadRules() {
  Status s = LoadRuleSnapshot();
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    log_.Write("info", "rules-reloaded", "",
               std::to_string(rules_.rule_count) + " rules from " +
                   std::to_string(rules_.files.size()) + " files");
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    rules_error_ = s.message();
    status_dirty_ = true;
  }
  log_.Write("error", "rules-reload-failed", "",
             s.message() + " - still using the rules loaded at " + rules_.loaded_at,
             {{"error", s.message()}});
  Status logged = audit_->Append(
      {{"event", "rules_reload_failed"}, {"time", clock_.Now()}, {"error", s.message()}});
  if (!logged.ok()) log_.Write("error", "audit", "", logged.message());
}

}  // namespace redact::daemon
