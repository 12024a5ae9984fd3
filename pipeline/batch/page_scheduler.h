#pragma once
// The page is the unit of parallelism inside a document: ForEachPage runs one function over
// every page on a few threads, each with its own reader (Poppler and Tesseract objects are per
// thread). Results go to slots by page number, so the output does not depend on the thread
// count (-j1 and -j8 give the same bytes).

#include <functional>

#include "pipeline/core/status.h"
#include "pipeline/extract/document_reader.h"
#include "pipeline/ingest/ingest.h"

namespace redact {

// Runs fn(reader, page) for pages 1..n on up to `threads` threads. `first` is used by the
// calling thread; the others open their own reader of `source` (a thread that cannot is not
// started; the work still gets done). Returns the error of the lowest page that failed.
Status ForEachPage(const Source& source, const ReaderOptions& options, DocumentReader* first, int n,
                   int threads, const std::function<Status(DocumentReader*, int)>& fn);

}  // namespace redact
