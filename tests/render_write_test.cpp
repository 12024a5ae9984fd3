#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <sstream>

#include "pipeline/core/files.h"
#include "pipeline/core/page_store.h"
#include "pipeline/core/spill_file.h"
#include "pipeline/core/text.h"
#include "pipeline/render/ink_fit.h"
#include "pipeline/render/reflow.h"
#include "pipeline/render/release_page.h"
#include "pipeline/write/release_pdf.h"
#include "pipeline/write/release_text.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::CommandResult;
using testing::kSourceDir;
using testing::PdfText;
using testing::Quote;
using testing::ReadAll;
using testing::Redact;
using testing::RunCommand;
using testing::TempDir;

GrayImage WhitePage(int w, int h, double dpi) {
  GrayImage img;
  img.width = w;
  img.height = h;
  img.dpi = dpi;
  img.pixels.assign(size_t(w) * size_t(h), 255);
  return img;
}

TEST(BurnBoxes, BlackensExactlyTheBoxInPixels) {
  GrayImage img = WhitePage(200, 100, 144);  // 2 px per point
  BurnBoxes(&img, {{{10, 10, 20, 15}, ""}});
  auto at = [&](int x, int y) { return img.pixels[size_t(y) * 200 + size_t(x)]; };
  EXPECT_EQ(at(20, 20), 0);
  EXPECT_EQ(at(39, 29), 0);
  EXPECT_EQ(at(40, 20), 255);
  EXPECT_EQ(at(19, 20), 255);
  EXPECT_EQ(at(25, 30), 255);
}

TEST(BurnBoxes, ClampsBoxesOffThePage) {
  GrayImage img = WhitePage(50, 50, 72);
  BurnBoxes(&img, {{{-10, -10, 5, 5}, ""}, {{45, 45, 90, 90}, ""}});
  EXPECT_EQ(img.pixels[0], 0);
  EXPECT_EQ(img.pixels[49 * 50 + 49], 0);
  EXPECT_EQ(img.pixels[25 * 50 + 25], 255);
}

// A page at 72 DPI (a pixel a point) with "words" as ink blocks on one line.
GrayImage LinePage(const std::vector<Box>& ink) {
  GrayImage img;
  img.width = 400;
  img.height = 60;
  img.dpi = 72;
  img.pixels.assign(size_t(img.width * img.height), 255);
  for (const Box& b : ink) {
    for (int y = int(b.y0); y < int(b.y1); ++y) {
      for (int x = int(b.x0); x < int(b.x1); ++x) img.pixels[size_t(y * img.width + x)] = 0;
    }
  }
  return img;
}

bool InkAt(const GrayImage& img, int x, int y) {
  return img.pixels[size_t(y * img.width + x)] < 128;
}

// The box is redrawn a whole number of centimetres wide, the words after it move with it in
// the pixels and in the text layer alike, and nothing of the old box's place keeps ink that
// is not a moved word.
TEST(ReflowRedactions, BoxesTakeWholeUnitsAndTheRestOfTheLineMovesWithThem) {
  // "Our [secret] is here": words at 20-50, box at 54-80 (26 pt: one unit, 28.35), words
  // at 84-110 and 114-140; the line ends well before the text edge (300).
  const std::vector<Box> words = {{20, 20, 50, 32}, {84, 20, 110, 32}, {114, 20, 140, 32}};
  GrayImage img =
      LinePage({{20, 21, 50, 31}, {55, 21, 79, 31}, {84, 21, 110, 31}, {114, 21, 140, 31}});
  std::vector<LabelledBox> boxes = {{{54, 20, 80, 32}, "s.23(1)"}};
  const auto moves = ReflowRedactions(&img, &boxes, words, 300);
  ASSERT_EQ(boxes.size(), 1u);
  const double unit = 72 / 2.54;
  EXPECT_NEAR(boxes[0].box.x0, 54, 1e-9);
  EXPECT_NEAR(boxes[0].box.width(), unit, 1e-9);
  // The gap after the box keeps its width: the next word starts at 54 + unit + 4.
  const double shift = 54 + unit + 4 - 84;
  const Box moved = MovedBox(moves, words[1]);
  EXPECT_NEAR(moved.x0, 84 + shift, 1e-6);
  EXPECT_NEAR(MovedBox(moves, words[2]).x0, 114 + shift, 1e-6);
  EXPECT_NEAR(MovedBox(moves, words[0]).x0, 20, 1e-9) << "a word before the box moved";
  // Pixels: the moved word's ink is at its new place, paper at its old start, and the old
  // box's place holds no ink (the new box is burnt in later).
  EXPECT_TRUE(InkAt(img, int(moved.x0) + 2, 25));
  EXPECT_FALSE(InkAt(img, 84, 25));
  for (int x = 55; x < 79; ++x) EXPECT_FALSE(InkAt(img, x, 25)) << x;
  EXPECT_TRUE(InkAt(img, 30, 25));  // before the box: untouched
}

