#include "pipeline/detect/detect.h"

#include <gtest/gtest.h>

#include "pipeline/core/page_text_builder.h"
#include "pipeline/rules/rule_loader.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::MakeWord;

// Lays out `lines` of space-separated words, 6 pt per character.
PageText Layout(int page, const std::vector<std::string>& lines) {
  std::vector<Word> words;
  std::vector<bool> spaces;
  for (size_t l = 0; l < lines.size(); ++l) {
    double x = 10;
    size_t pos = 0;
    const std::string& s = lines[l];
    while (pos < s.size()) {
      size_t end = s.find(' ', pos);
      if (end == std::string::npos) end = s.size();
      words.push_back(MakeWord(s.substr(pos, end - pos), x, int(l)));
      spaces.push_back(true);
      x += 6.0 * double(end - pos + 1);
      pos = end + 1;
    }
  }
  return BuildPageText(page, 595, 842, words, spaces);
}

Rule MakeRule(std::string id, std::string pattern, Action action = Action::kRedact) {
  Rule r;
  r.id = std::move(id);
  r.pattern = std::move(pattern);
  r.action = action;
  r.exemption = "s.23(1)";
  return r;
}

std::shared_ptr<const RuleMatcher> Matcher(std::vector<Rule> rules) {
  auto m = RuleMatcher::Compile(std::move(rules));
  EXPECT_TRUE(m.ok());
  return *m;
}

TEST(DetectFindings, MatchAcrossLinesGivesOneBoxPerLine) {
  PageText page = Layout(1, {"shared with Government Communications", "Headquarters today"});
  auto m = Matcher({MakeRule("gchq", R"(Government\s+Communications\s+Headquarters)")});
  auto f = DetectFindings({page}, *m);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 1u);
  const Finding& finding = (*f)[0];
  EXPECT_EQ(finding.text, "Government Communications\nHeadquarters");
  ASSERT_EQ(finding.boxes.size(), 2u);
  // First line: from "Government" (x=82) to the end of "Communications", padded by 1 pt.
  EXPECT_DOUBLE_EQ(finding.boxes[0].x0, 10 + 6 * 12 - 1);
  EXPECT_DOUBLE_EQ(finding.boxes[0].x1, 10 + 6 * 12 + 6 * 25 + 1);
  EXPECT_DOUBLE_EQ(finding.boxes[1].x0, 9);
  EXPECT_DOUBLE_EQ(finding.boxes[1].x1, 10 + 6 * 12 + 1);
}

TEST(DetectFindings, HyphenatedMatchBoxesTheHyphen) {
  PageText page = Layout(1, {"with Commu-", "nications Headquarters"});
  auto m = Matcher({MakeRule("c", R"(Communications)")});
  auto f = DetectFindings({page}, *m);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 1u);
  ASSERT_EQ((*f)[0].boxes.size(), 2u);
  // "Commu-" starts at x=40 and its hyphen ends at 40 + 6*6 = 76.
  EXPECT_DOUBLE_EQ((*f)[0].boxes[0].x1, 76 + 1);
}

TEST(DetectFindings, OverlappingRedactionsMerge) {
  PageText page = Layout(1, {"the Security Service (MI5) said"});
  auto m = Matcher({MakeRule("a", R"(Security Service \(MI5)"), MakeRule("b", R"(MI5\) said)")});
  auto f = DetectFindings({page}, *m);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 1u);
  EXPECT_EQ((*f)[0].text, "Security Service (MI5) said");
  EXPECT_EQ((*f)[0].rule_id, "a");
}

TEST(DetectFindings, FlagInsideRedactionIsDropped) {
  PageText page = Layout(1, {"contact GCHQ internal only"});
  auto m = Matcher({MakeRule("r", R"(GCHQ internal)"), MakeRule("f", "GCHQ", Action::kFlag),
                    MakeRule("g", "only", Action::kFlag)});
  auto f = DetectFindings({page}, *m);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ((*f)[0].rule_id, "r");
  EXPECT_EQ((*f)[1].rule_id, "g");
  EXPECT_EQ((*f)[1].action, Action::kFlag);
}

TEST(DetectFindings, RedactedLiteralIsRedactedWhereverItRecurs) {
  // "Okafor" alone matches no rule, but "Mr Daniel Okafor" was redacted on page 1.
  PageText p1 = Layout(1, {"records for Mr Daniel Okafor were"});
  PageText p2 = Layout(2, {"as Daniel Okafor said and mr daniel okafor agreed"});
  auto m = Matcher({MakeRule("name", R"(Mr\s+[A-Z][a-z]+\s+[A-Z][a-z]+)")});
  auto f = DetectFindings({p1, p2}, *m);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 2u);
  EXPECT_EQ((*f)[1].page, 2);
  EXPECT_EQ((*f)[1].text, "mr daniel okafor");
  EXPECT_TRUE((*f)[1].consistency);
  EXPECT_EQ((*f)[1].rule_id, "name");
}

