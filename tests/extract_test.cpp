#include <gtest/gtest.h>

#include "pipeline/core/text.h"

#include "pipeline/core/page_text_builder.h"
#include "pipeline/extract/encoded_text.h"
#include "pipeline/extract/pdf_document.h"
#include "pipeline/extract/plain_text.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::Sample;

using testing::MakeWord;

TEST(BuildPageText, JoinsWordsAndLines) {
  std::vector<Word> words = {MakeWord("Remote", 10, 0), MakeWord("laptops", 60, 0),
                             MakeWord("connect", 10, 1)};
  PageText pt = BuildPageText(1, 595, 842, words, {true, true, true});
  EXPECT_EQ(pt.text, "Remote laptops\nconnect");
  ASSERT_EQ(pt.byte_map.size(), pt.text.size());
  EXPECT_EQ(pt.byte_map[0].word, 0);
  EXPECT_EQ(pt.byte_map[6].word, -1);  // the space we inserted
  EXPECT_EQ(pt.byte_map[7].word, 1);
  EXPECT_EQ(pt.byte_map[7].chr, 0);
  EXPECT_EQ(pt.byte_map[15].word, 2);
}

TEST(BuildPageText, JoinsEndOfLineHyphen) {
  std::vector<Word> words = {MakeWord("Government", 10, 0), MakeWord("Commu-", 80, 0),
                             MakeWord("nications", 10, 1), MakeWord("Headquarters", 70, 1)};
  PageText pt = BuildPageText(1, 595, 842, words, {true, true, true, true});
  EXPECT_EQ(pt.text, "Government Communications Headquarters");
  ASSERT_EQ(pt.joins.size(), 1u);
  EXPECT_EQ(pt.joins[0].hyphen.word, 1);
  EXPECT_EQ(pt.joins[0].hyphen.chr, 5);
  EXPECT_EQ(pt.text.substr(pt.joins[0].offset, 9), "nications");
}

TEST(BuildPageText, KeepsHyphenBeforeCapitalOrDigit) {
  // "AES-" then "256" on the next line is not a broken word.
  std::vector<Word> words = {MakeWord("AES-", 10, 0), MakeWord("256", 10, 1)};
  PageText pt = BuildPageText(1, 595, 842, words, {true, true});
  EXPECT_EQ(pt.text, "AES-\n256");
  EXPECT_TRUE(pt.joins.empty());
}

TEST(BuildPageText, MapsMultiByteCharacters) {
  std::vector<Word> words = {MakeWord("x", 10, 0)};
  words[0].text = "caf\xC3\xA9";  // 4 characters, 5 bytes
  words[0].char_boxes.resize(4, words[0].box);
  PageText pt = BuildPageText(1, 595, 842, words, {false});
  ASSERT_EQ(pt.byte_map.size(), 5u);
  EXPECT_EQ(pt.byte_map[3].chr, 3);
  EXPECT_EQ(pt.byte_map[4].chr, 3);
}

TEST(PdfDocument, ExtractsWordsWithBoxesFromSample) {
  auto doc = PdfDocument::Open(Sample("police-remote-devices-draft.pdf"));
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  EXPECT_EQ((*doc)->page_count(), 2);
  auto page = (*doc)->ExtractPageText(1);
  ASSERT_TRUE(page.ok());
  EXPECT_NEAR(page->width, 595, 0.5);
  EXPECT_NEAR(page->height, 842, 0.5);
  EXPECT_NE(page->text.find("Northshire Constabulary\nFreedom of Information Request"),
            std::string::npos);
  EXPECT_NE(page->text.find("vpn-gw01.northshire.police.uk"), std::string::npos);
  // Every word's box lies on the page, and its characters run left to right.
  for (const Word& w : page->words) {
    EXPECT_GE(w.box.x0, 0);
    EXPECT_LE(w.box.x1, page->width);
    EXPECT_GT(w.box.height(), 5);
    EXPECT_LT(w.box.height(), 20);
    for (size_t i = 1; i < w.char_boxes.size(); ++i) {
      EXPECT_GE(w.char_boxes[i].x0, w.char_boxes[i - 1].x0 - 0.01) << w.text;
    }
  }
  // The second page joins "Commu-" and "nications".
  auto page2 = (*doc)->ExtractPageText(2);
  ASSERT_TRUE(page2.ok());
  EXPECT_NE(page2->text.find("Government Communications Headquarters"), std::string::npos);
}

