#pragma once
// What the commands that process documents share (batch, watch, scan): their options, bound to
// a JobConfig, read from the command line and from a configuration file, and checked.

#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "pipeline/batch/job_config.h"

namespace redact::cli {

// --ocr, --ocr-dpi, --ocr-min-confidence, --rules, --password(-file), the size limits.
void AddDocumentOptions(boost::program_options::options_description* d, JobConfig* c,
                        std::string* ocr);
// -o, --jobs, --dpi, --audit-text, --no-sidecar, --release-flagged, --timeout, the memory
// limit, --key-file, --libreoffice-per-document.
void AddRunOptions(boost::program_options::options_description* d, JobConfig* c,
                   std::string* audit_text);

// Parses `args` (the command's inputs as positional arguments) into `vm`; prints errors and
// help. Returns -1 to continue, else an exit code.
int ParseWithInputs(const std::vector<std::string>& args,
                    const boost::program_options::options_description& visible,
                    std::vector<std::string>* inputs, boost::program_options::variables_map* vm,
                    const char* usage);
// The same, then what a configuration file adds under the command line's options (--config,
// or `fallback` when it exists and no --config was given). `config` receives the file used,
// if any.
int ParseWithConfig(const std::vector<std::string>& args,
                    boost::program_options::options_description* visible,
                    std::vector<std::string>* inputs, boost::program_options::variables_map* vm,
                    const char* usage, const char* command, const std::string& fallback,
                    std::string* config);

bool ParseOcrMode(const std::string& s, OcrMode* mode);
// The password: --password, else the first line of --password-file, else $REDACT_PASSWORD.
bool ResolvePassword(const boost::program_options::variables_map& vm, const char* command,
                     JobConfig* c);
// Reads back what AddRunOptions and AddDocumentOptions could not bind; false (said on
// standard error) if an option is wrong.
bool FinishRunOptions(const boost::program_options::variables_map& vm, const std::string& ocr,
                      const std::string& audit_text, const char* command, JobConfig* c);
// Loads (or makes) the installation's key into `c`; -1 to continue, else an exit code.
int LoadKey(const char* command, JobConfig* c);

}  // namespace redact::cli
