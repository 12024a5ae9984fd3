#pragma once
// Rules as plain data, as read from rules/*.toml. Compiling them is the rules stage's job.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/core/types.h"

namespace redact {

// A word list a rule's pattern names ({{forename}}): lower-case entries read from a file.
// The entries point into `data`, so a list is built once in place and never copied.
struct WordList {
  WordList() = default;
  WordList(const WordList&) = delete;
  WordList& operator=(const WordList&) = delete;
  std::string name;  // as the rule set's [lists] table names it
  std::string path;
  std::string sha256;                   // of the file's bytes, for the audit
  std::string data;                     // the entries, each followed by '\n'
  std::vector<std::string_view> words;  // sorted: a binary search, 16 bytes an entry

  // `word` (any case; a trailing possessive 's dropped) is in the list.
  bool Has(std::string_view word) const;
};

// A test on the words a capture group holds: every hyphen-separated part is in `in`, and the
// words are in none of `not_in`. From a pattern's {{in}}, {{in!not_in}} or {{in!a!b}};
// {{*!not_in}} leaves `in` empty: any capitalised word not in `not_in`.
struct ListCheck {
  int group = 0;  // capture group of the compiled pattern; 0 for a name part
  std::shared_ptr<const WordList> in;
  std::vector<std::shared_ptr<const WordList>> not_in;
  bool Passes(std::string_view words) const;
};

struct Rule {
  std::string id;
  std::string description;
  std::string pattern;  // RE2 syntax
  Action action = Action::kRedact;
  std::string exemption;              // e.g. "s.31(1)(a)"
  std::vector<std::string> keywords;  // lower-case; the rule only runs where one occurs
  std::vector<std::string> allow;     // RE2 patterns; a match inside one of their spans is kept
  int group = 0;                      // capture group to redact; 0 = the whole match
  // Context: the match counts only if one of `context_require` (when given) and none of
  // `context_forbid` occur within `context_before` / `context_after` characters of it
  // (lower-case substrings).
  std::vector<std::string> context_require;
  std::vector<std::string> context_forbid;
  int context_before = 60;
  int context_after = 60;
  bool case_sensitive = true;  // false: the pattern matches in any case
  bool enabled = true;         // false (or disabled by another set): loaded, checked, not run
  // false: what this rule redacts is not looked for elsewhere in the document (a detail that
  // is the person's only where its sentence says so: "a Turkish national", "born in 1962").
  bool consistency = true;
  int priority = 0;            // names a merged finding where rules overlap (higher wins)
  double min_confidence = -1;  // OCR confidence below which a flag is dropped; -1: the global one
  // Every box of this rule drawn this wide (centimetres), whatever it hides: for a kind with
  // so few members that even whole centimetres tell them apart (the security bodies). 0: the
  // box's width rounded up to whole centimetres (render/reflow.h).
  double box_width_cm = 0;
  // The pattern's {{list}} words, checked against their lists after RE2 matches.
  std::vector<ListCheck> list_checks;
  // A rule whose matches are people's names: each word of a match that passes one of these
  // checks (a forename or surname that is not an ordinary word) is redacted wherever else it
  // occurs in the document, in the same capitals ("Okafor", "OKAFOR").
  std::vector<ListCheck> name_parts;
  // A name is redacted whole: beside a match, a capitalised word passing `name_continues` (no
  // ordinary word), an initial, a suffix (Jr, III) and a particle of `name_particles` (de la,
  // van der, bin) followed by such a word are the same name, and the match grows over them.
  std::shared_ptr<const ListCheck> name_continues;
  std::shared_ptr<const WordList> name_particles;
  std::vector<std::string> examples_redact;
  std::vector<std::string> examples_keep;
  std::string file;  // where it was defined, for messages
};

struct RuleSet {
  std::string id;
  std::string description;
  std::string extends;               // another set's id that must be loaded too
  std::vector<std::string> disable;  // rule ids (of any set) this set turns off
  std::string path;
  std::string sha256;  // of the file's bytes and of the word lists it names, for the audit
  // The word lists its [lists] table names: the path as written (relative to the file) and
  // the file it resolved to.
  std::vector<std::pair<std::string, std::string>> list_files;
  std::vector<Rule> rules;
};

}  // namespace redact
