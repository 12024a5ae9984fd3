// Text as the rules read it (core/normalize.h) and names redacted whole (detect): disguised
// text is read as a reader sees it, and no part of a name is left beside its box.
#include <gtest/gtest.h>

#include <filesystem>

#include "pipeline/core/normalize.h"
#include "pipeline/core/page_text_builder.h"
#include "pipeline/core/text.h"
#include "pipeline/detect/detect.h"
#include "pipeline/rules/rule_loader.h"
#include "tests/test_util.h"

namespace redact {
namespace {

// A word at x on line `line` (12 pt apart), 6 pt per character (code point, not byte).
Word MakeWord(const std::string& text, double x, int line) {
  Word w;
  w.text = text;
  const double y = 100 + line * 12;
  const size_t n = DecodeUtf8(text).size();
  for (size_t i = 0; i < n; ++i) {
    w.char_boxes.push_back({x + 6.0 * double(i), y, x + 6.0 * double(i + 1), y + 10});
  }
  w.box = {x, y, x + 6.0 * double(n), y + 10};
  return w;
}

// ---- Reading: one case per disguise ----

struct Reading {
  std::string name, source, read;
};

const std::vector<Reading> kReadings = {
    {"zero-width space", "GC\u200bHQ", "GCHQ"},
    {"zero-width joiner", "north\u200dshire", "northshire"},
    {"soft hyphen", "Yubi\u00adKey", "YubiKey"},
    {"byte order mark and word joiner", "\ufeffN\u2060CSC", "NCSC"},
    {"no-break space in a number", "07700\u00a0900461", "07700 900461"},
    {"narrow and thin spaces", "07700\u202f900\u2009461", "07700 900 461"},
    {"full-width letters", "\uff2e\uff23\uff33\uff23", "NCSC"},
    {"Cyrillic Es among Latin letters", "N\u0421SC", "NCSC"},
    {"Greek capitals that look Latin", "\u039d\u0421\u0405\u0421", "NCSC"},
    {"a combining diaeresis", "Zoe\u0308", "Zo\u00eb"},
    {"a ligature", "O\ufb03cer", "Officer"},
    {"a right-to-left override", "to \u202eQHCG\u202c for", "to GCHQ for"},
    {"letter-spacing", "the N C S C by", "the NCSC by"},
    {"a line separator", "a\u2028b", "a\nb"},
    // What must not change: letters of other scripts in their own words, accents, initials.
    {"a Russian word keeps its letters", "\u041c\u043e\u0441\u043a\u0432\u0430",
     "\u041c\u043e\u0441\u043a\u0432\u0430"},
    {"accented Latin letters stay", "Si\u00e2n \u015eahin \u0130nce",
     "Si\u00e2n \u015eahin \u0130nce"},
    {"two initials are not letter-spacing", "J R Hartley", "J R Hartley"},
    {"ordinary text", "Contact DC Sarah Whitfield on 0121 626 5000.",
     "Contact DC Sarah Whitfield on 0121 626 5000."},
};

TEST(NormalizeText, EachDisguiseIsReadAsAReaderSeesIt) {
  for (const Reading& r : kReadings) {
    const NormalizedText n = NormalizeText(r.source);
    EXPECT_EQ(n.text, r.read) << r.name;
    ASSERT_EQ(n.source.size(), n.text.size()) << r.name;
  }
}

// Every byte read maps back to the bytes it came from, so a match becomes the stretch of the
// file to cut, invisible characters inside it included.
TEST(NormalizeText, AMatchMapsBackToTheFilesBytes) {
  const std::string source = "said Daniel Oka\u200bfor and N\u0421SC.";
  const NormalizedText n = NormalizeText(source);
  ASSERT_EQ(n.text, "said Daniel Okafor and NCSC.");
  const size_t name = n.text.find("Daniel Okafor");
  const SourceRange r = SourceSpan(n, name, name + 13);
  EXPECT_EQ(source.substr(r.begin, r.end - r.begin), "Daniel Oka\u200bfor");
  const size_t body = n.text.find("NCSC");
  const SourceRange b = SourceSpan(n, body, body + 4);
  EXPECT_EQ(source.substr(b.begin, b.end - b.begin), "N\u0421SC");
  // A reversed run maps back to the whole run, whichever end the match starts at.
  const std::string rlo = "to \u202eQHCG\u202c for";
  const NormalizedText m = NormalizeText(rlo);
  const SourceRange g = SourceSpan(m, 3, 7);
  EXPECT_EQ(rlo.substr(g.begin, g.end - g.begin), "QHCG");
}

// A word of a page keeps one box per character: a dropped character's box goes, a ligature's
// is shared, a soft hyphen at the end of a line is a hyphen.
TEST(NormalizeWord, BoxesFollowTheCharacters) {
  Word w = MakeWord("O\ufb03cer", 10, 0);  // 5 characters, 6 pt each
  ASSERT_EQ(w.char_boxes.size(), 5u);
  ASSERT_TRUE(NormalizeWord(&w));
  EXPECT_EQ(w.text, "Officer");
  ASSERT_EQ(w.char_boxes.size(), 7u);
  EXPECT_DOUBLE_EQ(w.char_boxes[1].x0, 16);
  EXPECT_DOUBLE_EQ(w.char_boxes[3].x1, 22);  // the ligature's box, in three slices
  EXPECT_DOUBLE_EQ(w.char_boxes[6].x1, 40);

  Word z = MakeWord("Oka\u200bfor", 10, 0);
  ASSERT_TRUE(NormalizeWord(&z));
  EXPECT_EQ(z.text, "Okafor");
  EXPECT_EQ(z.char_boxes.size(), 6u);
  EXPECT_DOUBLE_EQ(z.char_boxes[3].x0, 34);  // "f" keeps its own box

  Word h = MakeWord("Commu\u00ad", 10, 0);
  ASSERT_TRUE(NormalizeWord(&h));
  EXPECT_EQ(h.text, "Commu-");

  Word nothing = MakeWord("\u200b\u200c", 10, 0);
  EXPECT_FALSE(NormalizeWord(&nothing));
}

// ---- Names whole, with the shipped rules ----

// One line of words, 6 pt a character, a space apart.
PageText Line(const std::string& s) {
  std::vector<Word> words;
  std::vector<bool> spaces;
  double x = 10;
  for (size_t pos = 0; pos < s.size();) {
    size_t end = s.find(' ', pos);
    if (end == std::string::npos) end = s.size();
    Word w = MakeWord(s.substr(pos, end - pos), x, 0);
    x += 6.0 * double(w.char_boxes.size() + 1);
    words.push_back(std::move(w));
    spaces.push_back(true);
    pos = end + 1;
  }
  return BuildPageText(1, 595, 842, words, spaces);
}

struct NameCase {
  std::string line;
  std::string name;  // the whole name, as one redaction
};

const std::vector<NameCase> kNames = {
    {"The report of Dr. Mar\u00eda J. Ortega de la Fuente II was read.",
     "Mar\u00eda J. Ortega de la Fuente II"},
    {"Written by Mrs Anna Evagorou Christou Papadakis for the family.",
     "Anna Evagorou Christou Papadakis"},
    {"Our contact there was Daniel Oka\u200bfor, who visited.", "Daniel Okafor"},
    {"The letter from Mrs \u00d6zlem \u015eahin arrived.", "\u00d6zlem \u015eahin"},
    {"The letter from \u0130smail \u015eahin arrived.", "\u0130smail \u015eahin"},
    {"A visit by Mr \u0130smail \u00c7elik was logged.", "\u0130smail \u00c7elik"},
    {"Signed by Dr Ma\u0142gorzata \u015aliwa-Nowak", "Ma\u0142gorzata \u015aliwa-Nowak"},
    {"Sent to Pieter van der Berg and the team.", "Pieter van der Berg"},
    {"Dear Rachel Morgan, thank you.", "Rachel Morgan"},
    {"HARRIET BLACKWOOD DE LA FUENTE signed it.", "HARRIET BLACKWOOD DE LA FUENTE"},
    // Initials of two letters, an initial and a surname alone, a name the sentence introduces.
    {"leave to be represented by Mr Cz. S\u0142awski (Rule 36)", "Mr Cz. S\u0142awski"},
    {"The applicant was represented by C. Lenz, a lawyer.", "C. Lenz"},
    {"by a Turkish national, Hakk\u0131 Karadavut (\u201cthe applicant\u201d)",
     "Hakk\u0131 Karadavut"},
};

TEST(WholeNames, ANameIsOneRedactionFromFirstNameToSuffix) {
  auto cat = LoadRules({testing::kSourceDir + "/rules"});
  ASSERT_TRUE(cat.ok()) << cat.status().message();
  for (const NameCase& c : kNames) {
    auto f = DetectFindings({Line(c.line)}, *cat->matcher);
    ASSERT_TRUE(f.ok()) << c.line;
    bool whole = false;
    std::string found;
    for (const Finding& x : *f) {
      if (x.action != Action::kRedact) continue;
      found += "[" + x.text + "] ";
      if (x.text.find(c.name) != std::string::npos) whole = true;
    }
    EXPECT_TRUE(whole) << c.line << "\n  found: " << found;
  }
}

// What is beside a name and is not the name stays: an ordinary word, a place after a comma,
// another cell of a table, a word in other capitals.
TEST(WholeNames, WordsBesideANameThatAreNotItStay) {
  auto cat = LoadRules({testing::kSourceDir + "/rules"});
  ASSERT_TRUE(cat.ok()) << cat.status().message();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Contact Daniel Okafor Council officers agreed.", "Council"},
      {"Contact Daniel Okafor, Kettering office.", "Kettering"},
      {"Contact Daniel Okafor NHS trust.", "NHS"},
      {"The Okafor family de la Cruz report.", "report"},
      // A list word is a whole word: "BS" of a postcode is no surname.
      {"ABC Infrastructure Ltd, 3 River Park, Bristol BS1 6ED", "Bristol"},
      {"the REDACTED THEIR notes", "TED"},
  };
  for (const auto& [line, kept] : cases) {
    auto f = DetectFindings({Line(line)}, *cat->matcher);
    ASSERT_TRUE(f.ok());
    for (const Finding& x : *f) {
      if (x.action == Action::kRedact) {
        EXPECT_EQ(x.text.find(kept), std::string::npos) << line << ": " << x.text;
      }
    }
  }
}

// Two cells of a table drawn a word space apart read as one line ("Mr Dev Patel Under
// contract"): the name ends with its cell, and a title alone in a cell keeps its name.
TEST(WholeNames, ANameEndsWithItsCellOfATable) {
  auto cat = LoadRules({testing::kSourceDir + "/rules"});
  ASSERT_TRUE(cat.ok()) << cat.status().message();
  // Columns System (x = 10), Owner (70), Notes (157); the longest Owner cell ends 3 pt before
  // its Notes cell, as a narrow table a word processor drew.
  struct Cell {
    std::string text;
    double x;
    int line;
  };
  const std::vector<Cell> cells = {{"System", 10, 0}, {"Owner", 70, 0},     {"Notes", 157, 0},
                                   {"Mobile", 10, 1}, {"Mr", 70, 1},        {"Dev", 85, 1},
                                   {"Patel", 106, 1}, {"Under", 157, 1},    {"contract", 193, 1},
                                   {"Remote", 10, 2}, {"Insp.", 70, 2},     {"Sam", 103, 2},
                                   {"Price", 124, 2}, {"Being", 157, 2},    {"replaced", 193, 2},
                                   {"Case", 10, 3},   {"Ms", 70, 3},        {"Jo", 85, 3},
                                   {"Bell", 100, 3},  {"Reviewed", 157, 3}, {"yearly", 208, 3}};
  std::vector<Word> words;
  for (const Cell& c : cells) words.push_back(testing::MakeWord(c.text, c.x, c.line));
  const PageText page = BuildPageText(1, 595, 842, words, std::vector<bool>(words.size(), true));
  ASSERT_NE(page.text.find("Mr Dev Patel Under contract"), std::string::npos) << page.text;
  auto f = DetectFindings({page}, *cat->matcher);
  ASSERT_TRUE(f.ok());
  std::string redacted;
  for (const Finding& x : *f) {
    if (x.action == Action::kRedact) redacted += "[" + x.text + "]";
  }
  for (const std::string name : {"Dev Patel", "Sam Price", "Jo Bell"}) {
    EXPECT_NE(redacted.find(name), std::string::npos) << name << ": " << redacted;
  }
  for (const std::string note : {"Under", "contract", "Being", "Reviewed", "yearly"}) {
    EXPECT_EQ(redacted.find(note), std::string::npos) << note << ": " << redacted;
  }
}

// The end to end: text drafts with disguised text and names in every shape, through the real
// binary; nothing of what must go is in the release, read raw or as the rules read it.
TEST(WholeNames, DisguisedTextAndWholeNamesThroughTheBinary) {
  testing::TempDir dir;
  const std::string draft =
      "Disguised and whole names.\n"
      "1. The incident report was shared with GC\u200bHQ on 3 March.\n"
      "2. Remote access terminates on vpn-gw01.north\u200dshire.police.uk for all staff.\n"
      "3. The duty officer can be reached on 07700\u00a0900461 out of hours.\n"
      "4. Guidance was sought from the \uff2e\uff23\uff33\uff23 before the audit.\n"
      "5. A second referral was made to the N\u0421SC in April.\n"
      "6. The logs were sent to \u202eQHCG\u202c for analysis.\n"
      "7. The matter was discussed with the N C S C by telephone.\n"
      "8. Our contact there was Daniel Oka\u200bfor, who visited twice.\n"
      "9. The review was led by Dr. Mar\u00eda J. Ortega de la Fuente II of the records team.\n"
      "10. The letter from \u0130smail \u015eahin arrived on Monday.\n"
      "The annual report is published on the Council website.\n";
  testing::WriteAll(dir / "in/disguised.txt", draft);
  auto r = testing::Redact("batch " + testing::Quote(dir / "in") + " -o " +
                           testing::Quote(dir / "out") + " -q --no-report");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string release = testing::ReadAll(dir / "out/release/disguised.txt");
  const std::string read = NormalizeText(release).text;
  for (const char* gone :
       {"GCHQ", "QHCG", "northshire", "900461", "NCSC", "N C S C", "Okafor", "Oka", "for, who",
        "Ortega", "Fuente", "Mar\u00eda", "\u0130smail", "\u015eahin"}) {
    EXPECT_EQ(read.find(gone), std::string::npos) << "released " << gone << ":\n" << release;
  }
  // The rest is released as the file has it.
  EXPECT_NE(release.find("The annual report is published on the Council website."),
            std::string::npos);
  EXPECT_NE(release.find("of the records team."), std::string::npos) << release;
  EXPECT_NE(release.find("arrived on Monday."), std::string::npos) << release;
}

// What the release of a PDF-printed draft shows, read three ways: its text layer, its
// decompressed bytes and Tesseract's reading of its pixels, each read as a reader sees it.
std::string ThreeReadings(const std::string& pdf) {
  std::string all = testing::PdfText(pdf);
  all += testing::RunCommand("qpdf --qdf --object-streams=disable --decode-level=all " +
                             testing::Quote(pdf) + " -")
             .out;
  all += testing::RunCommand("pdftoppm -r 200 -gray -png " + testing::Quote(pdf) +
                             " | OMP_THREAD_LIMIT=1 tesseract - - 2>/dev/null")
             .out;
  return NormalizeText(all).text;
}

const char* const kDisguisedGone[] = {"GCHQ",        "northshire", "900461", "NCSC",       "Okafor",
                                      "Oka",         "Ortega",     "Fuente", "Mar\u00eda", "Nair",
                                      "\u0130smail", "\u015eahin", "Ismail", "Sahin"};

// A Word draft printed by LibreOffice (zero-width characters, Word's soft hyphen element and
// character, no-break spaces, full-width and Cyrillic letters, a combining accent, names with
// particles and Turkish capitals; tests/data/office/make_office_fixtures.py) and an e-mail
// whose quoted-printable body hides the same: nothing of it in any reading of the release, and
// the rest of the text kept.
TEST(WholeNames, AWordDraftAndAMessageHideNothingInTextBytesOrPixels) {
  if (!std::filesystem::exists("/usr/lib/libreoffice/program/soffice.bin")) {
    GTEST_SKIP() << "LibreOffice (libreoffice-writer-nogui) is absent";
  }
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "in");
  std::filesystem::copy_file(testing::kSourceDir + "/tests/data/office/disguised.docx",
                             dir / "in/disguised.docx");
  testing::WriteAll(
      dir / "in/message.eml",
      "From: FOI Team <foi@northshire.example>\r\n"
      "To: records@example.org\r\n"
      "Subject: Draft response\r\n"
      "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=\"utf-8\"\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "The incident report was shared with GC=E2=80=8BHQ on 3 March.\r\n"
      "The duty officer can be reached on 07700=C2=A0900461 out of hours.\r\n"
      "Guidance was sought from the =EF=BC=AE=EF=BC=A3=EF=BC=B3=EF=BC=A3 before the =\r\n"
      "audit.\r\n"
      "A second referral was made to the N=D0=A1SC in April.\r\n"
      "The logs were reviewed by Daniel Oka=C2=ADfor in person.\r\n"
      "The letter from =C4=B0smail =C5=9Eahin arrived on Monday.\r\n"
      "The annual report is published on the Council website.\r\n");
  auto r = testing::Redact("batch " + testing::Quote(dir / "in") + " -o " +
                           testing::Quote(dir / "out") + " -q --no-report");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  for (const char* release : {"disguised.pdf", "message.pdf"}) {
    SCOPED_TRACE(release);
    const std::string pdf = dir / "out/release/" + release;
    ASSERT_TRUE(std::filesystem::exists(pdf)) << r.out;
    const std::string read = ThreeReadings(pdf);
    for (const char* gone : kDisguisedGone) {
      EXPECT_EQ(read.find(gone), std::string::npos) << "released " << gone;
    }
    const std::string text = NormalizeText(testing::PdfText(pdf)).text;
    EXPECT_NE(text.find("The annual report is published on the Council website."),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("arrived on Monday."), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace redact