TEST(PdfDocument, RendersGreyPage) {
  auto doc = PdfDocument::Open(Sample("police-remote-devices-draft.pdf"));
  ASSERT_TRUE(doc.ok());
  auto img = (*doc)->RenderPage(1, 100);
  ASSERT_TRUE(img.ok());
  EXPECT_NEAR(img->width, 595 * 100 / 72, 2);
  EXPECT_NEAR(img->height, 842 * 100 / 72, 2);
  size_t dark = 0;
  for (uint8_t v : img->pixels) dark += v < 128;
  EXPECT_GT(dark, 1000u);                   // there is text
  EXPECT_LT(dark, img->pixels.size() / 5);  // on white paper
}

TEST(PdfDocument, RefusesPageOverPixelLimit) {
  PdfLimits limits;
  limits.max_page_pixels = 1000;
  auto doc = PdfDocument::Open(Sample("police-remote-devices-draft.pdf"), "", limits);
  ASSERT_TRUE(doc.ok());
  auto img = (*doc)->RenderPage(1, 200);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), Status::Code::kTooLarge);
}

TEST(FoldCase, LowersTheLatinAlphabetsInPlace) {
  // ASCII, Latin-1 (Â, Ö) and Latin Extended-A (Ł, Ś, Ž, Ÿ); × and ß are not capitals.
  const std::string upper =
      "SI\xC3\x82N \xC3\x96Z \xC5\x81UKASZ \xC5\x9A \xC5\xBD \xC5\xB8 \xC3\x97 \xC3\x9F";
  const std::string lower =
      "si\xC3\xA2n \xC3\xB6z \xC5\x82ukasz \xC5\x9B \xC5\xBE \xC3\xBF \xC3\x97 \xC3\x9F";
  EXPECT_EQ(FoldCase(upper), lower);
  EXPECT_EQ(FoldCase(lower), lower);
  EXPECT_EQ(NormalizeForMatch("  \xC3\x85NGSTR\xC3\x96M\n LABS "), "\xC3\xA5ngstr\xC3\xB6m labs");
}

TEST(FoldCase, FoldsEveryScriptsCapitalsAndKeepsTheLength) {
  // Latin Extended-B (Ș), Greek (ΣΟΦΙΑ), Cyrillic (ОЛЕНА), Armenian (Ա).
  EXPECT_EQ(FoldCase("\xC8\x98"
                     "ERBAN"),
            "\xC8\x99"
            "erban");
  EXPECT_EQ(FoldCase("\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x99\xCE\x91"),
            "\xCF\x83\xCE\xBF\xCF\x86\xCE\xB9\xCE\xB1");
  EXPECT_EQ(FoldCase("\xD0\x9E\xD0\x9B\xD0\x95\xD0\x9D\xD0\x90"),
            "\xD0\xBE\xD0\xBB\xD0\xB5\xD0\xBD\xD0\xB0");
  EXPECT_EQ(FoldCase("\xD4\xB1"), "\xD5\xA1");
  // The Kelvin sign folds to a one-byte k: left as it is, so offsets still hold.
  EXPECT_EQ(FoldCase("\xE2\x84\xAA"), "\xE2\x84\xAA");
  const std::string stray =
      "A\xFF"
      "B";
  EXPECT_EQ(FoldCase(stray),
            "a\xFF"
            "b");
}

TEST(PlainText, RejectsInvalidUtf8) {
  testing::TempDir dir;
  testing::WriteAll(dir / "bad.txt", "caf\xE9\n");
  auto pt = ReadPlainText(dir / "bad.txt", 1 << 20);
  ASSERT_FALSE(pt.ok());
  EXPECT_NE(pt.status().message().find("UTF-8"), std::string::npos);
  testing::WriteAll(dir / "bom.txt", "\xEF\xBB\xBFhello");
  auto ok = ReadPlainText(dir / "bom.txt", 1 << 20);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->text, "hello");
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

