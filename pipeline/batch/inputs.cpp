#include "pipeline/batch/inputs.h"

#include <algorithm>
#include <filesystem>

#include "pipeline/core/build_info.h"
#include "pipeline/core/hash.h"

namespace redact {
namespace fs = std::filesystem;

namespace {

bool IsWithin(const fs::path& inner, const fs::path& outer) {
  auto i = inner.begin(), o = outer.begin();
  for (; o != outer.end(); ++o, ++i) {
    if (o->empty()) continue;  // trailing slash
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

fs::path Absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::weakly_canonical(fs::absolute(p), ec);
  return ec ? fs::absolute(p).lexically_normal() : a;
}

}  // namespace

std::string CheckJobConfig(const JobConfig& config) {
  if (config.inputs.empty()) return "no inputs: give at least one file or folder to redact";
  if (config.out.empty()) return "no output folder: give one with -o OUT";
  if (config.dpi < 50 || config.dpi > 1200) return "--dpi must be between 50 and 1200";
  if (config.jobs < 0 || config.jobs > 256) return "--jobs must be between 0 and 256";
  if (config.shard_count < 1 || config.shard_index < 1 || config.shard_index > config.shard_count) {
    return "--shard must be K/N with 1 <= K <= N, e.g. --shard 2/8";
  }
  fs::path out = Absolute(config.out);
  for (const std::string& in : config.inputs) {
    std::error_code ec;
    if (!fs::exists(in, ec)) return "input not found: " + in;
    fs::path a = Absolute(in);
    if (fs::is_directory(a, ec) && IsWithin(out, a)) {
      return "the output folder " + config.out + " is inside the input folder " + in +
             ": choose an output folder outside it, or its releases would be read as inputs";
    }
    if (IsWithin(a, out)) {
      return "the input " + in + " is inside the output folder " + config.out +
             ": choose an output folder elsewhere";
    }
  }
  return {};
}

std::vector<InputFile> CollectInputs(const std::vector<std::string>& inputs,
                                     std::vector<std::string>* skipped) {
  std::vector<InputFile> files;
  const bool prefix = inputs.size() > 1;
  for (const std::string& in : inputs) {
    fs::path root(in);
    std::error_code ec;
    std::string base = Absolute(in).filename().string();
    if (!fs::is_directory(root, ec)) {
      files.push_back({root.string(), root.filename().string(), {}, {}, {}});
      continue;
    }
    std::vector<InputFile> found;
    auto it =
        fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::end(it); it.increment(ec)) {
      const fs::path& p = it->path();
      std::string name = p.filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        skipped->push_back(p.string() + " (hidden)");
        continue;
      }
      if (it->is_symlink(ec)) {
        skipped->push_back(p.string() + " (symbolic link, not followed)");
        continue;
      }
      if (it->is_directory(ec)) continue;
      std::string rel = p.lexically_relative(root).string();
      found.push_back({p.string(), prefix ? base + "/" + rel : rel, {}, {}, {}});
    }
    std::sort(found.begin(), found.end(),
              [](const InputFile& a, const InputFile& b) { return a.relative < b.relative; });
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

int ShardOf(const InputFile& in, int shard_count) {
  auto sha = Sha256File(in.path);
  // An unreadable file still belongs to exactly one shard, which quarantines it.
  const std::string hex = sha.ok() ? *sha : Sha256Hex(in.relative);
  return int(std::stoull(hex.substr(0, 15), nullptr, 16) % uint64_t(shard_count)) + 1;
}

std::vector<std::string> DefaultRulePaths() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "redact" / "rules";
    if (fs::is_directory(installed, ec)) return {installed.string()};
  }
  if (fs::is_directory(kSourceRulesDir, ec)) return {kSourceRulesDir};
  return {kInstalledRulesDir};
}

std::vector<std::string> RulePathsOf(const JobConfig& config) {
  return config.rules.empty() ? DefaultRulePaths() : config.rules;
}

}  // namespace redact