// A line that reached the text edge (justified) reaches it again, its spaces all alike, so
// that where it ends says nothing of how wide the removed text was.
TEST(ReflowRedactions, AFullLineStillEndsAtTheTextEdge) {
  const std::vector<Box> words = {{20, 20, 60, 32}, {100, 20, 140, 32}, {146, 20, 200, 32}};
  GrayImage img =
      LinePage({{20, 21, 60, 31}, {67, 21, 93, 31}, {100, 21, 140, 31}, {146, 21, 200, 31}});
  std::vector<LabelledBox> boxes = {{{66, 20, 94, 32}, ""}};  // 28 pt: one unit, 28.35
  const auto moves = ReflowRedactions(&img, &boxes, words, 200);
  ASSERT_EQ(boxes.size(), 1u);
  EXPECT_NEAR(MovedBox(moves, words[2]).x1, 200, 1e-6)
      << "the full line no longer ends at the edge";
  // A box that would push the line past the edge: brought back to it.
  GrayImage img2 = LinePage({{20, 21, 60, 31}, {67, 21, 79, 31}, {86, 21, 140, 31}});
  std::vector<LabelledBox> short_box = {{{66, 20, 80, 32}, ""}};  // 14 pt: becomes 28.35
  const std::vector<Box> words2 = {{20, 20, 60, 32}, {86, 20, 140, 32}};
  const auto moves2 = ReflowRedactions(&img2, &short_box, words2, 150);
  EXPECT_LE(MovedBox(moves2, words2[1]).x1, 150 + 1e-6);
  // Too few spaces to take it up: the words after the box are condensed, in the pixels and
  // the text layer alike, and the line still ends at the edge.
  GrayImage img3 = LinePage({{20, 21, 60, 31}, {63, 21, 70, 31}, {74, 21, 120, 31}});
  std::vector<LabelledBox> tiny = {{{62, 20, 71, 32}, ""}};  // 9 pt: becomes 28.35
  const std::vector<Box> words3 = {{20, 20, 60, 32}, {74, 20, 120, 32}};
  const auto moves3 = ReflowRedactions(&img3, &tiny, words3, 125);
  const Box squeezed = MovedBox(moves3, words3[1]);
  EXPECT_NEAR(squeezed.x1, 125, 0.3);
  EXPECT_LT(squeezed.width(), 46 - 1);
  EXPECT_TRUE(InkAt(img3, int(squeezed.x0 + squeezed.width() / 2), 25));
  EXPECT_FALSE(InkAt(img3, int(squeezed.x1) + 2, 25));
}

// A rule's one width (box_width_cm) is the box's width whatever it hides: a short name and
// a long one come out alike.
TEST(ReflowRedactions, ARulesOneWidthIsTheBoxsWidthWhateverItHides) {
  const double two_cm = 2 * 72 / 2.54;
  for (const double hidden_width : {12.0, 90.0}) {
    GrayImage img = LinePage({{20, 21, 50, 31}, {55, 21, 55 + hidden_width, 31}});
    std::vector<LabelledBox> boxes = {{{54, 20, 56 + hidden_width, 32}, "s.23(1)", two_cm}};
    ReflowRedactions(&img, &boxes, {{20, 20, 50, 32}}, 390);
    ASSERT_EQ(boxes.size(), 1u);
    EXPECT_NEAR(boxes[0].box.width(), two_cm, 1e-9) << hidden_width;
  }
}

// Ink above a word's box (an i's dot, the top of a t) moves with the word: nothing of a moved
// word stays at its old place, where it would say how wide the box before it was.
TEST(ReflowRedactions, InkAboveAndBelowAWordsBoxMovesWithIt) {
  const std::vector<Box> words = {{20, 20, 50, 32}, {84, 20, 110, 32}, {20, 40, 110, 52}};
  // The word after the box has a dot 2 pt above its box and a tail 1 pt below it; the next
  // line starts at 40.
  GrayImage img = LinePage({{20, 21, 50, 31},
                            {55, 21, 79, 31},
                            {84, 21, 110, 31},
                            {90, 17, 92, 19},
                            {100, 32, 102, 33},
                            {20, 41, 110, 51}});
  std::vector<LabelledBox> boxes = {{{54, 20, 80, 32}, ""}};
  const auto moves = ReflowRedactions(&img, &boxes, words, 300);
  const double shift = MovedBox(moves, words[1]).x0 - 84;
  ASSERT_GT(shift, 1);
  EXPECT_FALSE(InkAt(img, 90, 18)) << "the dot stayed at the word's old place";
  EXPECT_TRUE(InkAt(img, int(90 + shift + 0.5), 18)) << "the dot did not move with its word";
  EXPECT_FALSE(InkAt(img, 100, 32)) << "the tail stayed at the word's old place";
  EXPECT_TRUE(InkAt(img, 60, 45)) << "the next line was touched";
}

