#include <gtest/gtest.h>

#include <set>

#include "pipeline/rules/rule_loader.h"
#include "pipeline/rules/rule_matcher.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::kSourceDir;

std::string InvalidRules(const std::string& name) {
  return kSourceDir + "/tests/data/invalid_rules/" + name;
}

Rule MakeRule(std::string id, std::string pattern) {
  Rule r;
  r.id = std::move(id);
  r.pattern = std::move(pattern);
  r.exemption = "s.31(1)(a)";
  r.file = "test.toml";
  return r;
}

// One file per loader error, each with the message a user sees.
struct InvalidCase {
  std::string file;
  std::string expected;  // a substring of the message
};

const std::vector<InvalidCase>& InvalidCases() {
  static const std::vector<InvalidCase> cases = {
      {"bad_pattern.toml",
       "bad_pattern.toml:broken.paren: pattern: RE2 error: missing ): offending piece"},
      {"bad_allow.toml",
       "bad_allow.toml:broken.allow: allow pattern: RE2 error: invalid character class range"},
      {"duplicate_id.toml", "duplicate_id.toml:twice: duplicate rule id"},
      {"unknown_key.toml", "unknown_key.toml:typo.key: unknown key 'exemptoin'"},
      {"group_beyond.toml",
       "group_beyond.toml:group.two: group 2 is beyond the pattern's 1 capture groups"},
      {"example_disagrees.toml",
       "example_disagrees.toml:gchq.only: examples.redact disagrees with the rule: \"shared with "
       "MI5\" is not matched"},
      {"bad_action.toml",
       "bad_action.toml:action.delete: action must be \"redact\", \"flag\" or \"note\""},
      {"missing_exemption.toml", "missing_exemption.toml:no.label: missing exemption"},
      {"bad_box_width.toml",
       "bad_box_width.toml:box.wide: box_width_cm must be a number of centimetres, above 0"},
      {"toml_syntax.toml", "toml_syntax.toml:TOML error at line 6"},
      {"missing_ruleset.toml", "missing_ruleset.toml:missing [ruleset] table"},
      {"bad_context.toml", "bad_context.toml:context.typo: unknown key 'context.within'"},
      {"unknown_disable.toml", "unknown_disable.toml:disable names no loaded rule: 'no.such.rule'"},
      {"missing_extends.toml",
       "missing_extends.toml:extends 'uk-foi-network-v9', which is not loaded"},
      {"bad_flag_type.toml", "bad_flag_type.toml:enabled.string: enabled must be true or false"},
      {"unknown_list.toml", "unknown_list.toml:list.typo: no word list named 'nmae'"},
      {"missing_list.toml", "missing_list.toml:word list 'name': cannot"},
      {"phrase_list_too_long.toml",
       "phrase_list_too_long.toml:phrase.too-long: word list 'surname' has 95199 entries, more "
       "than a {{list:phrase}} takes (5000); use {{surname}}"},
  };
  return cases;
}

TEST(LoadRules, EveryInvalidFileFailsWithItsReason) {
  const std::vector<InvalidCase>& cases = InvalidCases();

  for (const InvalidCase& c : cases) {
    auto cat = LoadRules({InvalidRules(c.file)});
    ASSERT_FALSE(cat.ok()) << c.file;
    EXPECT_EQ(cat.status().code(), Status::Code::kInvalidRules);
    EXPECT_NE(cat.status().message().find(c.expected), std::string::npos)
        << c.file << "\n  got: " << cat.status().message() << "\n  want: " << c.expected;
  }
}

TEST(LoadRules, EveryInvalidFileHasACase) {
  // A new file in tests/data/invalid_rules/ without a case above would go untested, and a
  // case whose file is gone would test nothing.
  std::set<std::string> files, named;
  for (auto& e : std::filesystem::directory_iterator(kSourceDir + "/tests/data/invalid_rules")) {
    if (e.path().extension() == ".toml") files.insert(e.path().filename().string());
  }
  for (const InvalidCase& c : InvalidCases()) named.insert(c.file);
  EXPECT_EQ(files, named);
  EXPECT_FALSE(files.empty());
}

