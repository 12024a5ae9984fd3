#include "pipeline/report/report.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>

#include "pipeline/audit/audit_log.h"
#include "pipeline/core/files.h"
#include "pipeline/extract/document_reader.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/image/leptonica.h"
#include "pipeline/ingest/ingest.h"

namespace redact {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string Esc(const std::string& s) {
  std::string out;
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

std::string Base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned(uint8_t(in[i])) << 16) | (unsigned(uint8_t(in[i + 1])) << 8) |
                 unsigned(uint8_t(in[i + 2]));
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = unsigned(uint8_t(in[i])) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned(uint8_t(in[i])) << 16) | (unsigned(uint8_t(in[i + 1])) << 8);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string Img(const Result<std::string>& png, const std::string& alt) {
  if (!png.ok()) return "<div class=nothumb>" + Esc(alt) + ": no thumbnail</div>";
  return "<img alt=\"" + Esc(alt) + "\" src=\"data:image/png;base64," + Base64(png.value()) + "\">";
}

// The original and the release of one document, opened once for all its thumbnails.
struct ThumbnailSources {
  std::unique_ptr<DocumentReader> original;
  std::unique_ptr<PdfDocument> release;

  ThumbnailSources(const json& doc, const ReportOptions& o) {
    auto src = IngestFile(doc.value("input_path", ""), doc.value("input", ""));
    if (src.ok()) {
      auto reader = DocumentReader::Open(*src, ReaderOptions());
      if (reader.ok()) original = std::move(*reader);
    }
    for (const json& out : doc.value("outputs", json::array())) {
      std::string path = out.value("path", "");
      if (o.out_root.empty() || path.size() < 4 || path.compare(path.size() - 4, 4, ".pdf") != 0) {
        continue;
      }
      auto pdf = PdfDocument::Open((fs::path(o.out_root) / path).string());
      if (pdf.ok()) release = std::move(*pdf);
    }
  }
};

// Thumbnails of the original page (findings outlined and numbered) and of the release page.
std::string PageThumbnails(const json& doc, ThumbnailSources* sources, int page,
                           const std::vector<std::pair<int, json>>& numbered,
                           const ReportOptions& o) {
  std::string html = "<div class=pages><figure>";
  const double dpi = 36;
  Result<std::string> original = Status::InvalidInput("not available");
  if (sources->original) {
    PageInfo info;
    for (const json& p : doc.value("page_info", json::array())) {
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
        for (const json& b : f["boxes"]) {
          outlines.push_back({int(b[0].get<double>() * s), int(b[1].get<double>() * s),
                              int(b[2].get<double>() * s), int(b[3].get<double>() * s),
                              std::to_string(n)});
        }
      }
      original = ThumbnailPng(*raster, o.thumbnail_width, outlines);
    }
  }
  html += Img(original, "original page " + std::to_string(page)) + "<figcaption>original, page " +
          std::to_string(page) + "</figcaption></figure><figure>";
  Result<std::string> release = Status::InvalidInput("not available");
  if (sources->release && page <= sources->release->page_count()) {
    auto raster = sources->release->RenderPage(page, dpi);
    if (raster.ok()) release = ThumbnailPng(*raster, o.thumbnail_width, {});
  }
  html += Img(release, "release page " + std::to_string(page)) + "<figcaption>release, page " +
          std::to_string(page) + "</figcaption></figure></div>";
  return html;
}

