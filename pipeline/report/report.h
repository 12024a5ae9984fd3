#pragma once
// The reviewer report: one self-contained HTML file (inline CSS, thumbnails as data URIs,
// nothing fetched) built from an audit log, for a disclosure officer to sign off every
// redaction and flag.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/core/status.h"

namespace redact {

// The report's page views: how many pages of a document (those with findings first), and
// how wide. A batch makes them as it renders (OUT/audit/pages/<release sha256>/); the report
// renders only what it does not find there.
constexpr int kReportPagesPerDocument = 20;
constexpr int kReportPageWidth = 600;

struct ReportOptions {
  std::string out_root;  // OUT, where release/ is; empty: no release thumbnails
  bool thumbnails = true;
  int thumbnail_width = kReportPageWidth;             // pixels: a page readable on screen
  int max_thumbnail_pages = kReportPagesPerDocument;  // per document (pages with findings)
  // Where the releases are seen from the report, for its links to them ("..": the report is
  // in OUT/audit/); empty: WriteReport works it out from out_root, BuildReport links nothing.
  std::string release_base;
};

// Builds the report from the records of an audit log (all runs in it; a document processed
// several times is shown as last processed).
std::string BuildReport(const std::vector<nlohmann::json>& records, const ReportOptions& options);

// Reads `audit_path` (which must verify) and writes the report to `out_path` atomically.
Status WriteReport(const std::string& audit_path, const std::string& out_path,
                   const ReportOptions& options);

// Writes the report of `records` (a log's, as AuditLog::TakeRecords gives them after a run
// that verified the log when it opened it) to `out_path` atomically.
Status WriteReport(const std::vector<nlohmann::json>& records, const std::string& out_path,
                   const ReportOptions& options);

}  // namespace redact
