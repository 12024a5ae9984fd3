#include "pipeline/report/report.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "pipeline/audit/audit_log.h"
#include "pipeline/core/files.h"
#include "pipeline/core/tar.h"
#include "pipeline/core/text.h"
#include "pipeline/extract/document_reader.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/image/leptonica.h"
#include "pipeline/ingest/ingest.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// An array field of a record, by reference (json::value would copy it); empty if absent.
const json& Items(const json& j, const char* key) {
  static const json kNone = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kNone;
}

// Text for HTML: the characters that mean something there escaped, and bytes that are not
// UTF-8 (a file name's, say) shown as U+FFFD, as the audit log writes them.
std::string Esc(const std::string& raw) {
  std::string repaired;
  if (!IsValidUtf8(raw)) repaired = ValidUtf8(raw);
  const std::string& s = repaired.empty() ? raw : repaired;
  if (s.find_first_of("&<>\"") == std::string::npos) return s;
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Appended to `out` in one pass into room made for it (a page view is tens of kilobytes).
void AppendBase64(const std::string& in, std::string* out) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t start = out->size();
  out->resize(start + (in.size() + 2) / 3 * 4);
  char* o = out->data() + start;
  const auto* b = reinterpret_cast<const uint8_t*>(in.data());
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (unsigned(b[i]) << 16) | (unsigned(b[i + 1]) << 8) | unsigned(b[i + 2]);
    *o++ = k[v >> 18];
    *o++ = k[(v >> 12) & 63];
    *o++ = k[(v >> 6) & 63];
    *o++ = k[v & 63];
  }
  if (i < in.size()) {
    const unsigned v = (unsigned(b[i]) << 16) | (i + 1 < in.size() ? unsigned(b[i + 1]) << 8 : 0u);
    *o++ = k[v >> 18];
    *o++ = k[(v >> 12) & 63];
    *o++ = i + 1 < in.size() ? k[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
}

// The image (or why there is none) appended to `h`: a page view is copied once, as base64.
void AppendImg(const Result<std::string>& png, const std::string& alt, std::string* h) {
  if (!png.ok()) {
    *h += "<div class=nothumb>" + Esc(alt) + ": no thumbnail</div>";
    return;
  }
  *h += "<img alt=\"" + Esc(alt) + "\" src=\"data:image/png;base64,";
  AppendBase64(png.value(), h);
  *h += "\">";
}

// The original and the release of one document, opened once for all its thumbnails.
struct ThumbnailSources {
  std::unique_ptr<DocumentReader> original;
  std::unique_ptr<PdfDocument> release;
  std::string made_path;  // where the batch left the archive of this release's page views
  std::string made;       // the archive, once read
  bool made_read = false;

  // The page view the batch made, if it is there.
  std::optional<std::string> Made(int page, const char* which) {
    if (!made_read && !made_path.empty()) {
      auto bytes = ReadFile(made_path, size_t(1) << 30);
      if (bytes.ok()) made = std::move(*bytes);
    }
    made_read = true;
    auto png = TarMember(made, std::to_string(page) + "-" + which + ".png");
    if (!png) return std::nullopt;
    return std::string(*png);
  }

  ThumbnailSources(const json& doc, const ReportOptions& o) {
    for (const json& out : Items(doc, "outputs")) {
      const std::string path = out.value("path", ""), sha = out.value("sha256", "");
      if (!o.out_root.empty() && path.size() > 4 && path.compare(path.size() - 4, 4, ".pdf") == 0 &&
          sha.size() == 64 && sha.find_first_not_of("0123456789abcdef") == std::string::npos) {
        made_path = (fs::path(o.out_root) / "audit" / "pages" / (sha + ".tar")).string();
      }
    }
  }
  // Opened only when a view must be rendered here.
  void Open(const json& doc, const ReportOptions& o) {
    if (original || release) return;
    auto src = IngestFile(doc.value("input_path", ""), doc.value("input", ""));
    if (src.ok()) {
      auto reader = DocumentReader::Open(*src, ReaderOptions());
      if (reader.ok()) original = std::move(*reader);
    }
    for (const json& out : Items(doc, "outputs")) {
      std::string path = out.value("path", "");
      if (o.out_root.empty() || path.size() < 4 || path.compare(path.size() - 4, 4, ".pdf") != 0) {
        continue;
      }
      auto pdf = PdfDocument::Open((fs::path(o.out_root) / path).string());
      if (pdf.ok()) release = std::move(*pdf);
    }
  }
};

// Thumbnails of the original page (findings outlined and numbered) and of the release page,
// appended to `html`.
void PageThumbnails(const json& doc, ThumbnailSources* sources, int page,
                    const std::vector<std::pair<int, const json*>>& numbered,
                    const ReportOptions& o, std::string* html) {
  *html += "<div class=pages><figure>";
  const double dpi = 72;  // a page about 600 pixels wide: its text readable
  Result<std::string> original = Status::InvalidInput("not available");
  std::optional<std::string> made_original = sources->Made(page, "original");
  std::optional<std::string> made_release = sources->Made(page, "release");
  if (!made_original || !made_release) sources->Open(doc, o);
  if (made_original) {
    original = std::move(*made_original);
  } else if (sources->original) {
    PageInfo info;
    for (const json& p : Items(doc, "page_info")) {
      if (p.value("page", 0) != page) continue;
      info.turns = p.value("rotation", 0) / 90;
      info.skew = p.value("skew", 0.0);
    }
    info.dpi = dpi;
    auto raster = sources->original->ReleaseRaster(page, info);
    if (raster.ok()) {
      const double s = raster->dpi / 72.0;
      std::vector<Outline> outlines;
      for (const auto& [n, f] : numbered) {
        for (const json& b : Items(*f, "boxes")) {
          outlines.push_back({int(b[0].get<double>() * s), int(b[1].get<double>() * s),
                              int(b[2].get<double>() * s), int(b[3].get<double>() * s),
                              std::to_string(n)});
        }
      }
      original = ThumbnailPng(*raster, o.thumbnail_width, outlines);
    }
  }
  AppendImg(original, "original page " + std::to_string(page), html);
  *html += "<figcaption>original, page " + std::to_string(page) + "</figcaption></figure><figure>";
  Result<std::string> release = Status::InvalidInput("not available");
  if (made_release) {
    release = std::move(*made_release);
  } else if (sources->release && page <= sources->release->page_count()) {
    auto raster = sources->release->RenderPage(page, dpi);
    if (raster.ok()) release = ThumbnailPng(*raster, o.thumbnail_width, {});
  }
  AppendImg(release, "release page " + std::to_string(page), html);
  *html += "<figcaption>release, page " + std::to_string(page) + "</figcaption></figure></div>";
}

const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.num{text-align:right}mark{background:#222;color:#fff;padding:0 2px}.flag mark{background:#f5c400;color:#000}
details{border:1px solid #ddd;border-radius:4px;margin:6px 0;padding:4px 8px}summary{cursor:pointer;font-weight:600}
.pages{display:flex;gap:12px;flex-wrap:wrap}figure{margin:4px}figcaption{font-size:12px;color:#666}
img{border:1px solid #999}.bad{color:#a00}.nothumb{width:160px;height:60px;border:1px dashed #aaa;font-size:12px;padding:4px}
.fp{font-family:monospace;font-size:12px}.next{background:#eef6ff;border:1px solid #9bd;padding:6px 10px}
)";

}  // namespace

namespace {

// The last record of each document, in the order documents first appear (a re-run after
// decisions replaces the first). A document is its release: the daemon's second file named
// response.pdf, released as response.2.pdf, is a document of its own.
struct LatestDocuments {
  std::map<std::string, const json*> by_input;  // by key; into the records, which outlive it
  std::vector<std::string> order;
};

std::string DocumentKey(const json& r) {
  const std::string name = r.value("release_name", "");
  return name.empty() ? "input:" + r.value("input", "") : name;
}

LatestDocuments Latest(const std::vector<json>& records) {
  LatestDocuments docs;
  for (const json& r : records) {
    if (r.value("event", "") != "document") continue;
    const std::string key = DocumentKey(r);
    if (!docs.by_input.count(key)) docs.order.push_back(key);
    docs.by_input[key] = &r;
  }
  return docs;
}

// How the report names a document: its input path, and the release's name when the daemon
// numbered it apart from another file of that name.
std::string DocumentName(const json& d) {
  const std::string input = d.value("input", ""), release = d.value("release_name", "");
  const auto stem = [](const std::string& p) { return fs::path(p).replace_extension().string(); };
  if (release.empty() || stem(release) == stem(input)) return input;
  return input + " \u2192 " + release;
}

// The published release (a link from the report to it), or empty.
std::string ReleaseLink(const json& d, const ReportOptions& o) {
  if (d.value("status", "") != "released" || o.release_base.empty()) return {};
  for (const json& out : Items(d, "outputs")) {
    const std::string path = out.value("path", "");
    if (path.rfind("release/", 0) != 0) continue;
    std::string href = o.release_base;
    for (const auto& part : fs::path(path)) {
      std::string piece;
      for (unsigned char c : part.string()) {
        if (std::isalnum(c) || std::strchr("-._~", c)) {
          piece += char(c);
        } else {
          char hex[4];
          std::snprintf(hex, sizeof hex, "%%%02X", c);
          piece += hex;
        }
      }
      href += "/" + piece;
    }
    return "<a class=release href=\"" + Esc(href) + "\">" + Esc(path) + "</a>";
  }
  return {};
}

// A processed document: released, or held for a reviewer (its would-be release in review/).
bool Processed(const json& d) {
  const std::string status = d.value("status", "");
  return status == "released" || status == "review";
}

std::string Cell(size_t n) { return "<td class=num>" + std::to_string(n) + "</td>"; }

// The run in numbers, and the redactions by exemption and by rule.
std::string Totals(const LatestDocuments& docs) {
  size_t pages = 0, released = 0, waiting = 0, failed = 0, redactions = 0, open_flags = 0;
  std::map<std::string, size_t> per_exemption, per_rule;
  for (const std::string& k : docs.order) {
    const json& d = *docs.by_input.at(k);
    pages += d.value("pages", 0);
    if (!Processed(d)) {
      ++failed;
      continue;
    }
    ++(d.value("status", "") == "review" ? waiting : released);
    for (const json& f : Items(d, "findings")) {
      if (f.value("action", "") == "redact") {
        ++redactions;
        ++per_exemption[f.value("exemption", "")];
        ++per_rule[f.value("rule", "")];
      } else if (f.value("action", "") == "flag" && !f.contains("decision")) {
        ++open_flags;  // notes are shown, never waited for
      }
    }
  }
  std::string h =
      "<table><tr><th>documents</th><th>released</th><th>waiting for a decision</th>"
      "<th>not released</th><th>pages</th><th>redactions</th><th>flags awaiting a decision</th>"
      "</tr><tr>" +
      Cell(docs.order.size()) + Cell(released) + Cell(waiting) + Cell(failed) + Cell(pages) +
      Cell(redactions) + Cell(open_flags) + "</tr></table>";
  h += "<h2>Redactions by exemption</h2><table><tr><th>exemption</th><th>count</th></tr>";
  for (const auto& [e, n] : per_exemption) h += "<tr><td>" + Esc(e) + "</td>" + Cell(n) + "</tr>";
  h += "</table><h2>Redactions by rule</h2><table><tr><th>rule</th><th>count</th></tr>";
  for (const auto& [r, n] : per_rule) h += "<tr><td>" + Esc(r) + "</td>" + Cell(n) + "</tr>";
  return h + "</table>";
}

// Documents not released: quarantined, or stopped by the machine (a full disk).
std::string NotReleased(const LatestDocuments& docs) {
  std::string rows;
  for (const std::string& k : docs.order) {
    const json& d = *docs.by_input.at(k);
    if (Processed(d)) continue;
    rows += "<tr><td>" + Esc(DocumentName(d)) + "</td><td>" + Esc(d.value("status", "")) +
            "</td><td>" + Esc(d.value("stage", "")) + "</td><td class=bad>" +
            Esc(d.value("error", "")) + "</td><td>" + Esc(d.value("hint", "")) + "</td></tr>";
  }
  if (rows.empty()) return {};
  return "<h2>Not released</h2><table><tr><th>document</th><th>status</th><th>stage</th>"
         "<th>why</th><th>what to do</th></tr>" +
         rows + "</table>";
}

// One line saying what the reviewer does next.
std::string NextStep(const LatestDocuments& docs) {
  size_t waiting = 0, failed = 0;
  for (const std::string& k : docs.order) {
    const json& d = *docs.by_input.at(k);
    if (!Processed(d)) ++failed;
    if (d.value("status", "") == "review") ++waiting;
  }
  std::string h = "<p class=next><b>Next:</b> ";
  if (waiting) {
    h += std::to_string(waiting) +
         " document(s) wait for a decision on their flags: decide them in <code>redact review "
         "OUT</code> (in the browser) or in <code>OUT/audit/decisions.toml</code>, then run "
         "again with <code>--decisions</code>.";
  } else {
    h += "every processed document is in <code>OUT/release/</code>; check the redactions "
         "below, and redact what no rule caught with <code>redact review OUT</code>.";
  }
  if (failed) h += " " + std::to_string(failed) + " could not be released: see below.";
  return h + "</p>";
}

std::string DocumentIndex(const LatestDocuments& docs, const ReportOptions& o) {
  std::string h =
      "<h2>Documents</h2><table><tr><th>document</th><th>status</th><th>pages</th>"
      "<th>redactions</th><th>flags</th><th>release</th><th>sha256</th></tr>";
  for (size_t i = 0; i < docs.order.size(); ++i) {
    const json& d = *docs.by_input.at(docs.order[i]);
    h += "<tr><td><a href=\"#doc" + std::to_string(i) + "\" title=\"" +
         Esc(d.value("input_path", "")) + "\">" + Esc(DocumentName(d)) + "</a></td><td>" +
         Esc(d.value("status", "")) + "</td>" + Cell(d.value("pages", 0)) +
         Cell(d.value("redactions", 0)) + Cell(d.value("flags", 0)) + "<td>" + ReleaseLink(d, o) +
         "</td><td class=fp>" + Esc(d.value("sha256", "").substr(0, 12)) + "</td></tr>";
  }
  return h + "</table>";
}

std::string FindingRow(int num, int page, const json& f) {
  const bool redact = f.value("action", "") == "redact";
  std::string ctx;
  const json& context = Items(f, "context");
  if (context.size() == 2 && context[0].is_string() && context[1].is_string()) {
    ctx = Esc(context[0].get<std::string>()) + "<mark>" + Esc(f.value("text", "")) + "</mark>" +
          Esc(context[1].get<std::string>());
  } else {
    ctx = "<mark>" + Esc(f.value("text", "(not recorded)")) + "</mark>";
  }
  std::string decision = f.value("decision", redact ? "redacted" : "awaiting decision");
  if (f.contains("decided_by")) decision += " by " + f.value("decided_by", "");
  if (f.contains("note")) decision += " (" + f.value("note", "") + ")";
  return std::string("<tr class=") + (redact ? "redact" : "flag") + ">" + Cell(size_t(num)) +
         Cell(size_t(page)) + "<td>" + Esc(f.value("rule", "")) + "</td><td>" +
         Esc(f.value("exemption", "")) + "</td><td>" + ctx + "</td><td>" +
         Esc(f.value("source", "text-layer")) + "</td><td class=num>" +
         (f.contains("confidence") ? std::to_string(int(f.value("confidence", 0.0))) : "") +
         "</td><td class=fp>" + Esc(f.value("fingerprint", "")) + "</td><td>" + Esc(decision) +
         "</td></tr>";
}

// One processed document: its pages with the findings drawn, and every finding numbered in
// document order, appended to `out` (which holds the whole report: its page views are most of
// it, and each is copied once).
void DocumentDetails(const json& d, size_t i, bool open, const ReportOptions& o, std::string* out) {
  std::string& h = *out;
  h += "<details id=\"doc" + std::to_string(i) + "\"" + (open ? " open" : "") + "><summary>" +
       Esc(DocumentName(d)) + " — " + Esc(d.value("status", "")) + ", " +
       std::to_string(d.value("redactions", 0)) + " redactions, " +
       std::to_string(d.value("flags", 0)) + " flags</summary>";
  h += "<p class=fp>" + Esc(d.value("input_path", "")) + " · sha256 " + Esc(d.value("sha256", "")) +
       "</p>";
  if (const std::string link = ReleaseLink(d, o); !link.empty()) {
    h += "<p>Final release: " + link + "</p>";
  }
  if (d.contains("reviewer")) h += "<p>Decided by " + Esc(d.value("reviewer", "")) + "</p>";
  std::map<int, std::vector<std::pair<int, const json*>>> by_page;
  int n = 0;
  for (const json& f : Items(d, "findings")) {
    by_page[f.value("page", 0)].push_back({++n, &f});
  }
  if (o.thumbnails && d.value("kind", "") != "text" && !by_page.empty()) {
    ThumbnailSources sources(d, o);
    int shown = 0;
    for (const auto& [page, fs] : by_page) {
      if (shown++ >= o.max_thumbnail_pages) break;
      PageThumbnails(d, &sources, page, fs, o, &h);
    }
  }
  h += "<table><tr><th>#</th><th>page</th><th>rule</th><th>exemption</th><th>text in context</th>"
       "<th>source</th><th>confidence</th><th>fingerprint</th><th>decision</th></tr>";
  for (const auto& [page, fs] : by_page) {
    for (const auto& [num, f] : fs) h += FindingRow(num, page, *f);
  }
  h += "</table>";
  // What the input held that no reader of it sees: left out of the release, listed here.
  const json& hidden = Items(d, "hidden_content");
  if (!hidden.empty()) {
    h += "<h3>Hidden content (not in the release)</h3><table><tr><th>kind</th><th>page</th>"
         "<th>text</th></tr>";
    for (const json& x : hidden) {
      const std::string text =
          x.contains("text") ? x.value("text", "") : "(hash " + x.value("text_hmac", "") + ")";
      h += "<tr><td>" + Esc(x.value("kind", "")) + "</td><td class=num>" +
           (x.value("page", 0) > 0 ? std::to_string(x.value("page", 0)) : "") + "</td><td>" +
           Esc(text) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "</details>";
}

}  // namespace

std::string BuildReport(const std::vector<json>& records, const ReportOptions& o) {
  const LatestDocuments docs = Latest(records);
  // Room for what the report will hold, most of it page views (two a page shown, tens of
  // kilobytes each as base64): one buffer, not one copy after another as it grows. Room not
  // written to costs nothing.
  size_t room = 64 << 10;
  for (const std::string& k : docs.order) {
    const json& d = *docs.by_input.at(k);
    room += Items(d, "findings").size() * 1024;
    if (o.thumbnails) {
      room += size_t(std::min(d.value("pages", 0), o.max_thumbnail_pages)) * 2 * (64 << 10);
    }
  }
  std::string h;
  h.reserve(room);
  h += "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>redact: review report"
       "</title><style>";
  h += kStyle;
  h += "</style></head><body>";
  h += "<h1>Redaction review report</h1><p>Internal: shows the text that was withheld. "
       "Do not publish.</p>";
  h += NextStep(docs) + Totals(docs) + NotReleased(docs) + DocumentIndex(docs, o);
  for (size_t i = 0; i < docs.order.size(); ++i) {
    const json& d = *docs.by_input.at(docs.order[i]);
    if (Processed(d)) DocumentDetails(d, i, docs.order.size() <= 20, o, &h);
  }
  h += "</body></html>\n";
  return h;
}

Status WriteReport(const std::string& audit_path, const std::string& out_path,
                   const ReportOptions& options) {
  std::vector<json> records;
  ChainCheck check = VerifyAuditChain(audit_path, &records);
  if (!check.intact) return Status::InvalidInput(audit_path + " does not verify: " + check.message);
  return WriteReport(records, out_path, options);
}

Status WriteReport(const std::vector<json>& records, const std::string& out_path,
                   const ReportOptions& options) {
  ReportOptions o = options;
  // Links to the releases, relative to where the report is written (OUT/audit/: "..").
  if (o.release_base.empty() && !o.out_root.empty()) {
    std::error_code ec;
    const fs::path from = fs::absolute(fs::path(out_path), ec).parent_path();
    o.release_base = fs::absolute(o.out_root, ec)
                         .lexically_normal()
                         .lexically_relative(from.lexically_normal())
                         .string();
    if (o.release_base.empty()) o.release_base = ".";
  }
  // Not synced: a report lost in a crash is made again from the log (redact report).
  return WriteFileAtomicUnsynced(out_path, BuildReport(records, o));
}

}  // namespace redact