const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f3f3f3}
.num{text-align:right}mark{background:#222;color:#fff;padding:0 2px}.flag mark{background:#f5c400;color:#000}
details{border:1px solid #ddd;border-radius:4px;margin:6px 0;padding:4px 8px}summary{cursor:pointer;font-weight:600}
.pages{display:flex;gap:12px;flex-wrap:wrap}figure{margin:4px}figcaption{font-size:12px;color:#666}
img{border:1px solid #999}.bad{color:#a00}.nothumb{width:160px;height:60px;border:1px dashed #aaa;font-size:12px;padding:4px}
.fp{font-family:monospace;font-size:12px}
)";

}  // namespace

std::string BuildReport(const std::vector<json>& records, const ReportOptions& o) {
  // The last record of each document wins (a re-run after decisions replaces the first).
  std::map<std::string, json> docs;
  std::vector<std::string> order;
  for (const json& r : records) {
    if (r.value("event", "") != "document") continue;
    std::string key = r.value("input", "");
    if (!docs.count(key)) order.push_back(key);
    docs[key] = r;
  }
  size_t pages = 0, released = 0, redactions = 0, open_flags = 0;
  std::map<std::string, size_t> per_exemption, per_rule;
  std::vector<const json*> quarantined;
  for (const std::string& k : order) {
    const json& d = docs[k];
    pages += d.value("pages", 0);
    if (d.value("status", "") != "released") {
      quarantined.push_back(&d);
      continue;
    }
    ++released;
    for (const json& f : d["findings"]) {
      if (f["action"] == "redact") {
        ++redactions;
        ++per_exemption[f["exemption"]];
        ++per_rule[f["rule"]];
      } else if (!f.contains("decision")) {
        ++open_flags;
      }
    }
  }
  std::string h =
      "<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>redact: review report"
      "</title><style>" +
      std::string(kStyle) + "</style></head><body>";
  h += "<h1>Redaction review report</h1><p>Internal: shows the text that was withheld. "
       "Do not publish.</p>";
  h += "<table><tr><th>documents</th><th>released</th><th>quarantined</th><th>pages</th>"
       "<th>redactions</th><th>flags awaiting a decision</th></tr><tr><td class=num>" +
       std::to_string(order.size()) + "</td><td class=num>" + std::to_string(released) +
       "</td><td class=num>" + std::to_string(quarantined.size()) + "</td><td class=num>" +
       std::to_string(pages) + "</td><td class=num>" + std::to_string(redactions) +
       "</td><td class=num>" + std::to_string(open_flags) + "</td></tr></table>";
  h += "<h2>Redactions by exemption</h2><table><tr><th>exemption</th><th>count</th></tr>";
  for (const auto& [e, n] : per_exemption) {
    h += "<tr><td>" + Esc(e) + "</td><td class=num>" + std::to_string(n) + "</td></tr>";
  }
  h += "</table><h2>Redactions by rule</h2><table><tr><th>rule</th><th>count</th></tr>";
  for (const auto& [r, n] : per_rule) {
    h += "<tr><td>" + Esc(r) + "</td><td class=num>" + std::to_string(n) + "</td></tr>";
  }
  h += "</table>";
  if (!quarantined.empty()) {
    h += "<h2>Quarantined</h2><table><tr><th>document</th><th>stage</th><th>why</th><th>what to "
         "do</th></tr>";
    for (const json* d : quarantined) {
      h += "<tr><td>" + Esc(d->value("input", "")) + "</td><td>" + Esc(d->value("stage", "")) +
           "</td><td class=bad>" + Esc(d->value("error", "")) + "</td><td>" +
           Esc(d->value("hint", "")) + "</td></tr>";
    }
    h += "</table>";
  }
  h += "<h2>Documents</h2><table><tr><th>document</th><th>pages</th><th>redactions</th><th>flags</"
       "th></tr>";
  for (size_t i = 0; i < order.size(); ++i) {
    const json& d = docs[order[i]];
    h += "<tr><td><a href=\"#doc" + std::to_string(i) + "\">" + Esc(order[i]) +
         "</a></td><td class=num>" + std::to_string(d.value("pages", 0)) + "</td><td class=num>" +
         std::to_string(d.value("redactions", 0)) + "</td><td class=num>" +
         std::to_string(d.value("flags", 0)) + "</td></tr>";
  }
  h += "</table>";
  for (size_t i = 0; i < order.size(); ++i) {
    const json& d = docs[order[i]];
    if (d.value("status", "") != "released") continue;
    h += "<details id=\"doc" + std::to_string(i) + "\"" + (order.size() <= 20 ? " open" : "") +
         "><summary>" + Esc(order[i]) + " — " + std::to_string(d.value("redactions", 0)) +
         " redactions, " + std::to_string(d.value("flags", 0)) + " flags</summary>";
    h += "<p class=fp>sha256 " + Esc(d.value("sha256", "")) + "</p>";
    // Findings numbered in document order; thumbnails for pages that have any.
    std::map<int, std::vector<std::pair<int, json>>> by_page;
    int n = 0;
    for (const json& f : d["findings"]) by_page[f.value("page", 0)].push_back({++n, f});
    int shown = 0;
    if (o.thumbnails && d.value("kind", "") != "text" && !by_page.empty()) {
      ThumbnailSources sources(d, o);
      for (const auto& [page, fs] : by_page) {
        if (shown++ >= o.max_thumbnail_pages) break;
        h += PageThumbnails(d, &sources, page, fs, o);
      }
    }
    h += "<table><tr><th>#</th><th>page</th><th>rule</th><th>exemption</th><th>text in context</th>"
         "<th>source</th><th>confidence</th><th>fingerprint</th><th>decision</th></tr>";
    for (const auto& [page, fs] : by_page) {
      for (const auto& [num, f] : fs) {
        const bool redact = f["action"] == "redact";
        std::string ctx;
        if (f.contains("context")) {
          ctx = Esc(f["context"][0].get<std::string>()) + "<mark>" + Esc(f.value("text", "")) +
                "</mark>" + Esc(f["context"][1].get<std::string>());
        } else {
          ctx = "<mark>" + Esc(f.value("text", "(not recorded)")) + "</mark>";
        }
        std::string decision = f.value("decision", redact ? "redacted" : "awaiting decision");
        h += std::string("<tr class=") + (redact ? "redact" : "flag") + "><td class=num>" +
             std::to_string(num) + "</td><td class=num>" + std::to_string(page) + "</td><td>" +
             Esc(f.value("rule", "")) + "</td><td>" + Esc(f.value("exemption", "")) + "</td><td>" +
             ctx + "</td><td>" + Esc(f.value("source", "text-layer")) + "</td><td class=num>" +
             (f.contains("confidence") ? std::to_string(int(f["confidence"].get<double>())) : "") +
             "</td><td class=fp>" + Esc(f.value("fingerprint", "")) + "</td><td>" + Esc(decision) +
             "</td></tr>";
      }
    }
    h += "</table></details>";
  }
  h += "</body></html>\n";
  return h;
}

Status WriteReport(const std::string& audit_path, const std::string& out_path,
                   const ReportOptions& options) {
  ChainCheck check = VerifyAuditChain(audit_path);
  if (!check.intact) return Status::InvalidInput(audit_path + " does not verify: " + check.message);
  std::vector<json> records;
  std::ifstream in(audit_path, std::ios::binary);
  for (std::string line; std::getline(in, line);) records.push_back(json::parse(line));
  return WriteFileAtomic(out_path, BuildReport(records, options));
}

}  // namespace redact
