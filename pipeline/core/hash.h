#pragma once
// SHA-256 and base64 through OpenSSL. Thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace redact {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Lower-case hex SHA-256 of a file's contents, read in blocks.
Result<std::string> Sha256File(const std::string& path);

// Standard base64 (RFC 4648, '=' padded, no white space) decoded; nullopt if it is not.
std::optional<std::string> DecodeBase64(std::string_view encoded);

}  // namespace redact
