#pragma once
// JobConfig: everything a run needs, filled from the command line. Defaults are the ones a
// user gets without options.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/extract/document_reader.h"

namespace redact {

enum class AuditText { kPlain, kHash, kNone };

struct JobConfig {
  std::vector<std::string> inputs;  // files and folders (folders are read recursively)
  std::string out;                  // OUT: release/, audit/, quarantine/ go under it
  std::vector<std::string> rules;   // rule files or folders; empty = the default packs
  int jobs = 0;                     // documents in parallel; 0 = number of cores
  int page_jobs = 1;                // pages of one document in parallel (the batch sets it)
  double dpi = 200;                 // raster resolution of release pages
  bool quiet = false;               // no progress line, no summary
  std::string password;             // opens encrypted PDFs
  AuditText audit_text = AuditText::kPlain;     // how matched text appears in the audit
  uint64_t max_file_bytes = uint64_t(2) << 30;  // larger inputs are quarantined
  int max_pages = 10000;                        // longer PDFs are quarantined
  double max_page_pixels = 7016.0 * 9921.0;     // A3 at 600 DPI
  OcrMode ocr = OcrMode::kAuto;    // auto: pages without a usable text layer, and pictures
  double ocr_dpi = 300;            // OCR raster, and release raster of scanned pages
  double ocr_min_confidence = 60;  // flags on OCR words below this are dropped (never redactions)
  std::string decisions;           // a reviewer's decisions file (TOML) to apply
  std::string reviewer;            // who decided, for the audit
  bool report = true;              // write OUT/audit/report.html at the end
  bool sidecar = true;             // write <name>.txt beside release PDFs
  // Release documents whose flags are undecided (flags kept), instead of holding them in
  // OUT/review/ until a reviewer decides.
  bool release_flagged = false;
  bool deterministic = false;  // fixed timestamps, no timings: byte-identical audit records
  // --only REL: only the inputs of these paths under their input root (as the audit names
  // them); empty: all. The review application's "apply" runs the documents it changed so.
  std::vector<std::string> only;
  // --release-as REL=NAME: the input REL releases as NAME, a numbered form of its planned name
  // ("response.pdf" -> "response.2.pdf"): the review's apply of the daemon's second file of a
  // name, which must replace its own release and no other.
  std::map<std::string, std::string> release_as;
  bool json_summary = false;
  bool verbose = false;  // -v: a line per document as it is done
  std::string log_file;  // --log-file: the same lines, the failures and the summary, appended  //
                         // --json: the summary as one JSON object on standard output
  // --shard K/N: only the inputs whose sha256 falls in shard K (1..N) of N.
  int shard_index = 1;
  int shard_count = 1;
  // Each document runs in a child process with these limits; over them it is quarantined.
  bool isolate = true;
  // The installation's key for fingerprints and --audit-text hash (core/audit_key.h); never
  // written anywhere but to a worker's stdin. key_file: where it came from.
  std::string audit_key;
  std::string key_file;
  // LibreOffice started for each Office document or message instead of kept per worker slot:
  // slower (a start each), but no two documents ever share one.
  bool libreoffice_per_document = false;
  double timeout_seconds = 300;
  uint64_t max_memory_bytes = uint64_t(4096) << 20;
};

}  // namespace redact
