#pragma once
// A TOML file read whole (toml++), its syntax errors said with file and line: the one reader
// of the configuration and decisions files.

#include <string>

#include <toml++/toml.h>

#include "pipeline/core/status.h"

namespace redact {

// `path` parsed; an unreadable file, one over `max_bytes`, or a syntax error is InvalidInput
// (or the read's own error) naming the file and the line.
Result<toml::table> ReadTomlFile(const std::string& path, size_t max_bytes);

}  // namespace redact
