#pragma once
// review: `redact review OUT`, a local web application over a batch's (or the daemon's) OUT.
// A reviewer sees each document's pages with every finding drawn and numbered, accepts or
// rejects findings (one, or every finding of a rule or of a text), searches a term across the
// batch and redacts every hit, draws an area, withholds a page, and applies: the documents
// whose decisions changed run again (`redact batch --only ... --decisions`), and the new
// release shows beside the draft.
//
// Decisions are written to OUT/audit/decisions.toml, the file a reviewer can also edit by
// hand (see decide/decisions.h). The server binds 127.0.0.1 on a free port, answers only
// requests that carry its random token (and, for changes, come from its own page), and serves
// the application itself, renders of the pages of the documents the audit log names, and
// nothing else: no request names a path.

#include <atomic>
#include <functional>
#include <ostream>
#include <string>

namespace redact {

struct ReviewOptions {
  std::string out;       // the batch's OUT
  int port = 0;          // 0: a free one
  std::string reviewer;  // the default "who decided" (the page can change it)
  std::string self;      // the redact binary, to run "apply" with
  std::string config;    // the configuration file apply's runs read (the daemon's), or none
  std::string key_file;  // the audit key apply's runs use (else the config's, or the default)
  std::string token;     // empty: a random one
  double dpi = 100;      // page renders
  std::atomic<bool>* stop = nullptr;  // set (e.g. on SIGINT/SIGTERM) to stop the server
  // Called once the server listens, with its URL (token included).
  std::function<void(const std::string& url)> on_ready;
  // The installation's audit key, when there is one: the log must then match its anchor too
  // (a chain recomputed by someone without the key is refused). Empty: the chain alone.
  std::string audit_key;
};

// Serves until `stop` is set. Returns an exit code (0, or 1 for an OUT that is not a batch's,
// 6 when no port can be bound); says why on `err`.
int RunReviewServer(const ReviewOptions& options, std::ostream& err);

}  // namespace redact
