#include "pipeline/rules/rule_loader.h"

#include <re2/re2.h>
#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "pipeline/core/files.h"
#include "pipeline/core/hash.h"

namespace redact {
namespace fs = std::filesystem;

namespace {

const std::set<std::string> kRuleSetKeys = {"id", "description", "extends", "disable"};
const std::set<std::string> kContextKeys = {"require", "forbid", "before", "after"};
const std::set<std::string> kRuleKeys = {"id",           "description",    "pattern",
                                         "action",       "exemption",      "keywords",
                                         "allow",        "group",          "examples",
                                         "context",      "case_sensitive", "enabled",
                                         "priority",     "min_confidence", "name_parts",
                                         "box_width_cm", "name_continues", "name_particles",
                                         "consistency"};
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

using Lists = std::map<std::string, std::shared_ptr<const WordList>>;

// Capitals of the Latin alphabets names are written in: ASCII, Latin-1, Latin Extended-A
// ("Şahin", "İnce", "Śliwa", "Łukasz") and the Romanian Ș and Ț.
#define LATIN_CAPITALS                                                                        \
  "A-Z\\x{C0}-\\x{D6}\\x{D8}-\\x{DE}\\x{100}\\x{102}\\x{104}\\x{106}\\x{108}\\x{10A}\\x{10C}" \
  "\\x{10E}\\x{110}\\x{112}\\x{114}\\x{116}\\x{118}\\x{11A}\\x{11C}\\x{11E}\\x{120}\\x{122}"  \
  "\\x{124}\\x{126}\\x{128}\\x{12A}\\x{12C}\\x{12E}\\x{130}\\x{132}\\x{134}\\x{136}\\x{139}"  \
  "\\x{13B}\\x{13D}\\x{13F}\\x{141}\\x{143}\\x{145}\\x{147}\\x{14A}\\x{14C}\\x{14E}\\x{150}"  \
  "\\x{152}\\x{154}\\x{156}\\x{158}\\x{15A}\\x{15C}\\x{15E}\\x{160}\\x{162}\\x{164}\\x{166}"  \
  "\\x{168}\\x{16A}\\x{16C}\\x{16E}\\x{170}\\x{172}\\x{174}\\x{176}\\x{178}-\\x{179}\\x{17B}" \
  "\\x{17D}\\x{218}\\x{21A}"
// A capitalised word, or several joined by hyphens, as a list placeholder matches it: "Okafor",
// "O'Brien", "McDonald", "OKAFOR", "Smith-Jones" (also broken over a line at its hyphen),
// "Siân". Letters are those of the Latin
// alphabets (ASCII, Latin-1, Latin Extended-A and -B): names in the lists are written in them,
// and RE2 compiles these ranges far faster than \p{L}.
constexpr const char* kListWord =
    "((?-i:[" LATIN_CAPITALS
    "][A-Za-z\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{24F}"
    "'"
    "\u2019]*"
    "(?:-[ \\t]*\\n?[ \\t]*[" LATIN_CAPITALS
    "]"
    "[A-Za-z\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{24F}'\u2019]*)*))";
// The same in title case: a capital, then small letters ("Okafor", "Smith-Jones").
constexpr const char* kTitleWord =
    "((?-i:[" LATIN_CAPITALS
    "][a-z\\x{DF}-\\x{F6}\\x{F8}-\\x{24F}'\u2019]+"
    "(?:-[ \\t]*\\n?[ "
    "\\t]*[" LATIN_CAPITALS "][a-z\\x{DF}-\\x{F6}\\x{F8}-\\x{24F}'\u2019]+)*))";
#undef LATIN_CAPITALS

bool EndsWith(const std::string& s, std::string_view tail) {
  return s.size() > tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// The most entries a {{list:phrase}} placeholder takes: a phrase list is spelled out as one
// alternation, which RE2 factors into a trie of the entries' letters; a list of names
// (tens of thousands) is looked up word by word instead.
constexpr size_t kMaxPhrases = 5000;

// A capture group matching any entry of `list` as the file writes it or in all capitals
// ("YubiKey", "YUBIKEY"; not "yubikey", which may be another word): longest first, so that
// "Fortinet FortiGate" wins over "Fortinet"; words apart by any blank, a line break included;
// a word edge where an entry starts or ends with a letter or digit ("TACACS+" has none after).
Status PhraseAlternation(const WordList& list, const std::string& file, const std::string& id,
                         std::string* out) {
  if (list.words.size() > kMaxPhrases) {
    return Fail(file, id,
                "word list '" + list.name + "' has " + std::to_string(list.words.size()) +
                    " entries, more than a {{list:phrase}} takes (" + std::to_string(kMaxPhrases) +
                    "); use {{" + list.name + "}} to look single words up instead");
  }
  auto bytes = ReadFile(list.path, 64 << 20);
  if (!bytes.ok())
    return Fail(file, id, "word list '" + list.name + "': " + bytes.status().message());
  std::vector<std::string> phrases;
  for (size_t from = 0; from < bytes->size();) {
    size_t nl = bytes->find('\n', from);
    if (nl == std::string::npos) nl = bytes->size();
    size_t end = nl;
    while (end > from && ((*bytes)[end - 1] == '\r' || (*bytes)[end - 1] == ' ')) --end;
    if (end > from && (*bytes)[from] != '#') {
      std::string phrase = bytes->substr(from, end - from);
      std::string upper = phrase;
      for (char& c : upper) c = (c >= 'a' && c <= 'z') ? char(c - 'a' + 'A') : c;
      if (upper != phrase) phrases.push_back(std::move(upper));
      phrases.push_back(std::move(phrase));
    }
    from = nl + 1;
  }
  if (phrases.empty()) return Fail(file, id, "word list '" + list.name + "' is empty");
  std::stable_sort(phrases.begin(), phrases.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  const auto word_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  std::string alt;
  for (std::string_view phrase : phrases) {
    if (!alt.empty()) alt += '|';
    if (word_char(phrase.front())) alt += "\\b";
    size_t from = 0;
    while (from < phrase.size()) {
      size_t space = phrase.find(' ', from);
      if (space == std::string_view::npos) space = phrase.size();
      if (from > 0) alt += "\\s+";
      alt += RE2::QuoteMeta(re2::StringPiece(phrase.data() + from, space - from));
      from = space + 1;
      while (from < phrase.size() && phrase[from] == ' ') ++from;
    }
    if (word_char(phrase.back())) alt += "\\b";
  }
  *out += "((?-i:" + alt + "))";
  return Status::Ok();
}

// "forename", "forename!name-words" or "*!words!places": the check of a placeholder or a
// name part.
Status ParseListSpec(const std::string& spec, const Lists& lists, const std::string& file,
                     const std::string& id, ListCheck* check) {
  std::vector<std::string> names;
  for (size_t from = 0;;) {
    const size_t bang = spec.find('!', from);
    names.push_back(spec.substr(from, bang - from));
    if (bang == std::string::npos) break;
    from = bang + 1;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (i == 0 && names[i] == "*") continue;
    auto list = lists.find(names[i]);
    if (list == lists.end()) {
      return Fail(file, id,
                  "no word list named '" + names[i] + "' (declare it in the file's [lists] table)");
    }
    if (i == 0) {
      check->in = list->second;
    } else {
      check->not_in.push_back(list->second);
    }
  }
  return Status::Ok();
}

// A pattern written in a TOML "double-quoted" string has its \b turned into a backspace (and
// \f into a form feed) by TOML before RE2 sees it: a rule that silently never matches, or an
// allow-list blamed for it. Said plainly, with the fix.
Status TomlEscapeTrap(const std::string& re, const char* key, const std::string& file,
                      const std::string& id) {
  for (char c : re) {
    if (c == '\b' || c == '\f') {
      const std::string name = c == '\b' ? "backspace" : "form feed";
      const std::string esc = c == '\b' ? "\\b" : "\\f";
      return Fail(file, id,
                  std::string(key) + " holds a " + name +
                      " character: in a TOML \"double-quoted\" "
                      "string " +
                      esc +
                      " is that character, not RE2's escape. Write patterns in single "
                      "quotes, e.g. pattern = '\\bGCHQ\\b' (or '''...''')");
    }
  }
  return Status::Ok();
}

// Replaces each {{list}} or {{list!other}} of the rule's pattern with a capture group for a
// capitalised word, records the check its words must pass, and renumbers `group` (which counts
// the pattern's own groups only) to the compiled pattern's numbering.
Status ExpandLists(const Lists& lists, Rule* rule) {
  const std::string& p = rule->pattern;
  if (p.find("{{") == std::string::npos) return Status::Ok();
  std::string out;
  std::vector<int> placeholders_before = {0};  // per own group (1-based), placeholders before it
  int own = 0, placeholders = 0;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      out += p.substr(i, 2);
      ++i;
      continue;
    }
    if (in_class) {
      if (c == ']') in_class = false;
      out.push_back(c);
      continue;
    }
    if (c == '[') {
      // A ']' first in a class ("[]a]", "[^]a]") is one of its characters.
      in_class = true;
      out.push_back(c);
      if (i + 1 < p.size() && p[i + 1] == '^') out.push_back(p[++i]);
      if (i + 1 < p.size() && p[i + 1] == ']') out.push_back(p[++i]);
      continue;
    }
    if (c == '(' && (i + 1 >= p.size() || p[i + 1] != '?' || p.compare(i + 1, 3, "?P<") == 0)) {
      ++own;
      placeholders_before.push_back(placeholders);
    }
    if (c == '{' && p.compare(i, 2, "{{") == 0) {
      const size_t close = p.find("}}", i + 2);
      if (close == std::string::npos) return Fail(rule->file, rule->id, "unclosed {{ in pattern");
      // {{list:title}}: the word in title case only ("Okafor", not "OKAFOR" or "UK").
      std::string spec = p.substr(i + 2, close - i - 2);
      const bool title = EndsWith(spec, ":title");
      if (title) spec.resize(spec.size() - 6);
      // {{list:phrase}}: any entry of the list, words and all ("Thales Luna", "BIG-IP").
      if (EndsWith(spec, ":phrase")) {
        spec.resize(spec.size() - 7);
        auto list = lists.find(spec);
        if (list == lists.end()) {
          return Fail(rule->file, rule->id,
                      "no word list named '" + spec + "' (declare it in the file's [lists] table)");
        }
        Status s = PhraseAlternation(*list->second, rule->file, rule->id, &out);
        if (!s.ok()) return s;
        ++placeholders;
        i = close + 1;
        continue;
      }
      ListCheck check;
      Status s = ParseListSpec(spec, lists, rule->file, rule->id, &check);
      if (!s.ok()) return s;
      ++placeholders;
      check.group = own + placeholders;
      rule->list_checks.push_back(std::move(check));
      // A \b written beside a list word is the word's own edge, which the word's letters
      // already make: RE2's \b knows ASCII letters only, so it would never see the start of
      // "Özlem" or the end of "Zoë" (and cut "Kovač" to "Kova"). Detection grows a name's
      // match to its words' edges.
      if (out.size() >= 2 && out.compare(out.size() - 2, 2, "\\b") == 0 &&
          (out.size() < 3 || out[out.size() - 3] != '\\')) {
        out.resize(out.size() - 2);
      }
      out += title ? kTitleWord : kListWord;
      i = close + 1;
      if (p.compare(close + 2, 2, "\\b") == 0) i += 2;
      continue;
    }
    out.push_back(c);
  }
  if (rule->group > 0 && rule->group <= own)
    rule->group += placeholders_before[size_t(rule->group)];
  rule->pattern = std::move(out);
  return Status::Ok();
}

// action and exemption: what the rule does, and the label drawn on its boxes.
Status ReadAction(const toml::table& t, const std::string& file, Rule* rule) {
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
  return Status::Ok();
}

// keywords, allow, group and box_width_cm: what the matcher runs, and where.
Status ReadMatching(const toml::table& t, const std::string& file, Rule* rule) {
  Status s;
  std::vector<std::string> keywords;
  s = ReadStringArray(t.get("keywords"), "keywords", file, rule->id, &keywords);
  if (!s.ok()) return s;
  for (std::string& k : keywords) {
    std::transform(k.begin(), k.end(), k.begin(),
                   [](unsigned char c) { return char(std::tolower(c)); });
    rule->keywords.push_back(k);
  }
  s = ReadStringArray(t.get("allow"), "allow", file, rule->id, &rule->allow);
  for (const std::string& a : rule->allow) {
    if (!s.ok()) break;
    s = TomlEscapeTrap(a, "allow", file, rule->id);
  }
  if (!s.ok()) return s;
  if (const toml::node* g = t.get("group")) {
    auto gi = g->value<int64_t>();
    if (!gi || *gi < 0) return Fail(file, rule->id, "group must be a non-negative integer");
    rule->group = int(*gi);
  }
  if (const toml::node* bw = t.get("box_width_cm")) {
    auto v = bw->value<double>();
    if (!v || !(*v > 0) || *v > 20) {
      return Fail(file, rule->id,
                  "box_width_cm must be a number of centimetres, above 0 and at most 20");
    }
    rule->box_width_cm = *v;
  }
  return Status::Ok();
}

// examples.redact and examples.keep, which the test suite and `redact rules test` run.
Status ReadExamples(const toml::table& t, const std::string& file, Rule* rule) {
  Status s;
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
  return Status::Ok();
}

// context.require, context.forbid, context.before and context.after.
Status ReadContext(const toml::table& t, const std::string& file, Rule* rule) {
  Status s;
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
  return Status::Ok();
}

// case_sensitive, enabled, consistency, priority and min_confidence.
Status ReadSwitches(const toml::table& t, const std::string& file, Rule* rule) {
  for (auto [key, field] :
       {std::pair{"case_sensitive", &rule->case_sensitive}, std::pair{"enabled", &rule->enabled},
        std::pair{"consistency", &rule->consistency}}) {
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
  return Status::Ok();
}

// name_parts, name_continues and name_particles: a rule that finds people (detect/detect.h).
Status ReadNameKeys(const toml::table& t, const Lists& lists, const std::string& file, Rule* rule) {
  Status s;
  std::vector<std::string> parts;
  s = ReadStringArray(t.get("name_parts"), "name_parts", file, rule->id, &parts);
  if (!s.ok()) return s;
  for (const std::string& spec : parts) {
    ListCheck check;
    s = ParseListSpec(spec, lists, file, rule->id, &check);
    if (!s.ok()) return s;
    rule->name_parts.push_back(std::move(check));
  }
  // What a name may have beside a match that is still the name (detect/detect.h, whole names).
  if (const toml::node* n = t.get("name_continues")) {
    auto spec = n->value<std::string>();
    if (!spec) return Fail(file, rule->id, "name_continues must be a word list check (a string)");
    ListCheck check;
    s = ParseListSpec(*spec, lists, file, rule->id, &check);
    if (!s.ok()) return s;
    rule->name_continues = std::make_shared<const ListCheck>(std::move(check));
  }
  if (const toml::node* n = t.get("name_particles")) {
    auto name = n->value<std::string>();
    if (!name) return Fail(file, rule->id, "name_particles must name a word list (a string)");
    auto list = lists.find(*name);
    if (list == lists.end()) {
      return Fail(file, rule->id,
                  "no word list named '" + *name + "' (declare it in the file's [lists] table)");
    }
    rule->name_particles = list->second;
  }
  if (rule->name_particles && !rule->name_continues) {
    return Fail(file, rule->id, "name_particles needs name_continues (the words they join)");
  }
  return Status::Ok();
}

// The expanded pattern and allow patterns compile, and the group the rule redacts is one of
// the pattern's own.
Status CheckRulePatterns(const std::string& file, int own_group, const Rule* rule) {
  int groups = 0;
  Status s = CheckPattern(rule->pattern, &groups);
  if (!s.ok()) return Fail(file, rule->id, s.message());
  // Every placeholder's group must be one RE2 counts too (a pattern the scanner misread,
  // e.g. with \Q...\E, is refused rather than checked against the wrong words).
  for (const ListCheck& c : rule->list_checks) {
    if (c.group > groups) {
      return Fail(file, rule->id,
                  "cannot tell which group holds a {{list}} word; write the pattern without "
                  "\\Q...\\E around brackets");
    }
  }
  const int own_groups = groups - int(rule->list_checks.size());
  if (own_group > own_groups) {
    return Fail(file, rule->id,
                "group " + std::to_string(own_group) + " is beyond the pattern's " +
                    std::to_string(own_groups) + " capture groups");
  }
  if (rule->group > groups) {
    return Fail(file, rule->id,
                "group " + std::to_string(own_group) + " is beyond the pattern's " +
                    std::to_string(groups - int(rule->list_checks.size())) + " capture groups");
  }
  for (const std::string& a : rule->allow) {
    s = CheckPattern(a, nullptr);
    if (!s.ok()) return Fail(file, rule->id, "allow " + s.message());
  }
  return Status::Ok();
}

Status ParseRule(const toml::table& t, const std::string& file, size_t index, const Lists& lists,
                 bool check_patterns, Rule* rule) {
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
  if (Status bad = TomlEscapeTrap(*pattern, "pattern", file, rule->id); !bad.ok()) return bad;
  rule->pattern = *pattern;
  rule->description = t["description"].value_or<std::string>("");
  for (Status s : {ReadAction(t, file, rule), ReadMatching(t, file, rule),
                   ReadExamples(t, file, rule), ReadContext(t, file, rule),
                   ReadSwitches(t, file, rule), ReadNameKeys(t, lists, file, rule)}) {
    if (!s.ok()) return s;
  }
  const int own_group = rule->group;
  if (Status s = ExpandLists(lists, rule); !s.ok()) return s;
  // Rules another process checked (a document worker's) skip what only finds mistakes: each
  // RE2 compilation here costs as much as the matcher's own.
  if (!check_patterns) return Status::Ok();
  return CheckRulePatterns(file, own_group, rule);
}

// Reads a word list: one entry a line, lower-cased; blank lines and lines starting with '#'
// are skipped. Each file is read once however many rule files name it.
Result<std::shared_ptr<const WordList>> LoadWordList(const std::string& name,
                                                     const std::string& path,
                                                     const std::string& file, Lists* cache) {
  std::error_code ec;
  const std::string key = fs::weakly_canonical(path, ec).string();
  if (auto known = cache->find(key); known != cache->end()) return known->second;
  auto bytes = ReadFile(path, 64 << 20);
  if (!bytes.ok()) return Fail(file, "", "word list '" + name + "': " + bytes.status().message());
  auto list = std::make_shared<WordList>();
  list->name = name;
  list->path = path;
  list->sha256 = Sha256Hex(*bytes);
  // Lower-cased entries, one a line, copied once into the list's own buffer.
  list->data.reserve(bytes->size());
  std::vector<std::pair<size_t, size_t>> entries;
  size_t from = 0;
  while (from < bytes->size()) {
    size_t nl = bytes->find('\n', from);
    if (nl == std::string::npos) nl = bytes->size();
    size_t end = nl;
    while (end > from && ((*bytes)[end - 1] == '\r' || (*bytes)[end - 1] == ' ')) --end;
    if (end > from && (*bytes)[from] != '#') {
      entries.emplace_back(list->data.size(), end - from);
      for (size_t i = from; i < end; ++i) {
        const char c = (*bytes)[i];
        list->data.push_back(c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c);
      }
      list->data.push_back('\n');
    }
    from = nl + 1;
  }
  list->words.reserve(entries.size());
  const std::string_view data = list->data;
  for (const auto& [at, len] : entries) list->words.push_back(data.substr(at, len));
  // The shipped lists are written sorted; a hand-edited one is sorted here.
  if (!std::is_sorted(list->words.begin(), list->words.end())) {
    std::sort(list->words.begin(), list->words.end());
  }
  list->words.erase(std::unique(list->words.begin(), list->words.end()), list->words.end());
  if (list->words.empty())
    return Fail(file, "", "word list '" + name + "' (" + path + ") is empty");
  (*cache)[key] = list;
  return std::shared_ptr<const WordList>(list);
}

Result<RuleSet> LoadRuleFile(const std::string& path, bool check_patterns, Lists* list_cache) {
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
    if (key != "ruleset" && key != "rule" && key != "lists") {
      return Fail(path, "", "unknown key '" + key + "'");
    }
  }
  // [lists]: name = "path of a word list, relative to this file".
  Lists lists;
  if (const toml::node* ln = doc.get("lists")) {
    const toml::table* lt = ln->as_table();
    if (!lt) return Fail(path, "", "lists must be a table of name = \"file\"");
    std::string shas;
    for (auto&& [k, v] : *lt) {
      const std::string name(k.str());
      auto rel = v.value<std::string>();
      if (!rel) return Fail(path, "", "lists." + name + " must be a file name");
      const std::string list_path =
          (fs::path(path).parent_path() / *rel).lexically_normal().string();
      auto list = LoadWordList(name, list_path, path, list_cache);
      if (!list.ok()) return list.status();
      lists[name] = *list;
      set.list_files.emplace_back(*rel, list_path);
      shas += (*list)->sha256;
    }
    // The set's hash covers the lists it uses, so the audit names the data it ran with.
    set.sha256 = Sha256Hex(set.sha256 + shas);
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
    Status s = ParseRule(*t, path, index++, lists, check_patterns, &r);
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
        ExampleResult r{rule.id, rule.file, expect_redact, example, {}, false, {}};
        if (!one.ok()) {
          r.error = one.status().message();
        } else if (auto spans = (*one)->FindSpans(example); !spans.ok()) {
          r.error = spans.status().message();
        } else {
          for (const RuleSpan& s : *spans) r.found.emplace_back(s.begin, s.end);
        }
        r.passed = r.error.empty() && (expect_redact ? !r.found.empty() : r.found.empty());
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
  Lists list_cache;
  for (const std::string& f : files) {
    auto set = LoadRuleFile(f, options.check_patterns, &list_cache);
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
  auto matcher = RuleMatcher::Compile(std::move(all), options.check_patterns);
  if (!matcher.ok()) return matcher.status();
  catalog.matcher = *matcher;
  if (options.check_examples) {
    for (const ExampleResult& r : RunRuleExamples(catalog)) {
      if (r.passed) continue;
      if (!r.error.empty()) {
        return Fail(r.file, r.rule_id,
                    "cannot run the rule on its example \"" + r.example + "\": " + r.error);
      }
      return Fail(r.file, r.rule_id,
                  std::string(r.expect_redact ? "examples.redact" : "examples.keep") +
                      " disagrees with the rule: \"" + r.example + "\" " +
                      (r.expect_redact ? "is not matched" : "is matched"));
    }
  }
  return catalog;
}

}  // namespace redact
