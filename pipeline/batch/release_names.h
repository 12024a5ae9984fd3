#pragma once
// Release names: where each input's release goes under release/ (or review/), planned over the
// whole run so that no release ever replaces another's.

#include <string>
#include <vector>

#include "pipeline/batch/inputs.h"
#include "pipeline/ingest/ingest.h"

namespace redact {

// The natural release path (relative to release/) for an input's relative path and kind:
// "a/scan.tif" -> "a/scan.pdf", "notes.eml" read as text -> "notes.txt".
std::string ReleaseName(const std::string& relative, SourceKind kind);

// Gives every input a release path no other input takes: "a/scan.tif" -> "a/scan.pdf", or
// "a/scan.tif.pdf" when "a/scan.pdf" is an input too; sidecars likewise. The kind is read
// from the file's first bytes as the pipeline will read it (text releases as .txt, so an
// e-mail saved as "b.eml" releases as "b.txt", or "b.eml.txt" beside an input "b.txt");
// a file that cannot be read is guessed from its extension.
void PlanReleaseNames(std::vector<InputFile>* inputs);

// `in`'s planned names numbered as the n-th file of that name (n >= 2), as the daemon's
// archive numbers them: "a/b.pdf" -> "a/b.2.pdf" with sidecar "a/b.2.txt", "b.txt" ->
// "b.2.txt". `planned` is the input as PlanReleaseNames left it.
void NumberReleaseName(const InputFile& planned, int n, InputFile* in);

// `relative` with ".n" before its extension: "a/b.pdf" -> "a/b.2.pdf".
std::string NumberedName(const std::string& relative, int n);

}  // namespace redact