// The README's promise with the shipped lists: once a name is redacted, its surname and its
// forename alone go too, on any page, in the capitals they are written in; a part that is an
// ordinary word ("Bell") does not.
TEST(DetectFindings, ANamesPartsAreRedactedWhereverTheyRecur) {
  auto cat = LoadRules({testing::kSourceDir + "/rules"});
  ASSERT_TRUE(cat.ok()) << cat.status().message();
  PageText p1 = Layout(1, {"Contact Mr Daniel Okafor. Daniel Okafor said yes.", "PC 1187 Jo Bell"});
  PageText p2 = Layout(2, {"Okafor also said Daniel was away. OKAFOR signed. The bell rang.",
                           "\xE2\x80\x9COkafor\xE2\x80\x9D left."});
  auto f = DetectFindings({p1, p2}, *cat->matcher);
  ASSERT_TRUE(f.ok());
  std::vector<std::string> page2;
  for (const Finding& x : *f) {
    if (x.page == 2) page2.push_back(x.text);
  }
  // Curly quotes end the word, as the self-check's word edges do.
  EXPECT_EQ(page2, (std::vector<std::string>{"Okafor", "Daniel", "OKAFOR", "Okafor"}));
}

// After a title every word of the name is the person's, listed or not, and recurs redacted;
// the title and rank words are not the person's and stay.
TEST(DetectFindings, ATitledNamesOwnWordsRecurButItsTitleDoesNot) {
  auto cat = LoadRules({testing::kSourceDir + "/rules"});
  ASSERT_TRUE(cat.ok()) << cat.status().message();
  PageText p1 = Layout(1, {"Written by Insp. Si\xC3\xA2n Evans and Mrs Jane Okafor."});
  PageText p2 =
      Layout(2, {"Si\xC3\xA2n left. SI\xC3\x82N replied. The form asks Mrs, Insp or Sgt."});
  auto f = DetectFindings({p1, p2}, *cat->matcher);
  ASSERT_TRUE(f.ok());
  std::vector<std::string> page2;
  for (const Finding& x : *f) {
    if (x.page == 2) page2.push_back(x.text);
  }
  EXPECT_EQ(page2, (std::vector<std::string>{"Si\xC3\xA2n", "SI\xC3\x82N"}));
}

// A string redacted in one place is found where it recurs in capitals of any Latin alphabet,
// and where a table's cell holds it over two lines, as the self-check would find it.
TEST(DetectFindings, ARedactedStringRecursInAnyCapitalsAndInACellsLines) {
  // Only the first page's sentence matches the rules; the rest is found as the same strings.
  Rule owner = MakeRule("owner", "care of (Jo Bell)");
  owner.group = 1;
  Rule lab = MakeRule("lab", "went to (\xC3\x85ngstr\xC3\xB6m Labs)");
  lab.group = 1;
  auto m = Matcher({lab, owner});
  PageText p1 = Layout(1, {"Samples went to \xC3\x85ngstr\xC3\xB6m Labs, care of Jo Bell."});
  PageText p2 = Layout(2, {"\xC3\x85NGSTR\xC3\x96M LABS replied."});
  // Three columns; the owner cell wrapped "Jo" / "Bell" over two lines of the row.
  std::vector<bool> spaces;
  std::vector<Word> words = testing::NarrowTableWords(&spaces);
  PageText p3 = BuildPageText(3, 595, 842, words, spaces);
  ASSERT_EQ(p3.text.find("Jo Bell"), std::string::npos);
  ASSERT_NE(CellReading(p3).text.find("Jo Bell"), std::string::npos) << CellReading(p3).text;
  auto f = DetectFindings({p1, p2, p3}, *m);
  ASSERT_TRUE(f.ok());
  std::vector<std::string> later;
  for (const Finding& x : *f) {
    if (x.page > 1) later.push_back(x.text);
  }
  EXPECT_EQ(later, (std::vector<std::string>{"\xC3\x85NGSTR\xC3\x96M LABS", "Jo", "Bell"}));
}

TEST(DetectFindings, FingerprintsSurviveEditsElsewhere) {
  auto m = Matcher({MakeRule("ip", R"(\d+\.\d+\.\d+\.\d+)")});
  auto before = DetectFindings({Layout(1, {"gateway 10.0.0.1 and 10.0.0.2"})}, *m);
  auto after = DetectFindings(
      {Layout(1, {"A new first line was added.", "the gateway at 10.0.0.1 and also 10.0.0.2"})},
      *m);
  ASSERT_TRUE(before.ok() && after.ok());
  ASSERT_EQ(before->size(), 2u);
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ((*before)[0].fingerprint, (*after)[0].fingerprint);
  EXPECT_EQ((*before)[1].fingerprint, (*after)[1].fingerprint);
  EXPECT_NE((*before)[0].fingerprint, (*before)[1].fingerprint);
  EXPECT_EQ((*before)[0].fingerprint.size(), 16u);
}

TEST(DetectFindings, PlainTextHasNoBoxes) {
  PageText page;
  page.page = 1;
  page.text = "reported to GCHQ";
  auto m = Matcher({MakeRule("gchq", "GCHQ")});
  auto f = DetectFindings({page}, *m);
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 1u);
  EXPECT_TRUE((*f)[0].boxes.empty());
  EXPECT_EQ((*f)[0].begin, 12u);
}

}  // namespace
}  // namespace redact
