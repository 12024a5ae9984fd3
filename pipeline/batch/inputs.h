#pragma once
// A run's inputs: the options checked before anything is written, every file under the input
// folders listed, and each file's shard.

#include <string>
#include <vector>

#include "pipeline/batch/job_config.h"
#include "pipeline/verify/release_path.h"

namespace redact {

struct InputFile {
  std::string path;
  std::string relative;
  std::string release;  // planned release path under release/ (see PlanReleaseNames)
  std::string sidecar;  // planned .txt sidecar of a release PDF
  // What the rules found in the input's folder and file names, replaced in `release` (and so
  // in `sidecar`): empty when the release keeps the input's name.
  std::vector<PathRedaction> name_redactions;
  // Where a message's attachments are written out; empty: OUT/attachments/<relative>.attachments
  // (the daemon gives each claim its own, so a second message of a name keeps the first's).
  std::string attachments_dir = {};
};

// Checks the config before anything is written: inputs exist, OUT is not inside an input
// (nor an input inside OUT). Returns a message for the user, or empty when fine.
std::string CheckJobConfig(const JobConfig& config);

// Lists every file under the inputs (folders recursively, sorted), with the relative path it
// will have under release/. Hidden files (".name") and symbolic links are skipped; the
// skipped ones are reported in `skipped`.
std::vector<InputFile> CollectInputs(const std::vector<std::string>& inputs,
                                     std::vector<std::string>* skipped);

// The shard (1..shard_count) an input belongs to, from the sha256 of its bytes: the same file
// lands in the same shard wherever and whenever it is run.
int ShardOf(const InputFile& in, int shard_count);

// The default rule packs: next to an installed binary, else the source tree's rules/.
std::vector<std::string> DefaultRulePaths();

// The rule files a config means: its --rules, or the default packs.
std::vector<std::string> RulePathsOf(const JobConfig& config);

}  // namespace redact
