#include "pipeline/rules/rule_loader.h"

#include <toml++/toml.h>
#include <algorithm>
#include <filesystem>
#include <set>

#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"

namespace redact {
namespace fs = std::filesystem;

namespace {

const std::set<std::string> kRuleSetKeys = {"id", "description", "extends", "disable"};
const std::set<std::string> kContextKeys = {"require", "forbid", "before", "after"};
const std::set<std::string> kRuleKeys = {
    "id",    "description", "pattern", "action",         "exemption", "keywords", "allow",
    "group", "examples",    "context", "case_sensitive", "enabled",   "priority", "min_confidence"};
const std::set<std::string> kExampleKeys = {"redact", "keep"};

Status Fail(const std::string& file, const std::string& id, const std::string& msg) {
  return Status::InvalidRules(file + ":" + (id.empty() ? "" : id + ": ") + msg);
}

Status ReadStringArray(const toml::node* node, const std::string& key, const std::string& file,
                       const std::string& id, std::vector<std::string>* out) {
  if (!node) return Status::Ok();
  const toml::array* arr = node->as_array();
  if (!arr) return Fail(file, id, key + " must be an array of strings");
  for (const toml::node& el : *arr) {
    auto s = el.value<std::string>();
    if (!s) return Fail(file, id, key + " must be an array of strings");
    out->push_back(*s);
  }
  return Status::Ok();
}

Status ParseRule(const toml::table& t, const std::string& file, size_t index, Rule* rule) {
  rule->file = file;
  auto id = t["id"].value<std::string>();
  std::string where_id = id ? *id : "rule[" + std::to_string(index) + "]";
  if (!id || id->empty()) return Fail(file, where_id, "missing id");
  rule->id = *id;
  for (auto&& [k, v] : t) {
    std::string key(k.str());
    if (!kRuleKeys.count(key)) return Fail(file, rule->id, "unknown key '" + key + "'");
  }
  auto pattern = t["pattern"].value<std::string>();
  if (!pattern || pattern->empty()) return Fail(file, rule->id, "missing pattern");
  rule->pattern = *pattern;
  rule->description = t["description"].value_or<std::string>("");
  std::string action = t["action"].value_or<std::string>("redact");
  if (action == "redact") {
    rule->action = Action::kRedact;
  } else if (action == "flag") {
    rule->action = Action::kFlag;
  } else if (action == "note") {
    rule->action = Action::kNote;
  } else {
    return Fail(file, rule->id,
                "action must be \"redact\", \"flag\" or \"note\", not \"" + action + "\"");
  }
  auto exemption = t["exemption"].value<std::string>();
  if (!exemption || exemption->empty()) {
    return Fail(file, rule->id,
                "missing exemption (the label drawn on the box, e.g. \"s.31(1)(a)\")");
  }
  rule->exemption = *exemption;
  std::vector<std::string> keywords;
  Status s = ReadStringArray(t.get("keywords"), "keywords", file, rule->id, &keywords);
  if (!s.ok()) return s;
  for (std::string& k : keywords) {
    std::transform(k.begin(), k.end(), k.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    rule->keywords.push_back(k);
  }
  s = ReadStringArray(t.get("allow"), "allow", file, rule->id, &rule->allow);
  if (!s.ok()) return s;
  if (const toml::node* g = t.get("group")) {
    auto gi = g->value<int64_t>();
    if (!gi || *gi < 0) return Fail(file, rule->id, "group must be a non-negative integer");
    rule->group = int(*gi);
  }
  if (const toml::node* ex = t.get("examples")) {
    const toml::table* et = ex->as_table();
    if (!et) return Fail(file, rule->id, "examples must be a table with redact and keep");
    for (auto&& [k, v] : *et) {
      if (!kExampleKeys.count(std::string(k.str()))) {
        return Fail(file, rule->id, "unknown key 'examples." + std::string(k.str()) + "'");
      }
    }
    s = ReadStringArray(et->get("redact"), "examples.redact", file, rule->id,
                        &rule->examples_redact);
    if (!s.ok()) return s;
    s = ReadStringArray(et->get("keep"), "examples.keep", file, rule->id, &rule->examples_keep);
    if (!s.ok()) return s;
  }
  if (const toml::node* c = t.get("context")) {
    const toml::table* ct = c->as_table();
    if (!ct)
      return Fail(file, rule->id, "context must be a table (require, forbid, before, after)");
    for (auto&& [k, v] : *ct) {
      if (!kContextKeys.count(std::string(k.str()))) {
        return Fail(file, rule->id, "unknown key 'context." + std::string(k.str()) + "'");
      }
    }
    s = ReadStringArray(ct->get("require"), "context.require", file, rule->id,
                        &rule->context_require);
    if (!s.ok()) return s;
    s = ReadStringArray(ct->get("forbid"), "context.forbid", file, rule->id, &rule->context_forbid);
    if (!s.ok()) return s;
    for (auto* list : {&rule->context_require, &rule->context_forbid}) {
      for (std::string& k : *list) {
        std::transform(k.begin(), k.end(), k.begin(),
                       [](unsigned char ch) { return char(std::tolower(ch)); });
      }
    }
    for (auto [key, field] :
         {std::pair{"before", &rule->context_before}, std::pair{"after", &rule->context_after}}) {
      if (const toml::node* n = ct->get(key)) {
        auto v = n->value<int64_t>();
        if (!v || *v < 0 || *v > 10000) {
          return Fail(file, rule->id,
                      std::string("context.") + key + " must be 0 to 10000 characters");
        }
        *field = int(*v);
      }
    }
  }
  for (auto [key, field] :
       {std::pair{"case_sensitive", &rule->case_sensitive}, std::pair{"enabled", &rule->enabled}}) {
    if (const toml::node* n = t.get(key)) {
      auto v = n->value<bool>();
      if (!v || !n->is_boolean())
        return Fail(file, rule->id, std::string(key) + " must be true or false");
      *field = *v;
    }
  }
  if (const toml::node* n = t.get("priority")) {
    auto v = n->value<int64_t>();
    if (!v || !n->is_integer()) return Fail(file, rule->id, "priority must be an integer");
    rule->priority = int(*v);
  }
  if (const toml::node* n = t.get("min_confidence")) {
    auto v = n->value<double>();
    if (!v || *v < 0 || *v > 100) return Fail(file, rule->id, "min_confidence must be 0 to 100");
    rule->min_confidence = *v;
  }
  int groups = 0;
  s = CheckPattern(rule->pattern, &groups);
  if (!s.ok()) return Fail(file, rule->id, s.message());
  if (rule->group > groups) {
    return Fail(file, rule->id,
                "group " + std::to_string(rule->group) + " is beyond the pattern's " +
                    std::to_string(groups) + " capture groups");
  }
  for (const std::string& a : rule->allow) {
    s = CheckPattern(a, nullptr);
    if (!s.ok()) return Fail(file, rule->id, "allow " + s.message());
  }
  return Status::Ok();
}

Result<RuleSet> LoadRuleFile(const std::string& path) {
  auto bytes = ReadFile(path, 16 << 20);
  if (!bytes.ok()) return Fail(path, "", bytes.status().message());
  RuleSet set;
  set.path = path;
  set.sha256 = Sha256Hex(*bytes);
  toml::table doc;
  try {
    doc = toml::parse(*bytes, path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Fail(path, "",
                "TOML error at line " + std::to_string(where.line) + ", column " +
                    std::to_string(where.column) + ": " + std::string(e.description()));
  }
  for (auto&& [k, v] : doc) {
    std::string key(k.str());
    if (key != "ruleset" && key != "rule") return Fail(path, "", "unknown key '" + key + "'");
  }
  const toml::table* rs = doc["ruleset"].as_table();
  if (!rs) return Fail(path, "", "missing [ruleset] table with an id");
  for (auto&& [k, v] : *rs) {
    if (!kRuleSetKeys.count(std::string(k.str()))) {
      return Fail(path, "", "unknown key 'ruleset." + std::string(k.str()) + "'");
    }
  }
  set.id = (*rs)["id"].value_or<std::string>("");
  if (set.id.empty()) return Fail(path, "", "missing ruleset.id");
  set.description = (*rs)["description"].value_or<std::string>("");
  set.extends = (*rs)["extends"].value_or<std::string>("");
  if (Status s = ReadStringArray(rs->get("disable"), "ruleset.disable", path, "", &set.disable);
      !s.ok()) {
    return s;
  }
  const toml::node* rules = doc.get("rule");
  if (!rules) return set;  // an empty set is allowed (e.g. a placeholder for local rules)
  const toml::array* arr = rules->as_array();
  if (!arr) return Fail(path, "", "rule must be an array of tables ([[rule]])");
  size_t index = 0;
  for (const toml::node& n : *arr) {
    const toml::table* t = n.as_table();
    if (!t) return Fail(path, "", "rule must be an array of tables ([[rule]])");
    Rule r;
    Status s = ParseRule(*t, path, index++, &r);
    if (!s.ok()) return s;
    set.rules.push_back(std::move(r));
  }
  return set;
}

}  // namespace

std::vector<ExampleResult> RunRuleExamples(const RuleCatalog& catalog) {
  std::vector<ExampleResult> results;
  for (const RuleSet& set : catalog.sets) {
    for (const Rule& rule : set.rules) {
      Rule runnable = rule;
      runnable.enabled = true;  // a disabled rule's examples still have to be right
      auto one = RuleMatcher::Compile({runnable});
      auto run = [&](const std::string& example, bool expect_redact) {
        ExampleResult r{rule.id, rule.file, expect_redact, example, {}, false};
        if (one.ok()) {
          auto spans = (*one)->FindSpans(example);
          if (spans.ok()) {
            for (const RuleSpan& s : *spans) r.found.emplace_back(s.begin, s.end);
          }
        }
        r.passed = expect_redact ? !r.found.empty() : r.found.empty();
        results.push_back(std::move(r));
      };
      for (const std::string& e : rule.examples_redact) run(e, true);
      for (const std::string& e : rule.examples_keep) run(e, false);
    }
  }
  return results;
}

Result<RuleCatalog> LoadRules(const std::vector<std::string>& paths, const LoadOptions& options) {
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
           it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".toml") {
          found.push_back(it->path().string());
        }
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) return Status::InvalidRules(p + ": no .toml rule files in this folder");
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      return Status::InvalidRules(p + ": no such rules file or folder",
                                  "Pass --rules with a .toml file or a folder of them.");
    }
  }
  RuleCatalog catalog;
  std::vector<Rule> all;
  std::set<std::string> ids;
  std::set<std::string> set_ids;
  for (const std::string& f : files) {
    auto set = LoadRuleFile(f);
    if (!set.ok()) return set.status();
    if (!set_ids.insert(set->id).second) {
      return Fail(f, "", "duplicate ruleset id '" + set->id + "'");
    }
    for (const Rule& r : set->rules) {
      if (!ids.insert(r.id).second) return Fail(f, r.id, "duplicate rule id");
      all.push_back(r);
    }
    catalog.sets.push_back(std::move(*set));
  }
  for (const RuleSet& set : catalog.sets) {
    if (!set.extends.empty() && !set_ids.count(set.extends)) {
      return Fail(set.path, "",
                  "extends '" + set.extends +
                      "', which is not loaded (pass its file or folder with --rules too)");
    }
    for (const std::string& id : set.disable) {
      auto it = std::find_if(all.begin(), all.end(), [&](const Rule& r) { return r.id == id; });
      if (it == all.end()) return Fail(set.path, "", "disable names no loaded rule: '" + id + "'");
      it->enabled = false;
    }
  }
  for (RuleSet& set : catalog.sets) {
    for (Rule& r : set.rules) {
      r.enabled = std::find_if(all.begin(), all.end(), [&](const Rule& a) {
                    return a.id == r.id;
                  })->enabled;
    }
  }
  auto matcher = RuleMatcher::Compile(std::move(all));
  if (!matcher.ok()) return matcher.status();
  catalog.matcher = *matcher;
  if (options.check_examples) {
    for (const ExampleResult& r : RunRuleExamples(catalog)) {
      if (r.passed) continue;
      return Fail(r.file, r.rule_id,
                  std::string(r.expect_redact ? "examples.redact" : "examples.keep") +
                      " disagrees with the rule: \"" + r.example + "\" " +
                      (r.expect_redact ? "is not matched" : "is matched"));
    }
  }
  return catalog;
}

}  // namespace redact
