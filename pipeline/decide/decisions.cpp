#include "pipeline/decide/decisions.h"

#include <toml++/toml.h>
#include <nlohmann/json.hpp>

#include "pipeline/core/files.h"

namespace redact {
namespace {

// A TOML basic string: JSON's escaping is valid TOML.
std::string Quoted(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<DecisionSet> LoadDecisions(const std::string& path) {
  auto bytes = ReadFile(path, 64 << 20);
  if (!bytes.ok()) return bytes.status();
  toml::table doc;
  try {
    doc = toml::parse(*bytes, path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidInput(path + ": TOML error at line " +
                                std::to_string(e.source().begin.line) + ": " +
                                std::string(e.description()));
  }
  DecisionSet set;
  const toml::array* arr = doc["decision"].as_array();
  if (!arr) return set;
  size_t index = 0;
  for (const toml::node& n : *arr) {
    ++index;
    const toml::table* t = n.as_table();
    if (!t)
      return Status::InvalidInput(path + ": decision " + std::to_string(index) + " is not a table");
    Decision d;
    d.document = (*t)["document"].value_or<std::string>("");
    d.fingerprint = (*t)["fingerprint"].value_or<std::string>("");
    d.decision = (*t)["decision"].value_or<std::string>("");
    d.note = (*t)["note"].value_or<std::string>("");
    d.exemption = (*t)["exemption"].value_or<std::string>("");
    if (d.document.empty() || d.fingerprint.empty()) {
      return Status::InvalidInput(path + ": decision " + std::to_string(index) +
                                  " needs a document and a fingerprint");
    }
    if (!d.decision.empty() && d.decision != "redact" && d.decision != "keep") {
      return Status::InvalidInput(path + ": decision " + std::to_string(index) + " (" +
                                      d.fingerprint + "): decision must be \"redact\" or \"keep\"",
                                  "Leave it empty (\"\") while undecided.");
    }
    set.by_key[{d.document, d.fingerprint}] = d;
  }
  return set;
}

std::string DecisionsToml(const std::vector<Decision>& decisions) {
  std::string out =
      "# Reviewer decisions for redact. For each entry set decision = \"redact\" or \"keep\"\n"
      "# (a flag is only redacted when decided \"redact\"; a redaction decided \"keep\" is\n"
      "# released), optionally a note, then run the batch again with\n"
      "#   redact batch IN -o OUT --decisions THIS_FILE --reviewer \"Your Name\"\n"
      "# Entries are matched by document and fingerprint, which stay the same when unrelated\n"
      "# text changes. A flag (action = \"flag\") holds its document in OUT/review/ until it\n"
      "# is decided. exemption is the label a redaction gets: change it to cite another one\n"
      "# (e.g. \"s.36(2)(b)(ii)\"). page, rule, action and text are for your information.\n";
  for (const Decision& d : decisions) {
    out += "\n[[decision]]\n";
    out += "document = " + Quoted(d.document) + "\n";
    out += "fingerprint = " + Quoted(d.fingerprint) + "\n";
    out += "decision = " + Quoted(d.decision) + "\n";
    out += "note = " + Quoted(d.note) + "\n";
    out += "page = " + std::to_string(d.page) + "\n";
    out += "rule = " + Quoted(d.rule) + "\n";
    out += "action = " + Quoted(d.action) + "\n";
    out += "exemption = " + Quoted(d.exemption) + "\n";
    out += "text = " + Quoted(d.text) + "\n";
  }
  return out;
}

std::vector<Finding> ApplyDecisions(const DecisionSet& decisions, const std::string& document,
                                    std::vector<Finding>* findings,
                                    std::vector<std::pair<std::string, std::string>>* applied) {
  std::vector<Finding> kept;
  std::vector<Finding> out;
  for (Finding& f : *findings) {
    auto it = decisions.by_key.find({document, f.fingerprint});
    if (it == decisions.by_key.end() || it->second.decision.empty()) {
      out.push_back(std::move(f));
      continue;
    }
    applied->emplace_back(f.fingerprint, it->second.decision);
    if (it->second.decision == "keep") {
      kept.push_back(std::move(f));
    } else {
      f.action = Action::kRedact;
      if (!it->second.exemption.empty()) f.exemption = it->second.exemption;
      out.push_back(std::move(f));
    }
  }
  *findings = std::move(out);
  return kept;
}

}  // namespace redact