// {{list}} in a pattern: a capitalised word that is in the list (and, with {{a!b}}, not in b);
// a longest match that fails gives back its optional part; groups keep the pattern's own
// numbering.
TEST(RuleMatcher, WordListsCheckTheWordsAPatternMatched) {
  auto cat = LoadRules({kSourceDir + "/tests/data/rules_lists"});
  ASSERT_TRUE(cat.ok()) << cat.status().message();
  auto spans_of = [&](const std::string& text) {
    std::vector<std::string> out;
    auto spans = cat->matcher->FindSpans(text);
    EXPECT_TRUE(spans.ok());
    for (const RuleSpan& s : *spans) {
      out.push_back(cat->matcher->rules()[s.rule].id + ":" + text.substr(s.begin, s.end - s.begin));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(spans_of("said Daniel Okafor today"), V{"test.two-names:Daniel Okafor"});
  EXPECT_EQ(spans_of("RACHEL MARK MORGAN"), V{"test.two-names:RACHEL MARK MORGAN"});
  // "Okafor" fails as a middle name's surname: the match without the middle part is taken.
  EXPECT_EQ(spans_of("Daniel Okafor Smith"), V{"test.two-names:Daniel Okafor"});
  EXPECT_EQ(spans_of("Mark Okafor and Daniel Smith"), V{});  // "mark" is a word; no surname
  EXPECT_EQ(spans_of("Daniel Okafors"), V{});  // not the list's word, however it is cut
  EXPECT_EQ(spans_of("Okafor 4471"), V{"test.group-after:4471"});
  // A phrase list: the longest entry at a place, words apart by any space, as written or in
  // capitals, a model after it; "TACACS+" ends in no word edge; no entry inside a longer word.
  EXPECT_EQ(spans_of("a Fortinet  FortiGate 600E here"), V{"test.phrase:Fortinet  FortiGate 600E"});
  EXPECT_EQ(spans_of("THALES LUNA and thales luna"), V{"test.phrase:THALES LUNA"});
  const V three = {"test.phrase:Fortinet", "test.phrase:TACACS+", "test.phrase:Thales\nLuna"};
  EXPECT_EQ(spans_of("Fortinet, TACACS+ and Thales\nLuna"), three);
  EXPECT_EQ(spans_of("Fortinetwork and Thales alone"), V{});
  const Rule& r = cat->matcher->rules()[0];
  ASSERT_EQ(r.name_parts.size(), 1u);
  EXPECT_TRUE(r.name_parts[0].Passes("Okafor"));
  EXPECT_FALSE(r.name_parts[0].Passes("Mark"));
  EXPECT_TRUE(r.name_parts[0].Passes("Okafor's"));
}

TEST(LoadRules, LocalPackExtendsAndDisables) {
  auto cat = LoadRules({kSourceDir + "/rules", kSourceDir + "/tests/data/rules_local"});
  ASSERT_TRUE(cat.ok()) << cat.status().message();
  auto spans = cat->matcher->FindSpans("device 00:1A:2B:3C:4D:5E under operation kestrel");
  ASSERT_TRUE(spans.ok());
  ASSERT_EQ(spans->size(), 1u);  // the MAC address rule is off; the codename is found
  EXPECT_EQ(cat->matcher->rules()[(*spans)[0].rule].id, "northshire.project-name");
  // Without the shipped network pack the local one cannot load.
  auto alone = LoadRules({kSourceDir + "/tests/data/rules_local"});
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.status().message().find("extends 'uk-foi-network'"), std::string::npos);
}

TEST(RuleMatcher, ContextRequireAndForbid) {
  Rule r = MakeRule("port", R"(\b\d{4,5}\b)");
  r.context_require = {"port", "tcp"};
  r.context_forbid = {"invoice"};
  r.context_before = 20;
  r.context_after = 12;
  auto m = RuleMatcher::Compile({r});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->FindSpans("listening on port 8443 today")->size(), 1u);
  EXPECT_EQ((*m)->FindSpans("a total of 8443 staff")->size(), 0u);
  EXPECT_EQ((*m)->FindSpans("port 8443 on invoice")->size(), 0u);
  std::vector<MatchTrace> trace;
  ASSERT_TRUE((*m)->FindSpans("a total of 8443 staff", &trace).ok());
  ASSERT_EQ(trace.size(), 1u);
  EXPECT_EQ(trace[0].decision, "context: none of the required words is near");
}

TEST(RuleMatcher, CaseInsensitiveAndDisabledRules) {
  Rule a = MakeRule("a", "GCHQ");
  a.case_sensitive = false;
  Rule b = MakeRule("b", "MI5");
  b.enabled = false;
  auto m = RuleMatcher::Compile({a, b});
  ASSERT_TRUE(m.ok());
  auto spans = (*m)->FindSpans("gchq and MI5");
  ASSERT_TRUE(spans.ok());
  ASSERT_EQ(spans->size(), 1u);
  EXPECT_EQ((*spans)[0].rule, 0u);
}

TEST(RuleMatcher, RequestersQuestionIsFlaggedNotRedacted) {
  auto cat = LoadRules({kSourceDir + "/rules"});
  ASSERT_TRUE(cat.ok());
  std::string text = "1) Do you use SSL?\nAnswer: remote laptops use TLS 1.2.";
  auto spans = cat->matcher->FindSpans(text);
  ASSERT_TRUE(spans.ok());
  std::vector<std::string> seen;
  for (const RuleSpan& s : *spans) {
    const Rule& r = cat->matcher->rules()[s.rule];
    seen.push_back((r.action == Action::kRedact ? "redact " : "flag ") +
                   text.substr(s.begin, s.end - s.begin));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"flag SSL", "redact TLS 1.2"}));
}

TEST(LoadRules, ShippedPacksLoad) {
  auto cat = LoadRules({kSourceDir + "/rules"});
  ASSERT_TRUE(cat.ok()) << cat.status().message();
  EXPECT_GE(cat->sets.size(), 5u);
  for (const RuleSet& s : cat->sets) {
    EXPECT_EQ(s.sha256.size(), 64u);
    for (const Rule& r : s.rules) {
      EXPECT_FALSE(r.examples_redact.empty()) << r.id;
      EXPECT_FALSE(r.examples_keep.empty()) << r.id;
    }
  }
}

