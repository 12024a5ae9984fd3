#include "pipeline/verify/verify.h"

#include <set>

#include "pipeline/core/files.h"
#include "pipeline/core/text.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/write/release_pdf.h"

namespace redact {
namespace {

Status CheckRules(const std::string& text, const RuleMatcher& matcher, const std::string& where,
                  const std::set<std::string>& kept) {
  auto spans = matcher.FindSpans(text);
  if (!spans.ok()) return spans.status();
  for (const RuleSpan& s : *spans) {
    const Rule& r = matcher.rules()[s.rule];
    if (r.action != Action::kRedact) continue;
    // A reviewer decided to release this text.
    if (kept.count(NormalizeForMatch(text.substr(s.begin, s.end - s.begin)))) continue;
    return Status::Leak("self-check: rule " + r.id + " still matches " + where,
                        "The release was not published. Report this document: it may hold "
                        "text the redaction did not cover.");
  }
  return Status::Ok();
}

Status CheckLiterals(const std::string& haystack, const LiteralFinder& redacted,
                     const std::string& where) {
  if (!redacted.Find(haystack).empty()) {
    return Status::Leak("self-check: a redacted string is still present in " + where,
                        "The release was not published. Report this document.");
  }
  return Status::Ok();
}

}  // namespace

Status VerifyRelease(const VerifyRequest& request, const RuleMatcher& matcher) {
  std::set<std::string> kept;
  for (const std::string& k : request.kept) kept.insert(NormalizeForMatch(k));
  std::vector<std::string> redacted_texts;
  for (const std::string& r : request.redacted) {
    if (!kept.count(NormalizeForMatch(r))) redacted_texts.push_back(r);
  }
  auto redacted = LiteralFinder::Compile(redacted_texts);
  if (!redacted.ok()) return redacted.status();
  if (!request.pdf_path.empty()) {
    auto doc = PdfDocument::Open(request.pdf_path);
    if (!doc.ok()) {
      return Status::Leak("self-check: the release PDF cannot be read back: " +
                          doc.status().message());
    }
    std::string all_text;
    for (int p = 1; p <= (*doc)->page_count(); ++p) {
      auto text = (*doc)->ExtractPageText(p);
      if (!text.ok())
        return Status::Leak("self-check: page " + std::to_string(p) +
                            " of the release cannot be read back");
      Status s =
          CheckRules(text->text, matcher, "page " + std::to_string(p) + " of the release", kept);
      if (!s.ok()) return s;
      all_text += text->text + "\n";
    }
    Status s = CheckLiterals(all_text, *redacted, "the release's text layer");
    if (!s.ok()) return s;
    for (const auto& [key, value] : (*doc)->InfoEntries()) {
      if (key != "Producer" && !value.empty()) {
        return Status::Leak("self-check: the release has metadata (" + key + ")");
      }
    }
    auto content = DecodedPdfContent(request.pdf_path);
    if (!content.ok()) return Status::Leak("self-check: " + content.status().message());
    s = CheckLiterals(*content, *redacted, "the release PDF's objects");
    if (!s.ok()) return s;
  }
  for (const std::string& path : request.text_paths) {
    auto text = ReadFile(path);
    if (!text.ok()) return Status::Leak("self-check: cannot read back " + path);
    Status s = CheckRules(*text, matcher, "the released text", kept);
    if (!s.ok()) return s;
    s = CheckLiterals(*text, *redacted, "the released text");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace redact