// Two columns whose lines do not share a baseline: a line of the right column sitting a
// little lower than the left one's is moved whole, not cut at the left line's band (the
// bands of lines above are kept out of only where they share columns).
TEST(ReflowRedactions, ALineOfTheNextColumnMovesWholeThoughItSitsLower) {
  const std::vector<Box> words = {
      {20, 20, 50, 32}, {84, 20, 110, 32}, {220, 27, 250, 39}, {274, 27, 300, 39}};
  GrayImage img = LinePage({{20, 21, 50, 31},
                            {55, 21, 79, 31},
                            {84, 21, 110, 31},
                            {220, 28, 250, 38},
                            {255, 28, 269, 38},
                            {274, 28, 300, 38}});
  std::vector<LabelledBox> boxes = {{{54, 20, 80, 32}, ""}, {{254, 27, 270, 39}, ""}};
  const auto moves = ReflowRedactions(&img, &boxes, words, 390);
  ASSERT_EQ(boxes.size(), 2u);
  const Box moved = MovedBox(moves, words[3]);
  EXPECT_NEAR(moved.x0, 274 + 72 / 2.54 - 16, 1e-6);
  for (const int y : {29, 33, 37}) {
    EXPECT_TRUE(InkAt(img, int(moved.x0) + 3, y)) << "row " << y << " of the word did not move";
    EXPECT_FALSE(InkAt(img, 276, y)) << "row " << y << " left at the word's old place";
  }
}

// The rows a release's boxes and moved lines were drawn in are all the rows that changed:
// pages of lines of words at 200 DPI, boxes anywhere on them (two on a line, a box over two
// lines, a box at the page's edge), reflowed and burnt in, compared row by row with the page
// as it was.
// Ink drawn as blocks of pixels [x0, x1) x [y0, y1).
void Ink(GrayImage* img, int x0, int y0, int x1, int y1, uint8_t grey = 40) {
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) img->pixels[size_t(y) * size_t(img->width) + size_t(x)] = grey;
  }
}

TEST(GrowBoxesToInk, ABoxCutShortOfItsWordsLastGlyphReachesTheWordsEndButNotTheNextWord) {
  // 300 DPI: a word of three glyphs 20 px wide, 4 px apart, rows 100-140; a space of 16 px;
  // the next word. The box (as OCR's character boxes gave it) ends inside the third glyph.
  GrayImage img = WhitePage(600, 300, 300);
  const double pt = 72.0 / 300;
  Ink(&img, 100, 100, 120, 140);
  Ink(&img, 124, 100, 144, 140);
  Ink(&img, 148, 100, 168, 140);
  Ink(&img, 184, 100, 204, 140);  // the next word
  std::vector<LabelledBox> boxes = {{{99 * pt, 96 * pt, 155 * pt, 144 * pt}, "s.40(2)"}};
  GrowBoxesToInk(img, {}, &boxes);
  EXPECT_GE(boxes[0].box.x1, 168 * pt);
  EXPECT_LT(boxes[0].box.x1, 184 * pt);
  EXPECT_DOUBLE_EQ(boxes[0].box.x0, 99 * pt);  // nothing joined on the left
  // Burnt in (black, where the ink is dark grey), no ink of the word is left beside it.
  BurnBoxes(&img, boxes);
  int left_over = 0;
  for (int y = 100; y < 140; ++y) {
    for (int x = 90; x < 180; ++x) left_over += img.pixels[size_t(y) * 600 + size_t(x)] == 40;
  }
  EXPECT_EQ(left_over, 0);
  // The first glyph cut on the left is reached the same way.
  GrayImage left = WhitePage(600, 300, 300);
  Ink(&left, 100, 100, 120, 140);
  Ink(&left, 124, 100, 144, 140);
  std::vector<LabelledBox> from_right = {{{110 * pt, 96 * pt, 146 * pt, 144 * pt}, ""}};
  GrowBoxesToInk(left, {}, &from_right);
  EXPECT_LE(from_right[0].box.x0, 100 * pt);
}

TEST(GrowBoxesToInk, ABoxStopsAtTheNextLinesWordsAndGrowsOnlyOnItsOwnLine) {
  // The box (from a font's metrics, padded) reaches 20 px into the next line, whose word
  // starts right after the box's end: the box is cut back to that word's top, and the
  // next line's ink does not carry it sideways.
  GrayImage img = WhitePage(600, 300, 300);
  const double pt = 72.0 / 300;
  Ink(&img, 100, 100, 160, 140);  // the redacted word
  Ink(&img, 100, 150, 300, 190);  // the next line, wider
  const Box next{100 * pt, 150 * pt, 300 * pt, 190 * pt};
  std::vector<LabelledBox> boxes = {{{96 * pt, 90 * pt, 164 * pt, 170 * pt}, ""}};
  GrowBoxesToInk(img, {next}, &boxes);
  EXPECT_LE(boxes[0].box.y1, next.y0 + 1e-9);
  EXPECT_DOUBLE_EQ(boxes[0].box.y0, 90 * pt);
  EXPECT_DOUBLE_EQ(boxes[0].box.x1, 164 * pt);
  // A word reaching past the box's middle (a mark down the margin read as a word) is no line.
  std::vector<LabelledBox> tall = {{{96 * pt, 96 * pt, 164 * pt, 144 * pt}, ""}};
  GrowBoxesToInk(img, {{90 * pt, 110 * pt, 170 * pt, 400 * pt}}, &tall);
  EXPECT_DOUBLE_EQ(tall[0].box.y1, 144 * pt);
}