TEST(BuildPageText, GluesOcrWordsSplitAroundDotsAndAt) {
  auto ocr = [](const std::string& t, double x) {
    Word w = MakeWord(t, x, 0);
    w.source = TextSource::kOcr;
    return w;
  };
  std::vector<Word> words = {
      ocr("access", 10), ocr("vpn-gw01", 60), ocr(".northshire.police.uk", 120),
      ocr("or", 260),    ocr("j.smith", 280), ocr("@example.org", 330),
      ocr("etc.", 420),  ocr("and", 450)};
  PageText pt = BuildPageText(1, 595, 842, words, std::vector<bool>(words.size(), true));
  EXPECT_EQ(pt.text, "access vpn-gw01.northshire.police.uk or j.smith@example.org etc. and");
  // A text layer is left as Poppler spaced it.
  words[2].source = words[1].source = TextSource::kTextLayer;
  pt = BuildPageText(1, 595, 842, words, std::vector<bool>(words.size(), true));
  EXPECT_NE(pt.text.find("vpn-gw01 .northshire"), std::string::npos);
}

}  // namespace
}  // namespace redact

namespace redact {
namespace {

// Words of one table row or form line: cells drawn apart with no space character between them.
std::vector<Word> Row(const std::vector<std::pair<std::string, double>>& cells, int line) {
  std::vector<Word> out;
  for (const auto& [text, x] : cells) {
    double at = x;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = std::min(text.find(' ', pos), text.size());
      out.push_back(MakeWord(text.substr(pos, end - pos), at, line));
      at += 6.0 * double(end - pos + 1);
      pos = end + 1;
    }
  }
  return out;
}

// Poppler's "space after" for the words of Row: true inside a cell, false at its end.
std::vector<bool> SpacesInsideCells(const std::vector<Word>& words) {
  std::vector<bool> spaces;
  for (size_t i = 0; i < words.size(); ++i) {
    spaces.push_back(i + 1 < words.size() && words[i + 1].box.x0 - words[i].box.x1 < 7);
  }
  return spaces;
}

TEST(BuildPageText, SeparatesCellsDrawnApartWithoutASpace) {
  std::vector<Word> words = Row({{"Remote access", 10},
                                 {"TLS 1.2", 110},
                                 {"vpn.example.police.uk", 170},
                                 {"PC 1187 Jo Bell", 320}},
                                0);
  std::vector<bool> none(words.size(), false);
  PageText pt = BuildPageText(1, 595, 842, words, none);
  EXPECT_EQ(pt.text, "Remote access TLS 1.2 vpn.example.police.uk PC 1187 Jo Bell");
}

TEST(BuildPageText, ReadsATableRowByRowAndAFormLabelThenValue) {
  std::vector<Word> words;
  for (auto row :
       {Row({{"System", 10}, {"Host", 120}}, 0), Row({{"Remote", 10}, {"vpn.a.police.uk", 120}}, 1),
        Row({{"Case files", 10}, {"10.44.12.7", 120}}, 2),
        Row({{"Collar number:", 10}, {"4471", 120}}, 3)}) {
    words.insert(words.end(), row.begin(), row.end());
  }
  // Poppler's order for such a page goes down each column; ours must not.
  std::stable_partition(words.begin(), words.end(), [](const Word& w) { return w.box.x0 < 100; });
  PageText pt = BuildPageText(1, 595, 842, words, SpacesInsideCells(words));
  EXPECT_EQ(pt.text,
            "System Host\nRemote vpn.a.police.uk\nCase files 10.44.12.7\nCollar number: 4471");
}

TEST(BuildPageText, ReadsTwoColumnsOfProseColumnByColumn) {
  std::vector<Word> words;
  const std::vector<std::string> left = {"the force runs a remote", "access service for its",
                                         "officers from a gateway", "in the data centre"};
  const std::vector<std::string> right = {"incidents are reported to",
                                          "the national cyber security",
                                          "centre within one working", "day of their discovery"};
  for (size_t l = 0; l < left.size(); ++l) {
    for (auto row : {Row({{left[l], 10}}, int(l)), Row({{right[l], 200}}, int(l))}) {
      words.insert(words.end(), row.begin(), row.end());
    }
  }
  PageText pt = BuildPageText(1, 595, 842, words, SpacesInsideCells(words));
  EXPECT_NE(pt.text.find("the national cyber security\ncentre within"), std::string::npos)
      << pt.text;
  EXPECT_LT(pt.text.find("in the data centre"), pt.text.find("incidents are reported")) << pt.text;
}

TEST(BuildPageText, LetterSpacedGlyphsReadAsOneWord) {
  // "G C H Q  R E P O R T": each glyph drawn on its own, 3 pt apart; 12 pt between the words.
  std::vector<Word> words;
  double x = 10;
  for (char c : std::string("GCHQ REPORT")) {
    if (c == ' ') {
      x += 9;
      continue;
    }
    words.push_back(MakeWord(std::string(1, c), x, 0));
    x += 9;
  }
  PageText pt = BuildPageText(1, 595, 842, words, std::vector<bool>(words.size(), false));
  EXPECT_EQ(pt.text, "GCHQ REPORT");
}

// Words drawn left to right on line 0, `gap` points apart (a word "|" adds a word space).
std::vector<Word> DrawnApart(const std::vector<std::string>& texts, double gap) {
  std::vector<Word> words;
  double x = 10;
  for (const std::string& t : texts) {
    if (t == "|") {
      x += 9;
      continue;
    }
    words.push_back(MakeWord(t, x, 0));
    x = words.back().box.x1 + gap;
  }
  return words;
}

TEST(BuildPageText, APairOfCapitalsTheReaderJoinedStaysInItsLetterSpacedWord) {
  // Liberation Sans kerns "IS" and "RT" close enough for the reader to take each as one word.
  std::vector<Word> words =
      DrawnApart({"L", "I", "A", "IS", "O", "N", "|", "R", "E", "P", "O", "RT"}, 3);
  PageText pt = BuildPageText(1, 595, 842, words, std::vector<bool>(words.size(), false));
  EXPECT_EQ(pt.text, "LIAISON REPORT");
}

TEST(BuildPageText, AWordAfterLettersTypedWithSpacesIsNoLetter) {
  std::vector<Word> lower = DrawnApart({"N", "C", "S", "C", "by", "phone"}, 3);
  PageText pt = BuildPageText(1, 595, 842, lower, std::vector<bool>(lower.size(), true));
  EXPECT_EQ(pt.text, "NCSC by phone");
  // In capitals the main reading may take the pair into the run; the reading with every word
  // on its own still reads the letters as the word they spell.
  std::vector<Word> upper = DrawnApart({"N", "C", "S", "C", "BY", "PHONE"}, 3);
  PageText caps = BuildPageText(1, 595, 842, upper, std::vector<bool>(upper.size(), true));
  EXPECT_EQ(EveryWordSeparated(caps).text, "NCSC BY PHONE");
}

TEST(BuildPageText, HiddenWordsAreALayerOfTheirOwn) {
  std::vector<Word> words = {MakeWord("Visible", 10, 0), MakeWord("answer", 60, 0)};
  Word stale = MakeWord("Visible", 11, 0), stale2 = MakeWord("secret", 61, 0);
  stale.hidden = stale2.hidden = true;
  words.push_back(stale);
  words.push_back(stale2);
  PageText pt = BuildPageText(1, 595, 842, words, {true, true, true, true});
  EXPECT_EQ(pt.text, "Visible answer\nVisible secret");
}

TEST(EveryWordSeparated, SeparatesWhatTheReadingJoinedAndMapsBack) {
  // Drawn touching: the reader's text joins them; the second reading does not.
  std::vector<Word> words = {MakeWord("1.2", 10, 0), MakeWord("vpn.a.police.uk", 28, 0),
                             MakeWord("Commu-", 10, 1), MakeWord("nications", 10, 2)};
  PageText pt = BuildPageText(1, 595, 842, words, {false, true, true, true});
  EXPECT_EQ(pt.text, "1.2vpn.a.police.uk\nCommunications");
  PageText sep = EveryWordSeparated(pt);
  EXPECT_EQ(sep.text, "1.2 vpn.a.police.uk\nCommu-\nnications");
  auto spans = SpansInOtherReading(sep, 4, 19, pt);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(pt.text.substr(spans[0].first, spans[0].second - spans[0].first), "vpn.a.police.uk");
  spans = SpansInOtherReading(sep, 20, 36, pt);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(pt.text.substr(spans[0].first, spans[0].second - spans[0].first), "Communications");
}

TEST(CellReading, JoinsWhatANarrowCellBrokeAndKeepsRowsApart) {
  // Three columns (x = 10, 70, 170); the host cell broke a name at its edge, the owner cell
  // wrapped a name at a space; a short "IT" fits after "access", so it starts a new row.
  std::vector<bool> spaces;
  std::vector<Word> words = testing::NarrowTableWords(&spaces);
  for (Word w : {MakeWord("IT", 10, 3), MakeWord("10.44.12.7", 70, 3), MakeWord("Sam", 170, 3)}) {
    words.push_back(std::move(w));
    spaces.push_back(false);
  }
  PageText pt = BuildPageText(1, 595, 842, words, spaces);
  EXPECT_EQ(pt.text,
            "System Host Owner\nRemote mdm01.corp.examp PC 1187 Jo\naccess le.police.uk "
            "Bell\nIT 10.44.12.7 Sam");
  PageText cells = CellReading(pt);
  EXPECT_EQ(cells.text,
            "System\nHost\nOwner\nRemote access\nmdm01.corp.example.police.uk\nPC 1187 Jo "
            "Bell\nIT\n10.44.12.7\nSam\n");
  const size_t at = cells.text.find("mdm01");
  auto spans = SpansInOtherReading(cells, at, at + 28, pt);
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(pt.text.substr(spans[0].first, spans[0].second - spans[0].first), "mdm01.corp.examp");
  EXPECT_EQ(pt.text.substr(spans[1].first, spans[1].second - spans[1].first), "le.police.uk");
  // A page with no table has no cell reading.
  EXPECT_EQ(CellReading(BuildPageText(1, 595, 842, {MakeWord("Prose", 10, 0)}, {false})).text, "");
}

TEST(DecodeEncodedText, DecodesBodiesAndHeaderWordsAndLeavesAttachmentsOut) {
  const std::string mail =
      "Subject: =?UTF-8?B?Q2lzY28=?= =?UTF-8?Q?_AnyConnect?=\n"
      "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
      "Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: "
      "quoted-printable\n\n"
      "caf=E9 on 10.44.=\n12.7\n--b\n"
      "Content-Type: application/pdf; name=\"a.pdf\"\nContent-Transfer-Encoding: base64\n\n"
      "JVBERi0xLjcKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURlY29kZT4+\n--b--"
      "\n";
  auto decoded = DecodeEncodedText(mail);
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  const DecodedText& d = *decoded;
  EXPECT_NE(d.text.find("Subject: Cisco AnyConnect\n"), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("caf\xC3\xA9 on 10.44.12.7\n"), std::string::npos) << d.text;
  EXPECT_NE(d.text.find("[attachment left out of this release: application/pdf \"a.pdf\""),
            std::string::npos)
      << d.text;
  EXPECT_EQ(d.text.find("JVBERi0"), std::string::npos);
  ASSERT_EQ(d.parts.size(), 3u);
  EXPECT_TRUE(d.parts[2].binary);
  // Prose with an '=' or a long word is left alone.
  const std::string prose = "x = 5 and y = 6\nSupercalifragilisticexpialidocious\n";
  EXPECT_EQ(DecodeEncodedText(prose)->text, prose);
  EXPECT_TRUE(DecodeEncodedText(prose)->parts.empty());
}

}  // namespace
}  // namespace redact
