#include "pipeline/verify/verify.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "pipeline/core/files.h"
#include "pipeline/core/normalize.h"
#include "pipeline/core/page_text_builder.h"
#include "pipeline/core/text.h"
#include "pipeline/extract/encoded_text.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/write/release_pdf.h"

namespace redact {
namespace {

// What reviewers released: whole texts, and texts around redactions left inside them.
struct Kept {
  std::set<std::string> whole;
  std::vector<std::string> around;

  // `match`, normalised and without redaction markers ("[REDACTED s.23(1)]" in a released
  // text), is one of the whole texts or lies within the words kept around redactions.
  bool Released(std::string_view match) const {
    const std::string m = NormalizeForMatch(match);
    if (whole.count(m)) return true;
    if (around.empty()) return false;
    std::string bare;
    for (size_t i = 0; i < m.size();) {
      if (m.compare(i, 9, "[redacted") == 0 && m.find(']', i) != std::string::npos) {
        i = m.find(']', i) + 1;
        continue;
      }
      bare.push_back(m[i++]);
    }
    bare = NormalizeForMatch(bare);
    return !bare.empty() && std::any_of(around.begin(), around.end(), [&](const std::string& a) {
      return a.find(bare) != std::string::npos;
    });
  }
};

// The string a check found, named in its message between « and » (at most 80 characters, on
// one line): the reviewer needs to know what did not converge; an audit record written with
// --audit-text hash or none keeps a keyed hash of it instead (batch/record.cpp).
std::string Named(std::string_view text, size_t begin, size_t end) {
  std::string s(text.substr(begin, std::min(end - begin, size_t(80))));
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (!IsValidUtf8(s)) s = ValidUtf8(s);  // a character cut at either end
  return "\u00ab" + s + "\u00bb";
}

Status CheckRules(const std::string& text, const RuleMatcher& matcher, const std::string& where,
                  const Kept& kept, SelfCheckFinding* found) {
  auto spans = matcher.FindSpans(text);
  if (!spans.ok()) return spans.status();
  for (const RuleSpan& s : *spans) {
    const Rule& r = matcher.rules()[s.rule];
    if (r.action != Action::kRedact) continue;
    // A reviewer decided to release this text.
    if (kept.Released(std::string_view(text).substr(s.begin, s.end - s.begin))) continue;
    *found = {text.substr(s.begin, s.end - s.begin), r.id};
    return Status::Leak("self-check: rule " + r.id + " still matches " +
                            Named(text, s.begin, s.end) + " in " + where,
                        "The release was not published. Redact that text with a decision "
                        "([[redact]] text = ...) and run again; if it recurs, report this "
                        "document: it may hold text the redaction did not cover.");
  }
  return Status::Ok();
}

Status CheckLiterals(const std::string& haystack, const LiteralFinder& redacted,
                     const std::string& where, SelfCheckFinding* what) {
  auto found = redacted.Find(haystack);
  if (!found.ok()) return found.status();
  if (!found->empty()) {
    const auto [begin, end] = found->front();
    *what = {haystack.substr(begin, end - begin), ""};
    return Status::Leak("self-check: a redacted string, " + Named(haystack, begin, end) +
                            ", is still present in " + where,
                        "The release was not published. Report this document.");
  }
  return Status::Ok();
}

// Redacted strings that cannot be an ordinary part of a longer word: they hold a digit, a dot,
// an '@' or similar and are at least six characters ("10.44.12.7", "vpn.example.police.uk").
std::vector<std::string> TechnicalStrings(const std::vector<std::string>& redacted) {
  std::vector<std::string> out;
  for (const std::string& r : redacted) {
    std::string n = NormalizeForMatch(r);
    if (n.size() < 6 || n.find(' ') != std::string::npos) continue;
    bool technical = std::any_of(n.begin(), n.end(), [](char c) {
      return (c >= '0' && c <= '9') || c == '.' || c == '@' || c == ':' || c == '/' || c == '_';
    });
    if (technical) out.push_back(std::move(n));
  }
  return out;
}

// Each word of the release on its own: none may hold a technical redacted string, even glued
// to a neighbour ("1.2vpn.example.police.uk") where no word boundary would let a rule or a
// literal search see it.
Status CheckWords(const PageText& page, const std::vector<std::string>& technical,
                  const std::string& where, SelfCheckFinding* found) {
  if (technical.empty()) return Status::Ok();
  for (const Word& w : page.words) {
    const std::string n = NormalizeForMatch(w.text);
    for (const std::string& t : technical) {
      if (n.find(t) != std::string::npos) {
        *found = {t, ""};
        return Status::Leak("self-check: a redacted string is still present in the word " +
                                Named(w.text, 0, w.text.size()) + " of " + where,
                            "The release was not published. Report this document.");
      }
    }
  }
  return Status::Ok();
}

// A redaction marker with a letter right beside it: the box took part of a word, and the rest
// of it (half a name: "[REDACTED s.40(2)]for") is released. Detection redacts whole words, so
// this is never a choice; it is read from the release alone, whatever detection did.
Status CheckMarkersAtWordEdges(const std::string& text, const std::string& where) {
  static constexpr std::string_view kMarker = "[REDACTED ";
  for (size_t at = text.find(kMarker); at != std::string::npos; at = text.find(kMarker, at + 1)) {
    const size_t close = text.find(']', at);
    if (close == std::string::npos) break;
    const bool before = at > 0 && IsLetterBefore(text, at);
    const bool after = close + 1 < text.size() && IsLetterAt(text, close + 1);
    if (before || after) {
      const size_t from = at > 24 ? at - 24 : 0;
      return Status::Leak("self-check: a redaction in " + where +
                              " ends inside a word, leaving the rest of it released: " +
                              Named(text, from, std::min(text.size(), close + 24)),
                          "The release was not published. Report this document.");
    }
  }
  return Status::Ok();
}

// The structure tree is a second text of the release, read by screen readers: what an element
// says of its own (actual text, alternate text, expansion, title) must be shown on its page
// (`page_texts`, by page number; the boxes' labels are shown there too, in the text layer over
// each box), so the tree cannot become a place where withheld text is still said. Case and
// white space aside: a reading aloud does not hear them.
Status CheckStructureTexts(const std::vector<StructureText>& texts,
                           const std::vector<std::string>& page_texts, SelfCheckFinding* found) {
  auto bare = [](std::string_view s) {
    std::string n = NormalizeForMatch(s);
    std::erase(n, ' ');
    return n;
  };
  std::vector<std::string> pages(page_texts.size());
  std::string all;
  for (size_t p = 0; p < page_texts.size(); ++p) {
    pages[p] = bare(page_texts[p]);
    all += pages[p];
  }
  for (const StructureText& t : texts) {
    const std::string says = bare(t.says);
    const std::string& shown =
        t.page > 0 && size_t(t.page) < pages.size() ? pages[size_t(t.page)] : all;
    if (says.empty() || shown.find(says) != std::string::npos) continue;
    *found = {t.says, "", t.page};
    return Status::Leak("self-check: the release's structure tree gives a " + t.type + " the /" +
                            t.key + " " + Named(t.says, 0, t.says.size()) + ", which " +
                            (t.page > 0 ? "page " + std::to_string(t.page) : "the release") +
                            " does not show",
                        "The release was not published. Report this document.");
  }
  return Status::Ok();
}

}  // namespace

namespace {

// What the self-check looks for, made once per release.
struct Checks {
  const RuleMatcher& matcher;
  Kept kept;
  std::optional<LiteralFinder> redacted;
  std::vector<std::string> technical;
};

// One page of the release read back, in two readings that do not share a blind spot (as a
// reader sees the page, and every word on its own) and cell by cell; then each word alone
// against the redacted strings. `texts` gets the page's readings for the literal search.
Status CheckReleasePage(PdfDocument* reader, int p, const Checks& c, std::string* texts,
                        SelfCheckFinding* found) {
  auto text = reader->ExtractPageText(p);
  if (!text.ok()) {
    return Status::Leak("self-check: page " + std::to_string(p) +
                        " of the release cannot be read back");
  }
  const std::string where = "page " + std::to_string(p) + " of the release";
  const PageText separated = EveryWordSeparated(*text);
  Status s = CheckRules(text->text, c.matcher, where, c.kept, found);
  if (s.ok() && separated.text != text->text) {
    s = CheckRules(separated.text, c.matcher, where + " (every word on its own)", c.kept, found);
  }
  const PageText cells = CellReading(*text);
  if (s.ok() && !cells.text.empty()) {
    s = CheckRules(cells.text, c.matcher, where + " (tables read cell by cell)", c.kept, found);
  }
  if (s.ok()) s = CheckWords(*text, c.technical, where, found);
  if (!s.ok()) found->page = p;
  if (s.ok()) *texts = std::move(text->text) + "\n" + separated.text + "\n" + cells.text;
  return s;
}

// The release PDF: every page (in contiguous ranges, one reader per thread: Poppler objects
// are not shared), every decoded object (qpdf, beside them), and its metadata.
Status CheckReleasePdf(const std::string& path, int threads, const Checks& c,
                       SelfCheckFinding* found) {
  auto doc = PdfDocument::Open(path);
  if (!doc.ok()) {
    return Status::Leak("self-check: the release PDF cannot be read back: " +
                        doc.status().message());
  }
  const int pages = (*doc)->page_count();
  threads = std::max(1, std::min(threads, pages));
  std::vector<std::string> texts(size_t(pages) + 1);
  std::vector<Status> results(static_cast<size_t>(threads));
  std::vector<SelfCheckFinding> founds(static_cast<size_t>(threads));
  auto read_range = [&](int t, PdfDocument* reader) {
    const int first = 1 + int(int64_t(pages) * t / threads);
    const int last = int(int64_t(pages) * (t + 1) / threads);
    std::unique_ptr<PdfDocument> own;
    if (!reader) {
      auto opened = PdfDocument::Open(path);
      if (!opened.ok()) {
        results[size_t(t)] = Status::Leak("self-check: the release PDF cannot be read back");
        return;
      }
      own = std::move(*opened);
      reader = own.get();
    }
    for (int p = first; p <= last && results[size_t(t)].ok(); ++p) {
      results[size_t(t)] = CheckReleasePage(reader, p, c, &texts[size_t(p)], &founds[size_t(t)]);
    }
  };
  std::optional<Result<std::string>> content;
  std::vector<std::thread> pool;
  pool.emplace_back([&] { content.emplace(DecodedPdfContent(path)); });
  for (int t = 1; t < threads; ++t) pool.emplace_back(read_range, t, nullptr);
  read_range(0, doc->get());
  for (std::thread& th : pool) th.join();
  for (size_t t = 0; t < results.size(); ++t) {
    if (!results[t].ok()) {
      *found = std::move(founds[t]);
      return results[t];
    }
  }
  auto structure = (*doc)->StructureTexts();
  if (!structure.ok()) {
    return Status::Leak("self-check: the release's structure tree cannot be read back: " +
                        structure.status().message());
  }
  if (Status s = CheckStructureTexts(*structure, texts, found); !s.ok()) return s;
  std::string all_text;
  for (int p = 1; p <= pages; ++p) all_text += texts[size_t(p)] + "\n";
  Status s = CheckLiterals(all_text, *c.redacted, "the release's text layer", found);
  if (!s.ok()) return s;
  for (const auto& [key, value] : (*doc)->InfoEntries()) {
    if (key != "Producer" && !value.empty()) {
      return Status::Leak("self-check: the release has metadata (" + key + ")");
    }
  }
  if (!content->ok()) return Status::Leak("self-check: " + content->status().message());
  return CheckLiterals(**content, *c.redacted, "the release PDF's objects", found);
}

// A released text file (a .txt release or a PDF's sidecar), and anything still encoded in it
// (base64, quoted-printable, uuencode) read for what it says.
Status CheckReleasedText(const std::string& path, const Checks& c, SelfCheckFinding* found) {
  auto file = ReadFile(path);
  if (!file.ok()) return Status::Leak("self-check: cannot read back " + path);
  // Read as detection read the draft: invisible characters out, look-alikes as Latin letters.
  const std::string text = NormalizeText(*file).text;
  Status s = CheckRules(text, c.matcher, "the released text", c.kept, found);
  if (s.ok()) s = CheckLiterals(text, *c.redacted, "the released text", found);
  if (s.ok()) s = CheckMarkersAtWordEdges(text, "the released text");
  if (!s.ok()) return s;
  auto content = DecodedContent(*file);
  if (!content.ok()) {
    return Status::Leak(
        "self-check: the released text holds encoded words that cannot be "
        "decoded (" +
        content.status().message() + ")");
  }
  const std::string decoded = NormalizeText(*content).text;
  if (decoded.empty()) return Status::Ok();
  s = CheckRules(decoded, c.matcher, "encoded content of the released text", c.kept, found);
  if (s.ok()) {
    s = CheckLiterals(decoded, *c.redacted, "encoded content of the released text", found);
  }
  return s;
}

}  // namespace

Status VerifyRelease(const VerifyRequest& request, const RuleMatcher& matcher,
                     SelfCheckFinding* found) {
  SelfCheckFinding ignored;
  if (found == nullptr) found = &ignored;
  Checks c{matcher, {}, std::nullopt, {}};
  for (const std::string& k : request.kept) c.kept.whole.insert(NormalizeForMatch(k));
  for (const std::string& k : request.kept_around) c.kept.around.push_back(NormalizeForMatch(k));
  std::vector<std::string> redacted_texts;
  for (const std::string& r : request.redacted) {
    if (!c.kept.whole.count(NormalizeForMatch(r))) redacted_texts.push_back(r);
  }
  auto redacted = LiteralFinder::Compile(redacted_texts);
  if (!redacted.ok()) return redacted.status();
  c.redacted = std::move(*redacted);
  c.technical = TechnicalStrings(redacted_texts);
  if (!request.pdf_path.empty()) {
    if (Status s = CheckReleasePdf(request.pdf_path, request.threads, c, found); !s.ok()) {
      return s;
    }
  }
  for (const std::string& path : request.text_paths) {
    if (Status s = CheckReleasedText(path, c, found); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace redact