TEST(FitToInk, AWordsBoxFromFontMetricsShrinksToItsInkDotsAndAll) {
  // A box of 1.3 em around a word whose i has a dot 4 px above its stem; another line's
  // descender shows at the box's bottom edge, 12 px below the word.
  GrayImage img = WhitePage(400, 300, 300);
  const double pt = 72.0 / 300;
  Ink(&img, 100, 110, 140, 150);  // x-height letters
  Ink(&img, 150, 110, 156, 150);  // the i's stem
  Ink(&img, 150, 100, 156, 106);  // its dot
  Ink(&img, 120, 162, 126, 166);  // the next line's ascender
  const Box fitted = FitToInk(img, {96 * pt, 80 * pt, 160 * pt, 166 * pt});
  EXPECT_NEAR(fitted.y0, 100 * pt, 1e-9);
  EXPECT_NEAR(fitted.y1, 150 * pt, 1e-9);
  EXPECT_DOUBLE_EQ(fitted.x0, 96 * pt);
  // No ink: as it was.
  const Box blank{200 * pt, 10 * pt, 250 * pt, 40 * pt};
  EXPECT_DOUBLE_EQ(FitToInk(img, blank).y0, blank.y0);
}

TEST(ReflowRedactions, EveryRowThatChangedIsARowRedrawn) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 30; ++trial) {
    GrayImage img;
    img.width = 1700;
    img.height = 900;
    img.dpi = 200;
    img.pixels.assign(size_t(img.width) * img.height, 255);
    const double s = img.dpi / 72;
    std::vector<Box> words;
    for (double y = 10; y + 12 < img.height / s; y += 14 + double(rng() % 5)) {
      for (double x = 40 + double(rng() % 20); x < 560;) {
        const double w = 8 + double(rng() % 60);
        words.push_back({x, y, std::min(x + w, 590.0), y + 11});
        x += w + 3 + double(rng() % 8);
      }
    }
    for (const Box& b : words) {  // ink, reaching a little past the word's box
      for (int y = int(b.y0 * s) - 2; y < int(b.y1 * s) + 2; ++y) {
        for (int x = int(b.x0 * s); x < int(b.x1 * s); ++x) {
          if ((x * 7 + y * 3) % 5 != 0) img.pixels[size_t(y) * img.width + x] = uint8_t(rng() % 90);
        }
      }
    }
    std::vector<LabelledBox> boxes;
    const int count = 1 + int(rng() % 6);
    for (int n = 0; n < count; ++n) {
      const Box& w = words[rng() % words.size()];
      Box b{w.x0 - 1, w.y0 - 1, w.x1 + 1, w.y1 + 1};
      if (n == 2) b.y1 += 14;                // over two lines
      if (n == 3) b.x1 = img.width / s + 5;  // past the page's edge
      boxes.push_back({b, n % 2 ? "s.40(2)" : ""});
    }
    const std::vector<LabelledBox> before = boxes;
    const GrayImage page = img;
    const auto moves = ReflowRedactions(&img, &boxes, words, 590);
    ASSERT_TRUE(RenderReleasePage(&img, boxes).ok());
    std::vector<bool> redrawn(size_t(img.height), false);
    for (const auto& [first, last] : RedrawnRows(img, before, boxes, moves)) {
      for (int y = first; y < last; ++y) redrawn[size_t(y)] = true;
    }
    int changed = 0;
    for (int y = 0; y < img.height; ++y) {
      const size_t at = size_t(y) * img.width;
      if (std::equal(page.pixels.begin() + at, page.pixels.begin() + at + img.width,
                     img.pixels.begin() + at)) {
        continue;
      }
      ++changed;
      ASSERT_TRUE(redrawn[size_t(y)]) << "trial " << trial << ": row " << y << " changed";
    }
    EXPECT_GT(changed, 0) << "trial " << trial;
  }
}

