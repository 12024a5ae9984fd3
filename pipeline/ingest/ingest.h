#pragma once
// ingest: what is this file? Decided by its first bytes, never by its name.

#include <cstdint>
#include <string>

#include "pipeline/core/status.h"

namespace redact {

// kOffice: a word-processor or spreadsheet file (DOCX, ODT, DOC, RTF, XLSX, ODS, ...), read by
// way of LibreOffice. kOutlookMessage: an Outlook .msg, which nothing we trust reads.
// kEmail: an RFC 5322 message (.eml), read with GMime.
enum class SourceKind { kPdf, kText, kPng, kJpeg, kTiff, kOffice, kOutlookMessage, kEmail };

const char* SourceKindName(SourceKind kind);

// Whether `head` (a file's first bytes) is an e-mail message: header lines from the first byte
// (or after an mbox "From " line), among them at least two of the fields a message has.
bool LooksLikeEmail(const std::string& head);

struct Source {
  std::string path;      // where it is read from
  std::string relative;  // path under its input root; mirrors into release/ and quarantine/
  SourceKind kind = SourceKind::kPdf;
  std::string sha256;
  uint64_t size = 0;
};

struct IngestLimits {
  uint64_t max_file_bytes = uint64_t(2) << 30;  // 2 GiB
};

// Reads `path` (never writes it), hashes it and classifies it.
// Fails for an empty, unreadable, oversized, truncated (PDF) or unrecognised file.
Result<Source> IngestFile(const std::string& path, const std::string& relative,
                          const IngestLimits& limits = {});

// Classifies a buffer holding the start of a file (at least its first 1 KiB when available).
// Returns false if it is none of the kinds we know.
bool SniffKind(const std::string& head, bool whole_file, SourceKind* kind);

}  // namespace redact
