#pragma once
// Office documents (DOCX, ODT, DOC, RTF, XLSX, ODS, ...) into the PDF path: the package is
// cleaned of what a reader of the final document does not see (office_package.h), then
// LibreOffice renders the cleaned copy to PDF, headless, with a throwaway profile, macros
// disabled and nothing linked fetched. Formats we do not clean ourselves (DOC, RTF, XLSX,
// PPTX, ...) are first turned into OpenDocument by LibreOffice, then cleaned the same way.
//
// LibreOffice is untrusted-input software here: the worker slot's kept LibreOffice
// (office_server.h, OfficeOptions::server) or, without one, a LibreOffice run as a child of
// the document's worker, dying with it, in its own process group so that a timeout kills all
// of it. Either way a document's conversions finish within options.timeout_seconds.

#include <string>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/extract/office_server.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/ingest/ingest.h"

namespace redact {

struct OfficeOptions {
  double timeout_seconds = 240;  // all of one document's LibreOffice runs
  OfficeServerHandle server;     // the worker slot's LibreOffice; invalid: one of our own
};

struct ConvertedOffice {
  std::string pdf_path;               // the final document, as LibreOffice prints it
  std::vector<HiddenItem> hidden;     // what the package holds that the final document hides
  std::vector<std::string> withheld;  // text of it that the release must not contain
  std::string visible;                // what the cleaned copy still says (see CleanedPackage)
};

// Status::MissingDependency, with the package to install, when LibreOffice is not there.
Status CheckLibreOfficeAvailable();

// Cleans and renders `source` (kind kOffice) in `work_dir` (an empty folder the caller removes).
Result<ConvertedOffice> ConvertOfficeDocument(const Source& source, const std::string& work_dir,
                                              const OfficeOptions& options = {});

}  // namespace redact