// Through the whole pipeline: every word of the release's text layer lies over ink in its
// pixels (the words after a box were moved in both alike), and every box is a whole number
// of centimetres wide (pixel rows crossing the boxes, in their padding above the labels).
TEST(ReflowRedactions, TheTextLayerStaysOverItsInkAndBoxesAreWholeCentimetres) {
  TempDir dir;
  const std::string draft = kSourceDir + "/samples/police-remote-devices-draft.pdf";
  CommandResult r = Redact("batch " + Quote(draft) + " -o " + Quote(dir / "out") +
                           " -q --no-report --release-flagged");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const std::string pdf = dir / "out/release/police-remote-devices-draft.pdf";
  // At 144 DPI: two pixels a point.
  ASSERT_EQ(RunCommand("pdftoppm -r 144 -gray -f 1 -l 1 -singlefile " + Quote(pdf) + " " +
                       Quote(dir / "page"))
                .exit_code,
            0);
  std::string pgm = ReadAll(dir / "page.pgm");
  int w = 0, h = 0, maxval = 0, offset = 0;
  ASSERT_EQ(std::sscanf(pgm.c_str(), "P5 %d %d %d%n", &w, &h, &maxval, &offset), 3);
  const unsigned char* px = reinterpret_cast<const unsigned char*>(pgm.data()) + offset + 1;
  ASSERT_GE(pgm.size(), size_t(offset + 1 + w * h));
  auto dark = [&](int x, int y) {
    return x >= 0 && y >= 0 && x < w && y < h && px[y * w + x] < 128;
  };
  // The text layer's words, from pdftotext's bounding boxes (points, two pixels each).
  const std::string html = RunCommand("pdftotext -f 1 -l 1 -bbox " + Quote(pdf) + " -").out;
  std::regex word(
      R"re(<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>)re");
  int words = 0, over_ink = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), word); it != std::sregex_iterator();
       ++it) {
    const double x0 = std::stod((*it)[1]), y0 = std::stod((*it)[2]);
    const double x1 = std::stod((*it)[3]), y1 = std::stod((*it)[4]);
    int ink = 0;
    for (int y = int(2 * y0); y < int(2 * y1); ++y) {
      for (int x = int(2 * x0); x < int(2 * x1); ++x) ink += dark(x, y);
    }
    ++words;
    over_ink += ink >= 3;
    if (ink < 3) ADD_FAILURE() << "no ink under '" << (*it)[5] << "' at " << x0 << "," << y0;
  }
  ASSERT_GT(words, 50);
  EXPECT_EQ(over_ink, words) << "text-layer words with no ink under them: the layers disagree";
  (void)over_ink;
  // The boxes: runs of black at least 14 pt long along rows of the page; a box's width is its
  // longest run (rows through its label are cut by the label's letters).
  const double unit = 144 / 2.54;
  std::map<std::pair<int, int>, int> widest;  // (left edge, band of rows) -> longest run
  for (int y = 0; y < h; ++y) {
    int start = -1;
    for (int x = 0; x <= w; ++x) {
      const bool d = x < w && dark(x, y);
      if (d && start < 0) start = x;
      if (!d && start >= 0) {
        if (x - start >= 28) {
          int& best = widest[{start, y / 40}];
          best = std::max(best, x - start);
        }
        start = -1;
      }
    }
  }
  int boxes = 0, whole = 0;
  for (const auto& [key, len] : widest) {
    // A piece of a row a label's letters cut: inside a longer run of its band.
    bool piece = false;
    for (const auto& [other, olen] : widest) {
      piece |= other.second == key.second && other.first < key.first &&
               key.first <= other.first + olen + 8;
    }
    if (piece) continue;
    ++boxes;
    const double units = len / unit;
    whole += std::abs(units - std::round(units)) * unit <= 3.0;
  }
  ASSERT_GT(boxes, 5);
  EXPECT_GE(whole, boxes * 9 / 10) << whole << " of " << boxes << " boxes are whole centimetres";
}

TEST(RenderReleasePage, TextPagesAreG4AndPhotosJpeg) {
  GrayImage text = WhitePage(400, 400, 72);
  auto g4 = RenderReleasePage(&text, {{{10, 10, 100, 30}, "s.31(1)(a)"}});
  ASSERT_TRUE(g4.ok());
  EXPECT_EQ(g4->encoding, ImageEncoding::kG4);
  EXPECT_GT(g4->data.size(), 10u);
  GrayImage photo = WhitePage(400, 400, 72);
  for (size_t i = 0; i < photo.pixels.size(); ++i) photo.pixels[i] = uint8_t(60 + (i * 7) % 120);
  auto jpeg = RenderReleasePage(&photo, {});
  ASSERT_TRUE(jpeg.ok());
  EXPECT_EQ(jpeg->encoding, ImageEncoding::kJpeg);
  EXPECT_EQ(jpeg->data.substr(0, 3), "\xFF\xD8\xFF");
}

ReleasePage PageWithWords(std::vector<KeptText> words) {
  GrayImage img = WhitePage(596, 842, 72);
  auto enc = RenderReleasePage(&img, {{{100, 100, 200, 120}, "s.23(1)"}});
  ReleasePage p;
  p.width = 595.5;
  p.height = 842;
  p.image = *enc;
  p.words = std::move(words);
  return p;
}

