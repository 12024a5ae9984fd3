#include <boost/program_options.hpp>
#include <iostream>

#include "pipeline/batch/batch.h"
#include "pipeline/cli/commands.h"
#include "pipeline/core/exit_codes.h"
#include "pipeline/rules/rule_loader.h"

namespace redact {
namespace po = boost::program_options;

namespace {

const char* kRulesUsage = R"(Usage: redact rules test [RULES...]
       redact rules lint [RULES...]

test: loads the rule files (default: the installed packs) and runs every rule over each of
      its examples: examples.redact must be matched, examples.keep must not. Prints each
      disagreement with the spans that were found.
lint: loads and checks the rule files (syntax, unknown keys, duplicate ids, RE2 errors,
      capture groups, rules without examples) without running the examples.

Exit codes: 0 all good, 1 bad arguments, 4 invalid rules or a failed example.
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

}  // namespace

int RulesCommand(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  std::string verb;
  po::options_description visible("Options");
  visible.add_options()("help,h", "show this help");
  po::options_description all;
  all.add(visible).add_options()("verb", po::value(&verb))("rules", po::value(&paths)->composing());
  po::positional_options_description pos;
  pos.add("verb", 1).add("rules", -1);
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
  if (verb != "test" && verb != "lint") {
    std::cerr << "redact rules: say test or lint\n\n" << kRulesUsage;
    return kExitBadArguments;
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
  if (verb == "lint") {
    size_t warnings = 0;
    for (const RuleSet& s : catalog->sets) {
      for (const Rule& r : s.rules) {
        if (r.examples_redact.empty() || r.examples_keep.empty()) {
          std::cout << r.file << ":" << r.id
                    << ": warning: needs at least one examples.redact and one examples.keep\n";
          ++warnings;
        }
      }
    }
    std::cout << catalog->sets.size() << " rule files, " << rules << " rules, " << warnings
              << " warnings\n";
    return warnings ? kExitInvalidRules : kExitOk;
  }
  size_t failed = 0, total = 0;
  for (const ExampleResult& r : RunRuleExamples(*catalog)) {
    ++total;
    if (r.passed) continue;
    ++failed;
    std::cout << r.file << ":" << r.rule_id << ": FAIL "
              << (r.expect_redact ? "examples.redact" : "examples.keep") << "\n"
              << "  example:  " << r.example << "\n"
              << "  expected: " << (r.expect_redact ? "a match" : "no match") << "\n"
              << "  found:    " << (r.found.empty() ? "(nothing)" : ShowSpans(r.example, r.found))
              << "\n";
  }
  std::cout << catalog->sets.size() << " rule files, " << rules << " rules, " << total
            << " examples, " << failed << " failed\n";
  return failed ? kExitInvalidRules : kExitOk;
}

}  // namespace redact
