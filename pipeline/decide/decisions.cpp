#include "pipeline/decide/decisions.h"

#include <nlohmann/json.hpp>

#include "pipeline/core/files.h"
#include "pipeline/core/text.h"
#include "pipeline/core/toml_file.h"
#include "pipeline/detect/detect.h"

namespace redact {
namespace {

// A TOML basic string: JSON's escaping is valid TOML.
std::string Quoted(const std::string& s) {
  std::string out =
      nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  // JSON leaves DEL as it is; TOML refuses it unescaped (and with it the whole file).
  for (size_t at; (at = out.find('\x7f')) != std::string::npos;) out.replace(at, 1, "\\u007F");
  return out;
}

std::string Str(const toml::table& t, const char* key) { return t[key].value_or<std::string>(""); }

std::string Where(const std::string& path, const char* table, size_t index) {
  return path + ": " + table + " " + std::to_string(index);
}

bool ValidDecision(const std::string& d) { return d.empty() || d == "redact" || d == "keep"; }

DocumentScope ScopeOf(const toml::table& t) { return {Str(t, "document"), Str(t, "sha256")}; }

std::string ScopeToml(const DocumentScope& s) {
  std::string out = "document = " + Quoted(s.document.empty() ? "*" : s.document) + "\n";
  if (!s.sha256.empty()) out += "sha256 = " + Quoted(s.sha256) + "\n";
  return out;
}

// Reads the [[bulk]] entries.
Status LoadBulk(const toml::table& doc, const std::string& path, DecisionSet* set) {
  const toml::array* arr = doc["bulk"].as_array();
  if (!arr) return Status::Ok();
  size_t index = 0;
  for (const toml::node& n : *arr) {
    ++index;
    const toml::table* t = n.as_table();
    if (!t) return Status::InvalidInput(Where(path, "bulk", index) + " is not a table");
    BulkDecision b;
    b.scope = ScopeOf(*t);
    b.rule = Str(*t, "rule");
    b.text = Str(*t, "text");
    b.decision = Str(*t, "decision");
    b.exemption = Str(*t, "exemption");
    b.note = Str(*t, "note");
    b.reviewer = Str(*t, "reviewer");
    if (b.rule.empty() == b.text.empty()) {
      return Status::InvalidInput(Where(path, "bulk", index) + " needs a rule or a text (one)",
                                  "e.g. rule = \"person.name\" or text = \"Dave\"");
    }
    if (b.decision.empty() || !ValidDecision(b.decision)) {
      return Status::InvalidInput(Where(path, "bulk", index) +
                                  ": decision must be \"redact\" or \"keep\"");
    }
    set->bulk.push_back(std::move(b));
  }
  return Status::Ok();
}

// Reads the [[redact]] entries: a reviewer's own redactions.
Status LoadManual(const toml::table& doc, const std::string& path, DecisionSet* set) {
  const toml::array* arr = doc["redact"].as_array();
  if (!arr) return Status::Ok();
  size_t index = 0;
  for (const toml::node& n : *arr) {
    ++index;
    const toml::table* t = n.as_table();
    const std::string where = Where(path, "redact", index);
    if (!t) return Status::InvalidInput(where + " is not a table");
    ManualRedaction m;
    m.scope = ScopeOf(*t);
    m.text = Str(*t, "text");
    m.page = int((*t)["page"].value_or<int64_t>(0));
    m.occurrence = int((*t)["occurrence"].value_or<int64_t>(0));
    m.exemption = Str(*t, "exemption");
    m.note = Str(*t, "note");
    m.reviewer = Str(*t, "reviewer");
    const toml::array* area = (*t)["area"].as_array();
    const bool withhold = (*t)["withhold_page"].value_or(false);
    if (int(!m.text.empty()) + int(area != nullptr) + int(withhold) != 1) {
      return Status::InvalidInput(where + " needs one of text, area or withhold_page",
                                  "e.g. text = \"Dave\", area = [x0, y0, x1, y1] with page, or "
                                  "withhold_page = true with page");
    }
    if (m.exemption.empty()) {
      return Status::InvalidInput(where + " needs an exemption (the label its box gets)",
                                  "e.g. exemption = \"s.40(2)\"");
    }
    if (m.page < 0 || m.occurrence < 0 || (m.occurrence > 0 && m.page == 0)) {
      return Status::InvalidInput(where +
                                  ": page and occurrence count from 1; an occurrence "
                                  "needs its page");
    }
    if (area || withhold) {
      if (m.page == 0) return Status::InvalidInput(where + " needs the page it is on");
      if (m.scope.Every()) {
        return Status::InvalidInput(where + " needs the document it is on (document or sha256)");
      }
    }
    if (withhold) m.kind = ManualKind::kPage;
    if (area) {
      m.kind = ManualKind::kArea;
      double v[4];
      if (area->size() != 4) return Status::InvalidInput(where + ": area is [x0, y0, x1, y1]");
      for (size_t i = 0; i < 4; ++i) {
        auto d = (*area)[i].value<double>();
        if (!d) return Status::InvalidInput(where + ": area is four numbers (points)");
        v[i] = *d;
      }
      m.area = {std::min(v[0], v[2]), std::min(v[1], v[3]), std::max(v[0], v[2]),
                std::max(v[1], v[3])};
      if (m.area.width() <= 0 || m.area.height() <= 0) {
        return Status::InvalidInput(where + ": the area is empty");
      }
    }
    if (m.kind == ManualKind::kText && NormalizeForMatch(m.text).empty()) {
      return Status::InvalidInput(where + ": the text is only white space");
    }
    set->manual.push_back(std::move(m));
  }
  return Status::Ok();
}

// The entry's reviewer, else the run's.
const std::string& Who(const std::string& entry, const std::string& run) {
  return entry.empty() ? run : entry;
}

}  // namespace

bool DocumentScope::Matches(const std::string& relative, const std::string& sha) const {
  if (Every()) return true;
  if (!sha256.empty()) return sha256 == sha;
  return !document.empty() && document == relative;
}

const Decision* DecisionSet::Find(const std::string& relative, const std::string& sha,
                                  const std::string& fingerprint,
                                  bool same_path_other_content) const {
  for (const DecisionKey& key :
       {DecisionKey{relative, sha, fingerprint}, DecisionKey{relative, "", fingerprint}}) {
    if (auto it = by_key.find(key); it != by_key.end()) return &it->second;
  }
  if (!sha.empty()) {
    if (auto moved = by_sha.find({sha, fingerprint}); moved != by_sha.end()) {
      return &by_key.at(moved->second);
    }
  }
  if (!same_path_other_content) return nullptr;
  if (auto shas = shas_of.find(relative); shas == shas_of.end() || shas->second.size() != 1) {
    return nullptr;
  }
  auto same = by_path.find({relative, fingerprint});
  return same == by_path.end() ? nullptr : &by_key.at(same->second);
}

Decision& DecisionSet::Put(const Decision& d) {
  const DecisionKey key{d.document, d.sha256, d.fingerprint};
  if (!d.sha256.empty()) by_sha[{d.sha256, d.fingerprint}] = key;
  by_path[{d.document, d.fingerprint}] = key;
  shas_of[d.document].insert(d.sha256);
  return by_key[key] = d;
}

Result<DecisionSet> LoadDecisions(const std::string& path) {
  auto parsed = ReadTomlFile(path, 64 << 20);
  if (!parsed.ok()) return parsed.status();
  const toml::table& doc = *parsed;
  DecisionSet set;
  if (const toml::array* arr = doc["decision"].as_array()) {
    size_t index = 0;
    for (const toml::node& n : *arr) {
      ++index;
      const toml::table* t = n.as_table();
      if (!t) return Status::InvalidInput(Where(path, "decision", index) + " is not a table");
      Decision d;
      d.document = Str(*t, "document");
      d.sha256 = Str(*t, "sha256");
      d.fingerprint = Str(*t, "fingerprint");
      d.decision = Str(*t, "decision");
      d.note = Str(*t, "note");
      d.reviewer = Str(*t, "reviewer");
      d.exemption = Str(*t, "exemption");
      d.page = int((*t)["page"].value_or<int64_t>(0));
      d.rule = Str(*t, "rule");
      d.action = Str(*t, "action");
      d.text = Str(*t, "text");
      if (d.document.empty() || d.fingerprint.empty()) {
        return Status::InvalidInput(Where(path, "decision", index) +
                                    " needs a document and a fingerprint");
      }
      if (!ValidDecision(d.decision)) {
        return Status::InvalidInput(Where(path, "decision", index) + " (" + d.fingerprint +
                                        "): decision must be \"redact\" or \"keep\"",
                                    "Leave it empty (\"\") while undecided.");
      }
      set.Put(d);
    }
  }
  if (Status s = LoadBulk(doc, path, &set); !s.ok()) return s;
  if (Status s = LoadManual(doc, path, &set); !s.ok()) return s;
  return set;
}

std::string DecisionsToml(const std::vector<Decision>& decisions,
                          const std::vector<BulkDecision>& bulk,
                          const std::vector<ManualRedaction>& manual) {
  std::string out =
      "# Reviewer decisions for redact. For each finding set decision = \"redact\" or \"keep\"\n"
      "# (a flag is only redacted when decided \"redact\"; a redaction decided \"keep\" is\n"
      "# released), optionally a note, then run the batch again with\n"
      "#   redact batch IN -o OUT --decisions THIS_FILE --reviewer \"Your Name\"\n"
      "# Entries are matched by document (or its sha256) and fingerprint, which stay the same\n"
      "# when unrelated text changes. A flag (action = \"flag\") holds its document in "
      "OUT/review/\n"
      "# until it is decided. exemption is the label a redaction gets: change it to cite another\n"
      "# one (e.g. \"s.36(2)(b)(ii)\"). page, rule, action and text are for your information.\n"
      "# A run writes this file again with what it found, keeping every decision, note and\n"
      "# entry below. More than one finding at a time, and redactions no rule made:\n"
      "#   [[bulk]]   rule = \"person.name\" (or text = \"Dave\"), decision = \"keep\",\n"
      "#              document = \"a.pdf\" (or \"*\": every document), note, reviewer\n"
      "#   [[redact]] text = \"Dave\" (every occurrence; page = N: that page's; occurrence = K\n"
      "#              with page: the K-th there), or area = [x0, y0, x1, y1] (points from the\n"
      "#              page's top left) with page, or withhold_page = true with page;\n"
      "#              document (\"*\" for a text in every document), exemption (required), note,\n"
      "#              reviewer\n";
  for (const BulkDecision& b : bulk) {
    out += "\n[[bulk]]\n" + ScopeToml(b.scope);
    if (!b.rule.empty()) out += "rule = " + Quoted(b.rule) + "\n";
    if (!b.text.empty()) out += "text = " + Quoted(b.text) + "\n";
    out += "decision = " + Quoted(b.decision) + "\n";
    if (!b.exemption.empty()) out += "exemption = " + Quoted(b.exemption) + "\n";
    out += "note = " + Quoted(b.note) + "\n";
    out += "reviewer = " + Quoted(b.reviewer) + "\n";
  }
  for (const ManualRedaction& m : manual) {
    out += "\n[[redact]]\n" + ScopeToml(m.scope);
    if (m.kind == ManualKind::kText) out += "text = " + Quoted(m.text) + "\n";
    if (m.kind == ManualKind::kArea) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "area = [%.2f, %.2f, %.2f, %.2f]\n", m.area.x0, m.area.y0,
                    m.area.x1, m.area.y1);
      out += buf;
    }
    if (m.kind == ManualKind::kPage) out += "withhold_page = true\n";
    if (m.page > 0) out += "page = " + std::to_string(m.page) + "\n";
    if (m.occurrence > 0) out += "occurrence = " + std::to_string(m.occurrence) + "\n";
    out += "exemption = " + Quoted(m.exemption) + "\n";
    out += "note = " + Quoted(m.note) + "\n";
    out += "reviewer = " + Quoted(m.reviewer) + "\n";
  }
  for (const Decision& d : decisions) {
    out += "\n[[decision]]\n";
    out += "document = " + Quoted(d.document) + "\n";
    if (!d.sha256.empty()) out += "sha256 = " + Quoted(d.sha256) + "\n";
    out += "fingerprint = " + Quoted(d.fingerprint) + "\n";
    out += "decision = " + Quoted(d.decision) + "\n";
    out += "note = " + Quoted(d.note) + "\n";
    out += "reviewer = " + Quoted(d.reviewer) + "\n";
    out += "page = " + std::to_string(d.page) + "\n";
    out += "rule = " + Quoted(d.rule) + "\n";
    out += "action = " + Quoted(d.action) + "\n";
    out += "exemption = " + Quoted(d.exemption) + "\n";
    out += "text = " + Quoted(d.text) + "\n";
  }
  return out;
}