TEST(WriteReleasePdf, TextLayerIsSearchableAndMetadataEmpty) {
  TempDir dir;
  std::vector<KeptText> words = {{"Section", {72, 72, 110, 84}},
                                 {"23(5)", {114, 72, 140, 84}},
                                 {"Caf\xC3\xA9", {144, 72, 170, 84}},
                                 {"\xE2\x80\x9Cquoted\xE2\x80\x9D", {174, 72, 220, 84}}};
  auto pdf = WriteReleasePdf({PageWithWords(words)}, {"redact test"});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  std::string path = dir / "r.pdf";
  ASSERT_TRUE(WriteFileAtomic(path, *pdf).ok());
  EXPECT_EQ(PdfText(path), "Section 23(5) Caf\xC3\xA9 \xE2\x80\x9Cquoted\xE2\x80\x9D");
  auto check = RunCommand("qpdf --check " + testing::Quote(path));
  EXPECT_EQ(check.exit_code, 0) << check.out;
  auto info = RunCommand("pdfinfo " + testing::Quote(path));
  EXPECT_NE(info.out.find("Producer:        redact test"), std::string::npos) << info.out;
  EXPECT_EQ(info.out.find("Title:"), std::string::npos);
  EXPECT_EQ(info.out.find("Author:"), std::string::npos);
  EXPECT_NE(info.out.find("Page size:       595.5 x 842 pts"), std::string::npos) << info.out;
}

