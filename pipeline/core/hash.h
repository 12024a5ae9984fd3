#pragma once
// SHA-256, HMAC-SHA256 and base64 through OpenSSL. Thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "pipeline/core/status.h"

namespace redact {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Lower-case hex HMAC-SHA256 of `data` under `key`: what only a holder of the key can compute
// (or check against a guess), where a plain SHA-256 of a short text is reversed by trying
// every name or number it could be.
std::string HmacSha256Hex(std::string_view key, std::string_view data);
// `bytes` random bytes from OpenSSL's generator as lower-case hex; nullopt if it failed.
std::optional<std::string> RandomHex(size_t bytes);
// Lower-case hex SHA-256 of a file's contents, read in blocks.
Result<std::string> Sha256File(const std::string& path);

// Standard base64 (RFC 4648, '=' padded, no white space) decoded; nullopt if it is not.
std::optional<std::string> DecodeBase64(std::string_view encoded);

}  // namespace redact