std::vector<Finding> ApplyDecisions(const DecisionSet& decisions, const std::string& relative,
                                    const std::string& sha256, const std::string& reviewer,
                                    std::vector<Finding>* findings, AppliedDecisions* applied) {
  std::vector<Finding> kept;
  std::vector<Finding> out;
  for (Finding& f : *findings) {
    std::string decision, exemption, note, who;
    bool bulk = false;
    if (const Decision* d = decisions.Find(relative, sha256, f.fingerprint);
        d && !d->decision.empty()) {
      decision = d->decision;
      exemption = d->exemption;
      note = d->note;
      who = Who(d->reviewer, reviewer);
    } else {
      // The last bulk entry that covers the finding: a later line of the file overrides.
      const std::string text = NormalizeForMatch(f.text);
      for (const BulkDecision& b : decisions.bulk) {
        if (!b.scope.Matches(relative, sha256)) continue;
        if (!b.rule.empty() ? b.rule != f.rule_id : NormalizeForMatch(b.text) != text) continue;
        decision = b.decision;
        exemption = b.exemption;
        note = b.note;
        who = Who(b.reviewer, reviewer);
        bulk = true;
      }
    }
    if (decision.empty()) {
      out.push_back(std::move(f));
      continue;
    }
    f.decision = decision;
    f.note = note;
    f.decided_by = who;
    f.in_bulk = bulk;
    if (decision == "keep") {
      ++applied->keep;
      kept.push_back(std::move(f));
    } else {
      ++applied->redact;
      f.action = Action::kRedact;
      if (!exemption.empty()) f.exemption = exemption;
      out.push_back(std::move(f));
    }
  }
  *findings = std::move(out);
  return kept;
}