TEST(WriteReleasePdf, IsDeterministic) {
  std::vector<KeptText> words = {{"kept", {72, 72, 100, 84}}};
  auto a = WriteReleasePdf({PageWithWords(words)}, {"redact test"});
  auto b = WriteReleasePdf({PageWithWords(words)}, {"redact test"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// `n` distinct CJK ideographs, as UTF-8: more than 255 need more than one font.
std::string Ideographs(int n) {
  std::string text;
  for (char32_t c = 0x4E00; c < 0x4E00 + char32_t(n); ++c) text += EncodeUtf8(c);
  return text;
}

TEST(WriteReleasePdf, ManyDistinctCharactersUseSeveralFonts) {
  // More than 255 distinct characters in one page.
  const std::string text = Ideographs(300);
  TempDir dir;
  auto pdf = WriteReleasePdf({PageWithWords({{text, {10, 10, 580, 30}}})}, {"redact test"});
  ASSERT_TRUE(pdf.ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "cjk.pdf", *pdf).ok());
  EXPECT_EQ(PdfText(dir / "cjk.pdf"), text);
}

// A page with a heading, a paragraph of two lines with a redaction box inside its first line,
// and a second paragraph: what the structure tree must find.
ReleasePage StructuredPage() {
  GrayImage img = WhitePage(596, 842, 72);
  const Box box{150, 120, 220, 132};
  auto enc = RenderReleasePage(&img, {{box, "s.40(2)"}});
  ReleasePage p;
  p.width = 596;
  p.height = 842;
  p.image = *enc;
  p.words = {{"Annual", {72, 60, 160, 84}},   {"report", {168, 60, 250, 84}},
             {"The", {72, 120, 92, 132}},     {"officer", {96, 120, 140, 132}},
             {"said", {226, 120, 250, 132}},  {"yes.", {254, 120, 276, 132}},
             {"Second", {72, 134, 110, 146}}, {"line.", {114, 134, 140, 146}},
             {"New", {72, 170, 96, 182}},     {"paragraph", {100, 170, 160, 182}},
             {"here.", {164, 170, 190, 182}}};
  p.boxes = {{box, "[REDACTED s.40(2)]"}};
  return p;
}

// The strings pdfinfo -struct-text prints for the marked content, in the tree's order.
std::vector<std::string> StructTexts(const std::string& out) {
  std::vector<std::string> texts;
  static const std::regex kQuoted("^\\s*\"(.*)\"\\s*$");
  std::smatch m;
  size_t at = 0;
  while (at < out.size()) {
    size_t end = out.find('\n', at);
    if (end == std::string::npos) end = out.size();
    const std::string line = out.substr(at, end - at);
    if (std::regex_match(line, m, kQuoted)) texts.push_back(m[1]);
    at = end + 1;
  }
  return texts;
}

std::string SpacesNormalised(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool space = std::isspace(static_cast<unsigned char>(c));
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

TEST(WriteReleasePdf, IsTaggedAndItsStructureReadsAsItsTextWithEachBoxSaid) {
  TempDir dir;
  auto pdf = WriteReleasePdf({StructuredPage()}, {"redact test"});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  const std::string path = dir / "r.pdf";
  ASSERT_TRUE(WriteFileAtomic(path, *pdf).ok());
  const std::string text = PdfText(path);
  EXPECT_EQ(text,
            "Annual report The officer [REDACTED s.40(2)] said yes. Second line. New paragraph "
            "here.");
  const CommandResult info = RunCommand("pdfinfo " + Quote(path));
  EXPECT_NE(info.out.find("Tagged:          yes"), std::string::npos) << info.out;
  // The tree: a heading, the paragraph with the box a span in it, the second paragraph.
  const CommandResult tree = RunCommand("pdfinfo -struct " + Quote(path));
  static const std::regex kShape(
      "Document[^\\n]*\\n\\s+H1[^\\n]*\\n\\s+P[^\\n]*\\n\\s+Span[^\\n]*\\n\\s+P[^\\n]*\\n?$");
  EXPECT_TRUE(std::regex_search(tree.out, kShape)) << tree.out;
  // Read through the tree, the release says what its text layer says, the box's label too.
  const CommandResult read = RunCommand("pdfinfo -struct-text " + Quote(path));
  std::string joined;
  for (const std::string& t : StructTexts(read.out)) joined += t + " ";
  EXPECT_EQ(SpacesNormalised(joined), text) << read.out;
  // The span says the label (its /ActualText) as its content shows it.
  const auto decoded = RunCommand("qpdf --qdf --object-streams=disable " + Quote(path) + " -");
  EXPECT_NE(decoded.out.find("/ActualText ([REDACTED s.40\\(2\\)])"), std::string::npos);
  EXPECT_NE(decoded.out.find("/Lang (en-GB)"), std::string::npos);
  EXPECT_NE(decoded.out.find("/Tabs /S"), std::string::npos);
  EXPECT_NE(decoded.out.find("/DisplayDocTitle true"), std::string::npos);
  // The page image is an artifact: the text layer is the page's content.
  EXPECT_NE(decoded.out.find("/Artifact BMC"), std::string::npos);
}

TEST(WriteReleasePdf, IsPdfA2uAsQpdfAndPopplerCanTell) {
  TempDir dir;
  WriterOptions options{"redact test"};
  options.title = "response & annex";
  auto pdf = WriteReleasePdf({StructuredPage(), PageWithWords({})}, options);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  const std::string path = dir / "r.pdf";
  ASSERT_TRUE(WriteFileAtomic(path, *pdf).ok());
  const CommandResult check = RunCommand("qpdf --check " + Quote(path));
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_NE(check.out.find("File is not encrypted"), std::string::npos) << check.out;
  // Every font embedded, and mapped to Unicode (the 'u' of PDF/A-2u).
  const CommandResult fonts = RunCommand("pdffonts " + Quote(path));
  int rows = 0;
  bool table = false;
  std::istringstream lines(fonts.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("----", 0) == 0) {
      table = true;
      continue;
    }
    if (!table || line.empty()) continue;
    std::vector<std::string> cols;
    std::istringstream words(line);
    for (std::string w; words >> w;) cols.push_back(w);
    ASSERT_GE(cols.size(), 5u) << line;
    EXPECT_EQ(cols[cols.size() - 5], "yes") << "not embedded: " << line;
    EXPECT_EQ(cols[cols.size() - 3], "yes") << "no ToUnicode: " << line;
    ++rows;
  }
  EXPECT_GE(rows, 1) << fonts.out;
  // The XMP names PDF/A-2u, the producer and the title, and nothing else of note.
  const CommandResult meta = RunCommand("pdfinfo -meta " + Quote(path));
  EXPECT_NE(meta.out.find("<pdfaid:part>2</pdfaid:part>"), std::string::npos) << meta.out;
  EXPECT_NE(meta.out.find("<pdfaid:conformance>U</pdfaid:conformance>"), std::string::npos);
  EXPECT_NE(meta.out.find("<pdf:Producer>redact test</pdf:Producer>"), std::string::npos);
  EXPECT_NE(meta.out.find(">response &amp; annex</rdf:li>"), std::string::npos) << meta.out;
  EXPECT_EQ(meta.out.find("Date"), std::string::npos) << meta.out;
  // The title is the XMP's alone: the Info dictionary holds the producer only.
  const CommandResult info = RunCommand("pdfinfo " + Quote(path));
  EXPECT_EQ(info.out.find("Title:"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("Encrypted:       no"), std::string::npos) << info.out;
  // An sRGB output intent with its profile embedded.
  auto content = DecodedPdfContent(path);
  ASSERT_TRUE(content.ok());
  EXPECT_NE(content->find("/S /GTS_PDFA1"), std::string::npos);
  EXPECT_NE(content->find("/DestOutputProfile"), std::string::npos);
  EXPECT_NE(content->find("acsp"), std::string::npos);    // the ICC profile's signature
  EXPECT_EQ(content->find("/SMask"), std::string::npos);  // no transparency
  EXPECT_EQ(content->find("/Group"), std::string::npos);
}

TEST(WriteReleasePdf, WithoutAnSrgbProfileNothingIsWritten) {
  TempDir dir;
  WriterOptions options{"redact test"};
  options.icc_profile = dir / "absent.icc";
  auto pdf = WriteReleasePdf({StructuredPage()}, options);
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), Status::Code::kMissingDependency);
  EXPECT_NE(pdf.status().hint().find("icc-profiles-free"), std::string::npos)
      << pdf.status().hint();
  // A file that is not an RGB profile is refused too.
  testing::WriteAll(dir / "absent.icc", std::string(200, 'x'));
  pdf = WriteReleasePdf({StructuredPage()}, options);
  ASSERT_FALSE(pdf.ok());
  EXPECT_EQ(pdf.status().code(), Status::Code::kMissingDependency);
}

TEST(WriteReleasePdfFile, PagesFromTheSpillFileGiveTheSameBytes) {
  // Two pages with different words (one with characters beyond the first font), written from
  // memory and from a spill file: the writer must produce one and the same file.
  const std::string cjk = Ideographs(260);
  std::vector<ReleasePage> pages = {PageWithWords({{"first page", {72, 72, 140, 84}}}),
                                    PageWithWords({{cjk, {10, 10, 580, 30}}}), PageWithWords({})};
  auto in_memory = WriteReleasePdf(pages, {"redact test"});
  ASSERT_TRUE(in_memory.ok());
  // Text layers made on several threads: the same file (characters are numbered in page
  // order before any thread starts).
  auto threaded = WriteReleasePdf(pages, {"redact test", 3});
  ASSERT_TRUE(threaded.ok());
  EXPECT_EQ(*threaded, *in_memory);
  TempDir dir;
  auto spill = SpillFile::Create(dir.path());
  ASSERT_TRUE(spill.ok()) << spill.status().ToString();
  std::vector<SpilledReleasePage> spilled;
  for (const ReleasePage& p : pages) {
    auto s = SpillReleasePage(p, spill->get());
    ASSERT_TRUE(s.ok());
    spilled.push_back(*s);
  }
  pages.clear();
  ASSERT_TRUE(WriteReleasePdfFile(spilled, **spill, {"redact test"}, dir / "r.pdf").ok());
  auto from_disk = ReadFile(dir / "r.pdf");
  ASSERT_TRUE(from_disk.ok());
  EXPECT_EQ(*from_disk, *in_memory);
  EXPECT_EQ(PdfText(dir / "r.pdf"), "first page " + cjk);
}

TEST(SpillFile, HasNoNameAndReadsBackWhatWasWritten) {
  TempDir dir;
  auto spill = SpillFile::Create(dir.path());
  ASSERT_TRUE(spill.ok());
  auto a = (*spill)->Append("unredacted text of page one");
  auto b = (*spill)->Append(std::string(100000, 'x'));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*(*spill)->Read(*a), "unredacted text of page one");
  EXPECT_EQ((*spill)->Read(*b)->size(), 100000u);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));         // nothing anyone could open by name
  EXPECT_FALSE((*spill)->Read({(*spill)->size(), 10}).ok());  // past the end: an error
}

