#pragma once
// File helpers with the publishing discipline of the design: every output is written to a
// temporary file in the destination folder, fsync'd, then renamed over the final name, so a
// reader (or a crash) never sees a partial file.

#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace redact {

// Reads a whole file. Fails if it is larger than `max_bytes`.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes = size_t(1) << 32);

// Creates the parent folders of `path`, writes `data` to a temp file beside it, fsyncs, renames.
Status WriteFileAtomic(const std::string& path, std::string_view data);

// Copies `from` to `to` with WriteFileAtomic's guarantees; `from` is only read.
Status CopyFileAtomic(const std::string& from, const std::string& to);

// Appends one line (plus '\n') and fsyncs. For the audit log.
Status AppendLineDurable(const std::string& path, std::string_view line);

// A temp path beside `path` that no other thread or process of ours will pick.
std::string TempPathBeside(const std::string& path);

}  // namespace redact