TEST(LoadRules, MissingPathIsAnError) {
  auto cat = LoadRules({"/nonexistent/rules"});
  ASSERT_FALSE(cat.ok());
  EXPECT_NE(cat.status().message().find("no such rules file"), std::string::npos);
}

TEST(RuleMatcher, FindsSpansInTextOrder) {
  auto m = RuleMatcher::Compile(
      {MakeRule("ip", R"(\b\d+\.\d+\.\d+\.\d+\b)"), MakeRule("aes", R"(\bAES-?256\b)")});
  ASSERT_TRUE(m.ok());
  std::string text = "AES-256 on 10.0.0.1 and 10.0.0.2";
  auto spans = (*m)->FindSpans(text);
  ASSERT_TRUE(spans.ok());
  ASSERT_EQ(spans->size(), 3u);
  EXPECT_EQ(text.substr((*spans)[0].begin, (*spans)[0].end - (*spans)[0].begin), "AES-256");
  EXPECT_EQ((*spans)[0].rule, 1u);
  EXPECT_EQ(text.substr((*spans)[2].begin, (*spans)[2].end - (*spans)[2].begin), "10.0.0.2");
}

TEST(RuleMatcher, AllowListKeepsMatchesInsideIt) {
  Rule r = MakeRule("security", R"(\bSecurity\s+Bodies\b)");
  r.allow = {R"((?i)section\s+23\(5\)[^;]*)"};
  auto m = RuleMatcher::Compile({r});
  ASSERT_TRUE(m.ok());
  auto kept = (*m)->FindSpans("Section 23(5) Information concerning certain Security Bodies");
  ASSERT_TRUE(kept.ok());
  EXPECT_TRUE(kept->empty());
  auto hit = (*m)->FindSpans("a meeting with Security Bodies");
  ASSERT_TRUE(hit.ok());
  EXPECT_EQ(hit->size(), 1u);
}

TEST(RuleMatcher, GroupRedactsOnlyTheCapture) {
  Rule r = MakeRule("port", R"(port\s+(\d+))");
  r.group = 1;
  auto m = RuleMatcher::Compile({r});
  ASSERT_TRUE(m.ok());
  std::string text = "listening on port 8443 today";
  auto spans = (*m)->FindSpans(text);
  ASSERT_TRUE(spans.ok());
  ASSERT_EQ(spans->size(), 1u);
  EXPECT_EQ(text.substr((*spans)[0].begin, (*spans)[0].end - (*spans)[0].begin), "8443");
}

TEST(RuleMatcher, KeywordsGateTheRule) {
  Rule r = MakeRule("num", R"(\d{4})");
  r.keywords = {"port"};
  auto m = RuleMatcher::Compile({r});
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->FindSpans("in 2017 we")->empty());
  EXPECT_EQ((*m)->FindSpans("PORT 8443")->size(), 1u);
}

TEST(RuleMatcher, FindLiteralIgnoresCaseAndLineBreaksButNotPartsOfWords) {
  std::string text = "the Security\nService and SECURITY SERVICE but not securityservices";
  auto hits = RuleMatcher::FindLiteral(text, "security service");
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].first, 4u);
  auto sis = RuleMatcher::FindLiteral("an analysis by SIS", "SIS");
  ASSERT_TRUE(sis.ok());
  ASSERT_EQ(sis->size(), 1u);
  EXPECT_EQ((*sis)[0].first, 15u);
}

TEST(RunRuleExamples, ReportsWhatWasFound) {
  Rule r = MakeRule("gchq", R"(\bGCHQ\b)");
  r.examples_redact = {"with GCHQ", "with MI5"};
  r.examples_keep = {"GCHQ again"};
  RuleCatalog cat;
  RuleSet set;
  set.id = "s";
  set.rules = {r};
  cat.sets.push_back(set);
  auto results = RunRuleExamples(cat);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_TRUE(results[0].passed);
  EXPECT_FALSE(results[1].passed);
  EXPECT_FALSE(results[2].passed);
  ASSERT_EQ(results[2].found.size(), 1u);
  EXPECT_EQ(results[2].found[0].first, 0u);
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

// A rule the engine cannot run fails its examples, with the engine's error: it never passes
// because "no match" was what an example of examples.keep expected.
TEST(RunRuleExamples, AnEngineErrorIsAFailedExample) {
  RuleCatalog catalog;
  RuleSet set;
  Rule broken;
  broken.id = "broken.paren";
  broken.file = "broken.toml";
  broken.pattern = "(unclosed";
  broken.exemption = "s.31(1)(a)";
  broken.examples_keep = {"nothing to see"};
  set.rules.push_back(broken);
  catalog.sets.push_back(std::move(set));
  const auto results = RunRuleExamples(catalog);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].passed);
  EXPECT_NE(results[0].error.find("missing )"), std::string::npos) << results[0].error;
}

}  // namespace
}  // namespace redact