TEST(PageStore, SpilledPagesComeBackWhole) {
  PageText page;
  page.page = 7;
  page.width = 595.5;
  page.height = 842;
  page.text = "Insp. Priya\nRaman";
  Word w1{"Insp.", {10, 10, 40, 20}, {{10, 10, 16, 20}, {16, 10, 22, 20}},
          91.5,    TextSource::kOcr, false};
  Word w2{"hidden", {50, 10, 80, 20}, {}, 100, TextSource::kTextLayer, true};
  page.words = {w1, w2};
  page.byte_map = {{0, 0}, {0, 1}, {-1, -1}, {1, 0}};
  page.joins = {{5, {0, 1}}};
  TempDir dir;
  auto spill = SpillFile::Create(dir.path());
  ASSERT_TRUE(spill.ok());
  PageStore store(2, spill->get());
  ASSERT_TRUE(store.Put(1, page).ok());
  auto back = store.Get(1);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  const PageText& p = **back;
  EXPECT_EQ(p.page, 7);
  EXPECT_EQ(p.width, 595.5);
  EXPECT_EQ(p.text, page.text);
  ASSERT_EQ(p.words.size(), 2u);
  EXPECT_EQ(p.words[0].text, "Insp.");
  EXPECT_EQ(p.words[0].char_boxes.size(), 2u);
  EXPECT_EQ(p.words[0].char_boxes[1].x0, 16);
  EXPECT_EQ(p.words[0].confidence, 91.5);
  EXPECT_EQ(p.words[0].source, TextSource::kOcr);
  EXPECT_TRUE(p.words[1].hidden);
  ASSERT_EQ(p.byte_map.size(), 4u);
  EXPECT_EQ(p.byte_map[3].word, 1);
  ASSERT_EQ(p.joins.size(), 1u);
  EXPECT_EQ(p.joins[0].offset, 5u);
  EXPECT_FALSE(store.Get(0).ok());  // never stored: an error, not an empty page
  PageText blank;                   // no words, no byte map: a blank page comes back blank
  blank.page = 1;
  ASSERT_TRUE(store.Put(0, blank).ok());
  auto blank_back = store.Get(0);
  ASSERT_TRUE(blank_back.ok());
  EXPECT_TRUE((*blank_back)->words.empty() && (*blank_back)->text.empty());
  std::string bytes = SerializePageText(page);
  EXPECT_FALSE(ParsePageText(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(ParsePageText(bytes + "x").ok());
}

TEST(RedactedText, ReplacesSpansWithMarkers) {
  PageText page;
  page.page = 1;
  page.text = "shared with GCHQ and MI5 today";
  Finding a, b, flag;
  a.page = b.page = flag.page = 1;
  a.begin = 12, a.end = 16, a.exemption = "s.23(1)";
  b.begin = 21, b.end = 24, b.exemption = "s.23(1)";
  flag.begin = 0, flag.end = 6, flag.action = Action::kFlag;
  EXPECT_EQ(RedactedText(page, {a, b, flag}),
            "shared with [REDACTED s.23(1)] and [REDACTED s.23(1)] today");
}

}  // namespace
}  // namespace redact
