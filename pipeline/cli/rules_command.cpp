#include <boost/program_options.hpp>
#include <iostream>
#include <map>

#include "pipeline/batch/batch.h"
#include "pipeline/batch/inputs.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/core/files.h"
#include "pipeline/rules/rule_loader.h"

namespace redact {
namespace po = boost::program_options;

namespace {

const char* kRulesUsage = R"(Usage: redact rules test [RULES...]
       redact rules lint [RULES...]
       redact rules explain "some text" [--rules RULES] | --file FILE

test: loads the rule files (default: the installed packs) and runs every rule over each of
      its examples: examples.redact must be matched, examples.keep must not. Prints each
      disagreement with the spans that were found.
lint: loads and checks the rule files (syntax, unknown keys, duplicate ids, RE2 errors,
      capture groups, rules that never fire on their own examples) and warns about rules
      with fewer than two examples of each kind, patterns that match the empty string, and
      disabled rules. Warnings alone exit 0 (--strict: 4), so CI can show them and pass.
explain: shows, for a piece of text, every rule that matched where, and what decided each
      candidate (a match, an allow-list, a context rule, missing keywords).

Exit codes: 0 all good (explain: nothing would be redacted; lint: no errors, warnings
allowed), 1 bad arguments, 3 (explain) some rule would redact part of the text, 4 invalid
rules, a failed example, a lint error (or, with --strict, a lint warning).
)";

std::string ShowSpans(const std::string& text,
                      const std::vector<std::pair<size_t, size_t>>& spans) {
  std::string out;
  size_t pos = 0;
  for (const auto& [b, e] : spans) {
    if (b < pos) continue;
    out += text.substr(pos, b - pos) + "[[" + text.substr(b, e - b) + "]]";
    pos = e;
  }
  return out + text.substr(pos);
}

int Explain(const RuleCatalog& catalog, const std::string& text) {
  std::vector<MatchTrace> trace;
  auto spans = catalog.matcher->FindSpans(text, &trace);
  if (!spans.ok()) {
    std::cerr << spans.status().message() << "\n";
    return kExitSomeFailed;
  }
  size_t redact = 0;
  for (const MatchTrace& t : trace) {
    const Rule& r = catalog.matcher->rules()[t.rule];
    std::string piece = t.end > t.begin ? text.substr(t.begin, t.end - t.begin) : "";
    for (char& c : piece) {
      if (c == '\n') c = ' ';
    }
    const bool match = t.decision == "match";
    if (match && r.action == Action::kRedact) ++redact;
    std::cout << (match ? (r.action == Action::kRedact ? "REDACT "
                           : r.action == Action::kFlag ? "FLAG   "
                                                       : "NOTE   ")
                        : "keep   ")
              << r.id << " [" << r.exemption << "]";
    if (t.end > t.begin) std::cout << " " << t.begin << "-" << t.end << " \"" << piece << "\"";
    if (!match) std::cout << " (" << t.decision << ")";
    std::cout << "\n";
  }
  if (trace.empty()) std::cout << "no rule matches this text\n";
  return redact ? kExitFindings : kExitOk;
}

// `rules lint`: warnings for rules that may be wrong though they load (exit 0 unless
// `strict`), and errors for rules that are (exit 4): one that can never fire.
int Lint(const RuleCatalog& catalog, size_t rules, bool strict) {
  size_t warnings = 0, errors = 0;
  for (const RuleSet& s : catalog.sets) {
    for (const Rule& r : s.rules) {
      auto warn = [&](const std::string& w) {
        std::cout << r.file << ":" << r.id << ": warning: " << w << "\n";
        ++warnings;
      };
      if (r.examples_redact.size() < 2 || r.examples_keep.size() < 2) {
        warn("needs at least two examples.redact and two examples.keep");
      }
      if (PatternMatchesEmpty(r.pattern)) warn("the pattern matches the empty string");
      for (const std::string& a : r.allow) {
        if (PatternMatchesEmpty(a)) warn("an allow pattern matches the empty string");
      }
      if (!r.enabled) std::cout << r.file << ":" << r.id << ": note: disabled\n";
    }
  }
  // A rule none of whose redact examples survive its allow-list or context can never fire.
  std::map<std::string, size_t> fired;
  for (const ExampleResult& e : RunRuleExamples(catalog)) {
    if (e.expect_redact) fired[e.file + ":" + e.rule_id] += e.found.empty() ? 0 : 1;
  }
  for (const auto& [rule, n] : fired) {
    if (n == 0) {
      std::cout << rule << ": error: never fires on its own examples (an allow-list or "
                << "context covers them)\n";
      ++errors;
    }
  }
  std::cout << catalog.sets.size() << " rule files, " << rules << " rules, " << errors
            << " errors, " << warnings << " warnings\n";
  return errors || (strict && warnings) ? kExitInvalidRules : kExitOk;
}

// `rules test`: every example of every rule, each failure shown.
int TestExamples(const RuleCatalog& catalog, size_t rules) {
  size_t failed = 0, total = 0;
  for (const ExampleResult& r : RunRuleExamples(catalog)) {
    ++total;
    if (r.passed) continue;
    ++failed;
    std::cout << r.file << ":" << r.rule_id << ": FAIL "
              << (r.expect_redact ? "examples.redact" : "examples.keep") << "\n"
              << "  example:  " << r.example << "\n"
              << "  expected: " << (r.expect_redact ? "a match" : "no match") << "\n"
              << "  found:    " << (r.found.empty() ? "(nothing)" : ShowSpans(r.example, r.found))
              << "\n";
    if (!r.error.empty()) std::cout << "  error:    " << r.error << "\n";
  }
  std::cout << catalog.sets.size() << " rule files, " << rules << " rules, " << total
            << " examples, " << failed << " failed\n";
  return failed ? kExitInvalidRules : kExitOk;
}

// `rules explain`'s text: --file FILE, or the positional words. Empty (with the reason said)
// when there is none.
bool ExplainText(const std::string& file, const std::vector<std::string>& words,
                 std::string* text) {
  if (!file.empty()) {
    auto data = ReadFile(file);
    if (!data.ok()) {
      std::cerr << "redact rules explain: " << data.status().message() << "\n";
      return false;
    }
    *text = *data;
  } else {
    for (const std::string& w : words) *text += (text->empty() ? "" : " ") + w;
  }
  if (text->empty()) {
    std::cerr << "redact rules explain: give the text, or --file FILE\n";
    return false;
  }
  return true;
}

}  // namespace

