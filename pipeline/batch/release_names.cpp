#include "pipeline/batch/release_names.h"

#include <filesystem>
#include <fstream>
#include <set>

namespace redact {
namespace fs = std::filesystem;

namespace {

// Whether the pipeline will read `in` as text (and release it as .txt), from its first bytes.
bool ReleasesAsText(const InputFile& in) {
  // Only a regular file is opened here: a FIFO would block until someone writes to it (the
  // pipeline quarantines it without reading).
  std::error_code ec;
  if (!fs::is_regular_file(in.path, ec)) return fs::path(in.relative).extension() == ".txt";
  std::ifstream f(in.path, std::ios::binary);
  std::string head(4096, '\0');
  if (f) f.read(head.data(), std::streamsize(head.size()));
  if (!f && !f.eof()) return fs::path(in.relative).extension() == ".txt";
  head.resize(size_t(f.gcount()));
  SourceKind kind;
  if (head.empty() || !SniffKind(head, head.size() < 4096, &kind)) {
    return fs::path(in.relative).extension() == ".txt";
  }
  return kind == SourceKind::kText;
}

}  // namespace

std::string ReleaseName(const std::string& relative, SourceKind kind) {
  fs::path p(relative);
  p.replace_extension(kind == SourceKind::kText ? ".txt" : ".pdf");
  return p.string();
}

std::string NumberedName(const std::string& relative, int n) {
  fs::path p(relative);
  return (p.parent_path() / (p.stem().string() + "." + std::to_string(n) + p.extension().string()))
      .string();
}

void NumberReleaseName(const InputFile& planned, int n, InputFile* in) {
  in->release = NumberedName(planned.release, n);
  if (!planned.sidecar.empty()) in->sidecar = NumberedName(planned.sidecar, n);
}

Status PlanReleaseNames(std::vector<InputFile>* inputs, const RuleMatcher& matcher,
                        const std::vector<KnownRedaction>& known,
                        const std::vector<std::string>& context) {
  std::vector<bool> text;
  // Each input's natural release path, and the one it takes when another input has that.
  std::vector<std::string> natural, fallback, all = context;
  for (const InputFile& in : *inputs) {
    text.push_back(ReleasesAsText(in));
    const std::string ext = text.back() ? ".txt" : ".pdf";
    natural.push_back(fs::path(in.relative).replace_extension(ext).string());
    fallback.push_back(in.relative + ext);
    all.push_back(natural.back());
    all.push_back(fallback.back());
  }
  auto redactor = ReleasePathRedactor::Make(matcher, all, known);
  if (!redactor.ok()) return redactor.status();
  std::set<std::string> taken;
  // Primary releases first: a file already named as its release ("b.txt", "a.pdf") keeps
  // that name, then the others in input order take their natural name if it is free.
  for (bool named_as_release : {true, false}) {
    for (size_t i = 0; i < inputs->size(); ++i) {
      InputFile& in = (*inputs)[i];
      if ((natural[i] == in.relative) != named_as_release) continue;
      auto first = redactor->Redact(natural[i]);
      if (!first.ok()) return first.status();
      RedactedPath chosen = *first;
      // "a/scan.tif" beside "a/scan.pdf" takes "a/scan.tif.pdf"; names that only redacted
      // alike ("amy-notes.txt", "tom-notes.txt") are numbered.
      if (taken.count(chosen.path) && natural[i] != in.relative) {
        auto other = redactor->Redact(fallback[i]);
        if (!other.ok()) return other.status();
        chosen = std::move(*other);
      }
      for (int n = 2; taken.count(chosen.path); ++n) chosen.path = NumberedName(first->path, n);
      taken.insert(chosen.path);
      in.release = std::move(chosen.path);
      in.name_redactions = std::move(chosen.redactions);
    }
  }
  for (size_t i = 0; i < inputs->size(); ++i) {
    InputFile& in = (*inputs)[i];
    in.sidecar.clear();
    if (text[i]) continue;
    const std::string first = fs::path(in.release).replace_extension(".txt").string();
    in.sidecar = first;
    if (taken.count(in.sidecar)) in.sidecar = in.release + ".txt";
    for (int n = 2; taken.count(in.sidecar); ++n) in.sidecar = NumberedName(first, n);
    taken.insert(in.sidecar);
  }
  return Status::Ok();
}

}  // namespace redact
