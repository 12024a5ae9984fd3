#pragma once
// SHA-256 through OpenSSL. Thread-safe.

#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace redact {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Lower-case hex SHA-256 of a file's contents, read in blocks.
Result<std::string> Sha256File(const std::string& path);

}  // namespace redact
