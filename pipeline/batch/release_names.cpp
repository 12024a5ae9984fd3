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

void PlanReleaseNames(std::vector<InputFile>* inputs) {
  std::vector<bool> text;
  for (const InputFile& in : *inputs) text.push_back(ReleasesAsText(in));
  std::set<std::string> taken;
  // Primary releases first: a file already named as its release ("b.txt", "a.pdf") keeps
  // that name, then the others in input order take their natural name if it is free.
  for (bool named_as_release : {true, false}) {
    for (size_t i = 0; i < inputs->size(); ++i) {
      InputFile& in = (*inputs)[i];
      fs::path natural(in.relative);
      natural.replace_extension(text[i] ? ".txt" : ".pdf");
      if ((natural.string() == in.relative) != named_as_release) continue;
      in.release = natural.string();
      if (!taken.insert(in.release).second) {
        in.release = in.relative + (text[i] ? ".txt" : ".pdf");
        taken.insert(in.release);
      }
    }
  }
  for (size_t i = 0; i < inputs->size(); ++i) {
    InputFile& in = (*inputs)[i];
    if (text[i]) continue;
    in.sidecar = fs::path(in.release).replace_extension(".txt").string();
    if (!taken.insert(in.sidecar).second) {
      in.sidecar = in.release + ".txt";
      taken.insert(in.sidecar);
    }
  }
}

}  // namespace redact
