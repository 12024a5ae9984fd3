#include <gtest/gtest.h>

#include "pipeline/extract/page_text_builder.h"
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
