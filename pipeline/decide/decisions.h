#pragma once
// decide: a reviewer's decisions applied to the findings, and the redactions a reviewer adds
// that no rule made. Flags are not redacted until decided; a redaction can be reversed.
//
// A decisions file (TOML; OUT/audit/decisions.toml is the template a run writes) holds:
//   [[decision]]  one finding, by document and fingerprint (the document also by its sha256,
//                 so that a copy under another input root keeps its decisions);
//   [[bulk]]      every finding of a rule, or of a text, in one document or in all of them;
//   [[redact]]    a reviewer's own redaction: a text (one occurrence, a page's, a document's
//                 or the batch's), an area of a page, or a whole page withheld.
// Each carries an exemption, a note and who decided.

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"

namespace redact {

struct Decision {
  std::string document;  // input path relative to its root, as in the audit
  std::string sha256;    // the input's sha256: matches the document wherever it lies
  std::string fingerprint;
  std::string decision;  // "redact", "keep" or "" (not decided yet)
  std::string note;
  std::string reviewer;   // who decided; empty: the run's --reviewer
  std::string exemption;  // the label of the redaction; a reviewer may change it
  // Context for the reviewer (written to the template, ignored when read):
  int page = 0;
  std::string rule, action, text;
};

// Which documents an entry is for: "*" (or nothing) every document of the batch; else the
// document by its path under the input root, or by its sha256.
struct DocumentScope {
  std::string document;
  std::string sha256;
  bool Every() const { return (document.empty() || document == "*") && sha256.empty(); }
  // By sha256 when the entry has one (a document's content, wherever it lies and whatever
  // other file has its name); else by path.
  bool Matches(const std::string& relative, const std::string& sha) const;
};

// Every finding of a rule, or every finding whose text is `text` (compared as rules compare:
// case and runs of white space aside).
struct BulkDecision {
  DocumentScope scope;
  std::string rule, text;
  std::string decision;  // "redact" or "keep"
  std::string exemption, note, reviewer;
};

enum class ManualKind { kText, kArea, kPage };

// A redaction a reviewer adds. Text: every occurrence in the scope's documents, only those on
// `page` if given, only the `occurrence`-th (1-based) of that page if given. Area: `area` on
// `page` (points from the page's top left corner). Page: `page` withheld whole; the release
// keeps a page that says so.
struct ManualRedaction {
  ManualKind kind = ManualKind::kText;
  DocumentScope scope;
  std::string text;
  int page = 0;
  int occurrence = 0;
  Box area;
  std::string exemption, note, reviewer;
};

// A decision's key: (document, sha256, fingerprint). Two documents of one name (the daemon's
// response.pdf and, dropped later, another response.pdf) are two documents: their sha256 keeps
// them apart.
using DecisionKey = std::tuple<std::string, std::string, std::string>;

struct DecisionSet {
  std::map<DecisionKey, Decision> by_key;
  std::map<std::pair<std::string, std::string>, DecisionKey> by_sha;   // (sha256, fp)
  std::map<std::pair<std::string, std::string>, DecisionKey> by_path;  // (document, fp)
  std::map<std::string, std::set<std::string>> shas_of;                // document -> sha256s
  std::vector<BulkDecision> bulk;
  std::vector<ManualRedaction> manual;

  // The decision for one finding of a document: its own entry (by path and sha256, or an
  // entry naming no sha256), else by the document's sha256 (a copy under another name), else,
  // when `same_path_other_content`, the entry of the same path whose content has changed (a
  // batch's draft edited since: fingerprints survive unrelated edits) if the file holds one
  // content of that path only. Two contents of one path are two documents (the daemon's two
  // files of one name): neither takes the other's decisions.
  const Decision* Find(const std::string& relative, const std::string& sha,
                       const std::string& fingerprint, bool same_path_other_content = true) const;
  // Adds or replaces an entry (keeping the indexes in step).
  Decision& Put(const Decision& d);
  bool empty() const { return by_key.empty() && bulk.empty() && manual.empty(); }
};

// Reads a decisions file. An entry that cannot be applied (unknown decision, an area without
// its page, a manual redaction without an exemption) is an error naming the entry.
Result<DecisionSet> LoadDecisions(const std::string& path);

// The file a run writes: its findings as [[decision]] entries (reviewer's fields first),
// then every [[bulk]] and [[redact]] entry of `carried` as it was.
std::string DecisionsToml(const std::vector<Decision>& decisions,
                          const std::vector<BulkDecision>& bulk = {},
                          const std::vector<ManualRedaction>& manual = {});

// What was applied to one document, for its record and the run's summary.
struct AppliedDecisions {
  int keep = 0, redact = 0;  // findings decided (one by one or in bulk)
  int manual_text = 0, manual_area = 0, manual_page = 0;  // reviewer's own redactions
};

// Applies the decisions for the document (`relative`, `sha256`) to `findings`: "keep" takes
// a finding out (it is returned, marked kept, for the self-check), "redact" turns a flag into
// a redaction; each decided finding gets its decision, note and reviewer (`reviewer` where
// the entry names none). One finding's own entry wins over a bulk one.
std::vector<Finding> ApplyDecisions(const DecisionSet& decisions, const std::string& relative,
                                    const std::string& sha256, const std::string& reviewer,
                                    std::vector<Finding>* findings, AppliedDecisions* applied);

// The reviewer's own redactions for the document, as findings on its pages (rule ids
// manual.text, manual.area, manual.page; decision "redact"). `pages` are the document's
// pages in order; `padding` as detection pads its boxes.
Result<std::vector<Finding>> ManualFindings(const DecisionSet& decisions,
                                            const std::string& relative, const std::string& sha256,
                                            const std::string& reviewer,
                                            const std::vector<const PageText*>& pages,
                                            double padding, AppliedDecisions* applied);

}  // namespace redact
