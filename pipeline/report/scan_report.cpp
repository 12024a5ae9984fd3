#include "pipeline/report/scan_report.h"

#include <cmath>
#include <map>

#include "pipeline/core/build_info.h"
#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"

namespace redact {
using nlohmann::json;

namespace {

// Which alert a finding is, run after run, without its text: its rule, its file and which

// finding of that rule in the file it is. SARIF's partialFingerprints and --baseline use it.

// The alerts of an earlier `redact scan --format json` or `--format sarif` report.

const char* ActionWord(Action a) {
  return a == Action::kRedact ? "redact" : a == Action::kFlag ? "flag" : "note";
}

json BoxesJson(const std::vector<Box>& boxes) {
  json out = json::array();
  for (const Box& b : boxes) {
    out.push_back({std::round(b.x0 * 100) / 100, std::round(b.y0 * 100) / 100,
                   std::round(b.x1 * 100) / 100, std::round(b.y1 * 100) / 100});
  }
  return out;
}

std::string OneLine(std::string text) {
  for (char& ch : text) {
    if (ch == '\n') ch = ' ';
  }
  return text;
}

// SARIF 2.1.0 (OASIS): one run, the rules that fired as the driver's rules, a result per

// finding. A page has no place in SARIF's region: its number is the region's line (a text

// file's own line for text), and the page and boxes are the result's properties.

// A path as a relative URI reference: unreserved characters and '/' as they are, the rest

// percent-encoded (a space, '#', '%', non-ASCII bytes).

std::string UriOf(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : path) {
    if (std::isalnum(ch) || ch == '/' || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
      out += char(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

}  // namespace

std::string ScanFingerprint(const std::string& rule, const std::string& path, int occurrence) {
  return Sha256Hex(rule + '\0' + path + '\0' + std::to_string(occurrence)).substr(0, 32);
}

Result<std::set<std::string>> BaselineFingerprints(const std::string& path) {
  auto bytes = ReadFile(path, size_t(256) << 20);
  if (!bytes.ok()) return bytes.status();
  const json j = json::parse(*bytes, nullptr, false);
  std::set<std::string> known;
  if (j.is_object() && j.contains("runs")) {
    for (const json& run : j["runs"]) {
      for (const json& r : run.value("results", json::array())) {
        const json fp = r.value("partialFingerprints", json::object());
        if (fp.contains("redactFinding/v1"))
          known.insert(fp["redactFinding/v1"].get<std::string>());
      }
    }
  } else if (j.is_object() && j.contains("files")) {
    for (const json& f : j["files"]) {
      for (const json& x : f.value("findings", json::array())) {
        if (x.contains("fingerprint")) known.insert(x["fingerprint"].get<std::string>());
      }
    }
  } else {
    return Status::InvalidInput(path + " is not a report of redact scan --format json or sarif");
  }
  return known;
}

std::string ScanText(const std::vector<ScanFile>& files) {
  std::string out;
  for (const ScanFile& f : files) {
    if (!f.error.empty()) {
      out += f.path + ": error: " + f.error + "\n";
      continue;
    }
    for (const ScanHit& h : f.hits) {
      std::string word = ActionWord(h.finding.action);
      word.resize(6, ' ');
      out += f.path + ":" + std::to_string(h.finding.page) + ": " + word + " " +
             h.finding.exemption + " " + h.finding.rule_id + " \"" + OneLine(h.finding.text) +
             "\"\n";
    }
  }
  return out;
}

json ScanJson(const std::vector<ScanFile>& files) {
  json out = json::array();
  size_t findings = 0, redactions = 0, errors = 0;
  for (const ScanFile& f : files) {
    json hits = json::array();
    for (const ScanHit& h : f.hits) {
      const Finding& x = h.finding;
      json j = {{"page", x.page},
                {"action", ActionWord(x.action)},
                {"rule", x.rule_id},
                {"exemption", x.exemption},
                {"text", OneLine(x.text)},
                {"boxes", BoxesJson(x.boxes)},
                {"source", x.source == TextSource::kOcr ? "ocr" : "text-layer"},
                {"fingerprint", h.fingerprint}};
      if (h.line > 0) j["line"] = h.line;
      if (x.source == TextSource::kOcr) j["confidence"] = std::round(x.confidence * 10) / 10;
      hits.push_back(std::move(j));
      ++findings;
      redactions += x.action == Action::kRedact;
    }
    json file = {{"path", f.path}, {"status", f.error.empty() ? "read" : "error"}};
    if (!f.error.empty()) {
      file["error"] = f.error;
      ++errors;
    }
    file["findings"] = std::move(hits);
    out.push_back(std::move(file));
  }
  return {{"tool", "redact"},
          {"version", kVersion},
          {"files", out},
          {"summary",
           {{"files", files.size()},
            {"findings", findings},
            {"redactions", redactions},
            {"errors", errors}}}};
}

json ScanSarif(const std::vector<ScanFile>& files, const std::vector<Rule>& rules, bool show_text) {
  json driver_rules = json::array();
  std::map<std::string, size_t> index;
  auto rule_index = [&](const std::string& id) {
    auto it = index.find(id);
    if (it != index.end()) return it->second;
    json r = {{"id", id}};
    for (const Rule& rule : rules) {
      if (rule.id != id) continue;
      r["shortDescription"] = {{"text", rule.description.empty() ? id : rule.description}};
      r["properties"] = {{"exemption", rule.exemption}};
    }
    driver_rules.push_back(std::move(r));
    return index[id] = driver_rules.size() - 1;
  };
  json results = json::array(), notifications = json::array();
  for (const ScanFile& f : files) {
    const json artifact = {{"uri", UriOf(f.path)}};
    if (!f.error.empty()) {
      notifications.push_back(
          {{"level", "error"},
           {"message", {{"text", f.path + ": " + f.error}}},
           {"locations", {{{"physicalLocation", {{"artifactLocation", artifact}}}}}}});
      continue;
    }
    for (const ScanHit& h : f.hits) {
      const Finding& x = h.finding;
      const std::string where = f.text ? "" : " on page " + std::to_string(x.page);
      const std::string what = show_text ? ": \"" + OneLine(x.text) + "\"" : "";
      json result = {
          {"ruleId", x.rule_id},
          {"ruleIndex", rule_index(x.rule_id)},
          {"level", x.action == Action::kRedact ? "error"
                    : x.action == Action::kFlag ? "warning"
                                                : "note"},
          {"message",
           {{"text", std::string(x.action == Action::kRedact ? "Would be redacted"
                                 : x.action == Action::kFlag ? "Flagged for a reviewer"
                                                             : "Noted") +
                         " under " + x.exemption + where + what}}},
          {"locations",
           {{{"physicalLocation",
              {{"artifactLocation", artifact},
               {"region", {{"startLine", h.line > 0 ? h.line : std::max(1, x.page)}}}}}}}},
          {"partialFingerprints", {{"redactFinding/v1", h.fingerprint}}},
          {"properties",
           {{"page", x.page}, {"boxes", BoxesJson(x.boxes)}, {"exemption", x.exemption}}}};
      if (show_text) {
        result["locations"][0]["physicalLocation"]["region"]["snippet"] = {
            {"text", OneLine(x.text)}};
      }
      results.push_back(std::move(result));
    }
  }
  json run = {{"tool",
               {{"driver",
                 {{"name", "redact"},
                  {"version", kVersion},
                  {"semanticVersion", kVersion},
                  {"rules", driver_rules}}}}},
              {"results", results}};
  if (!notifications.empty()) {
    run["invocations"] = {
        {{"executionSuccessful", false}, {"toolExecutionNotifications", notifications}}};
  } else {
    run["invocations"] = {{{"executionSuccessful", true}}};
  }
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", {run}}};
}

}  // namespace redact