Result<std::vector<Finding>> ManualFindings(const DecisionSet& decisions,
                                            const std::string& relative, const std::string& sha256,
                                            const std::string& reviewer,
                                            const std::vector<const PageText*>& pages,
                                            double padding, AppliedDecisions* applied) {
  std::vector<Finding> out;
  for (const ManualRedaction& m : decisions.manual) {
    if (!m.scope.Matches(relative, sha256)) continue;
    if (m.page > int(pages.size())) continue;  // not this document's (or a page it lost)
    auto base = [&](const PageText& page, const char* rule) {
      Finding f;
      f.rule_id = rule;
      f.action = Action::kRedact;
      f.exemption = m.exemption;
      f.page = page.page;
      f.decision = "redact";
      f.note = m.note;
      f.decided_by = Who(m.reviewer, reviewer);
      return f;
    };
    if (m.kind == ManualKind::kText) {
      for (size_t i = 0; i < pages.size(); ++i) {
        const PageText& page = *pages[i];
        if (m.page > 0 && page.page != m.page) continue;
        auto found = LiteralFindings(page, m.text, "manual.text", padding);
        if (!found.ok()) return found.status();
        int n = 0;
        for (Finding& hit : *found) {
          ++n;
          if (m.occurrence > 0 && n != m.occurrence) continue;
          Finding f = base(page, "manual.text");
          f.begin = hit.begin;
          f.end = hit.end;
          f.text = std::move(hit.text);
          f.boxes = std::move(hit.boxes);
          f.only_here = m.page > 0;
          out.push_back(std::move(f));
          ++applied->manual_text;
        }
      }
      continue;
    }
    const PageText& page = *pages[size_t(m.page - 1)];
    Finding f = base(page, m.kind == ManualKind::kArea ? "manual.area" : "manual.page");
    if (m.kind == ManualKind::kArea) {
      // A plain-text document has no page to draw on: said, not silently ignored.
      if (page.width <= 0) {
        return Status::InvalidInput("an area cannot be redacted in " + relative +
                                        ": it has no pages to draw on (plain text)",
                                    "Redact its text instead ([[redact]] with text = ...).");
      }
      f.boxes = {m.area};
      ++applied->manual_area;
    } else {
      f.boxes = {{0, 0, page.width, page.height}};
      f.begin = 0;  // every word of it, in a plain-text document too
      f.end = page.text.size();
      ++applied->manual_page;
    }
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace redact
