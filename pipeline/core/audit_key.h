#pragma once
// The installation's secret for the keyed hashes an audit record carries (finding
// fingerprints, --audit-text hash): HMAC-SHA256 under it, so that a reader of OUT cannot try a
// dictionary of names, numbers and hosts against them, nor link two documents that share a
// secret unless they hold the key. Kept outside OUT: a file of 64 hex digits (32 random bytes
// from OpenSSL), mode 0600 in a folder of mode 0700, made on first use; in a setgid folder
// (an FOI unit's key, shared with its group) mode 0640. The same key gives the
// same fingerprints run after run, which is what a reviewer's decisions are matched by.

#include <string>

#include "pipeline/core/status.h"

namespace redact {

// $REDACT_KEY_FILE; else $XDG_STATE_HOME/redact/audit.key; else ~/.local/state/redact/audit.key.
// Empty when there is no home to put it in.
std::string DefaultAuditKeyPath();

// The key at `path`, made there if it does not exist (two runs starting at once agree on one).
// Refused when the file is writable by others than its owner, readable by others than its
// owner and group, or is not a key.
Result<std::string> LoadAuditKey(const std::string& path);

// A short name for the key, safe to print and to record (it does not help find the key): lets
// an auditor tell which key a run's fingerprints were made with.
std::string AuditKeyId(const std::string& key);

}  // namespace redact
