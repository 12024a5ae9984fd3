#pragma once
// Release names: where each input's release goes under release/ (or review/), planned over the
// whole run so that no release ever replaces another's.

#include <string>
#include <vector>

#include "pipeline/batch/inputs.h"
#include "pipeline/core/status.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/rules/rule_matcher.h"
#include "pipeline/verify/release_path.h"

namespace redact {

// The natural release path (relative to release/) for an input's relative path and kind:
// "a/scan.tif" -> "a/scan.pdf", "notes.eml" read as text -> "notes.txt".
std::string ReleaseName(const std::string& relative, SourceKind kind);

// Gives every input a release path no other input takes: "a/scan.tif" -> "a/scan.pdf", or
// "a/scan.tif.pdf" when "a/scan.pdf" is an input too, or "a/scan.2.pdf" when that is taken
// as well; sidecars likewise. The kind is read from the file's first bytes as the pipeline
// will read it (text releases as .txt, so an e-mail saved as "b.eml" releases as "b.txt", or
// "b.eml.txt" beside an input "b.txt"); a file that cannot be read is guessed from its
// extension.
//
// Every folder and file name is read by `matcher`'s redact rules first, all inputs' names
// together and with `context` (other paths whose names count: a message's, for its
// attachments) (verify/release_path.h): what they find, and `known` (strings redacted
// elsewhere: a message's text, for its attachments), is replaced by "[REDACTED <exemption>]"
// in the release path, and the input's `name_redactions` say by which rules. Two inputs whose names
// redact alike are numbered apart like any other collision. An engine failure is an error (nothing
// is planned), never a name left as it was.
Status PlanReleaseNames(std::vector<InputFile>* inputs, const RuleMatcher& matcher,
                        const std::vector<KnownRedaction>& known = {},
                        const std::vector<std::string>& context = {});

// `in`'s planned names numbered as the n-th file of that name (n >= 2), as the daemon's
// archive numbers them: "a/b.pdf" -> "a/b.2.pdf" with sidecar "a/b.2.txt", "b.txt" ->
// "b.2.txt". `planned` is the input as PlanReleaseNames left it.
void NumberReleaseName(const InputFile& planned, int n, InputFile* in);

// `relative` with ".n" before its extension: "a/b.pdf" -> "a/b.2.pdf".
std::string NumberedName(const std::string& relative, int n);

}  // namespace redact