int RulesCommand(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::vector<std::string> rule_opts;
  std::string verb, file;
  po::options_description visible("Options");
  visible.add_options()("help,h", "show this help")("rules,r", po::value(&rule_opts)->composing(),
                                                    "explain: rule file or folder (repeatable)")(
      "file,f", po::value(&file), "explain: read the text from FILE")("strict",
                                                                      "lint: warnings exit 4 too");
  po::options_description all;
  all.add(visible).add_options()("verb", po::value(&verb))("args", po::value(&paths)->composing());
  po::positional_options_description pos;
  pos.add("verb", 1).add("args", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "redact rules: " << e.what() << "\n\n" << kRulesUsage;
    return kExitBadArguments;
  }
  if (vm.count("help")) {
    std::cout << kRulesUsage << "\n" << visible;
    return kExitOk;
  }
  if (verb != "test" && verb != "lint" && verb != "explain") {
    std::cerr << "redact rules: say test, lint or explain\n\n" << kRulesUsage;
    return kExitBadArguments;
  }
  std::string text;
  if (verb == "explain") {
    // Positional words are the text; rule files come from --rules.
    if (!ExplainText(file, paths, &text)) return kExitBadArguments;
    paths = rule_opts;
  }
  if (paths.empty()) paths = DefaultRulePaths();
  LoadOptions opts;
  opts.check_examples = false;
  auto catalog = LoadRules(paths, opts);
  if (!catalog.ok()) {
    std::cerr << catalog.status().message() << "\n";
    return kExitInvalidRules;
  }
  size_t rules = 0;
  for (const RuleSet& s : catalog->sets) rules += s.rules.size();
  if (verb == "explain") return Explain(*catalog, text);
  if (verb == "lint") return Lint(*catalog, rules, vm.count("strict") > 0);
  return TestExamples(*catalog, rules);
}

}  // namespace redact
