// Boxes against the ink of the release: a box covers all of its word's ink and nothing of
// another line, through the real binary (a scan made here, an e-mail printed by LibreOffice).
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "tests/test_util.h"

namespace redact {
namespace {

using testing::Quote;
using testing::ReadAll;
using testing::Redact;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteAll;
namespace fs = std::filesystem;

// Page 1 of `pdf` at 300 DPI, grey.
struct Raster {
  int width = 0, height = 0;
  std::string pixels;
  int at(int x, int y) const { return uint8_t(pixels[size_t(y) * size_t(width) + size_t(x)]); }
};

Raster RenderRelease(const TempDir& dir, const std::string& pdf) {
  const std::string prefix = dir / "page";
  RunCommand("pdftoppm -r 300 -gray -singlefile -f 1 -l 1 " + Quote(pdf) + " " + Quote(prefix));
  const std::string pgm = ReadAll(prefix + ".pgm");
  Raster r;
  std::istringstream in(pgm);
  std::string magic;
  int maxval = 0;
  in >> magic >> r.width >> r.height >> maxval;
  in.get();
  r.pixels = pgm.substr(size_t(in.tellg()));
  EXPECT_EQ(magic, "P5");
  EXPECT_EQ(r.pixels.size(), size_t(r.width) * size_t(r.height));
  return r;
}

// The box on row y (pixels): the longest run of black there, then its rows at its middle.
struct PixelBox {
  int x0 = 0, x1 = 0, y0 = 0, y1 = 0;
};

PixelBox BoxOnRow(const Raster& r, int y, int from_x = 0) {
  PixelBox best;
  for (int x = from_x; x < r.width;) {
    if (r.at(x, y) > 30) {
      ++x;
      continue;
    }
    int e = x;
    while (e < r.width && r.at(e, y) <= 30) ++e;
    if (e - x > best.x1 - best.x0) best = {x, e, 0, 0};
    x = e;
  }
  const int mx = (best.x0 + best.x1) / 2;
  best.y0 = best.y1 = y;
  while (best.y0 > 0 && r.at(mx, best.y0 - 1) <= 30) --best.y0;
  while (best.y1 < r.height && r.at(mx, best.y1) <= 30) ++best.y1;
  return best;
}

std::string Ocr(const TempDir& dir, const std::string& pdf) {
  const std::string prefix = dir / "ocr";
  RunCommand("pdftoppm -r 300 -gray -png -singlefile -f 1 -l 1 " + Quote(pdf) + " " +
             Quote(prefix));
  return RunCommand("OMP_THREAD_LIMIT=1 tesseract " + Quote(prefix + ".png") + " - 2>/dev/null")
      .out;
}

TEST(InkBesideABox, AScannedNameIsCoveredToItsLastGlyphAndOcrReadsNoneOfIt) {
  TempDir dir;
  fs::create_directories(dir / "in");
  // A letter scanned at 300 DPI; its second line's name is redacted (person rules).
  auto made = RunCommand(
      "convert -size 2550x1200 xc:white -density 300 -units PixelsPerInch -font DejaVu-Serif "
      "-pointsize 12 -fill black -annotate +300+300 'Dear Sir,' "
      "-annotate +300+400 'Jonathan Whitfield, Austin, TX' "
      "-annotate +300+500 'I write about the repairs to the road near my house.' "
      "-annotate +300+600 'Please reply by letter.' -type Grayscale " +
      Quote(dir / "in/letter.png"));
  ASSERT_EQ(made.exit_code, 0) << made.out;
  auto run = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --no-report");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const std::string pdf = dir / "out/release/letter.pdf";
  const Raster r = RenderRelease(dir, pdf);
  // The name's line (baseline at 400): the widest run of black on its rows (the label, in
  // white, splits the box on some).
  PixelBox box;
  for (int y = 350; y < 420; ++y) {
    const PixelBox b = BoxOnRow(r, y);
    if (b.x1 - b.x0 > box.x1 - box.x0) box = b;
  }
  ASSERT_GT(box.x1 - box.x0, 150) << "no box on the name's line";
  // Right of the box, in its band: paper for a few pixels (the name's comma went with it: a
  // piece of its word), not a glyph's remains.
  int ink = 0;
  for (int y = box.y0; y < box.y1; ++y) {
    for (int x = box.x1; x < box.x1 + 8 && x < r.width; ++x) ink += r.at(x, y) < 160;
  }
  EXPECT_EQ(ink, 0) << "ink beside the box at x " << box.x1;
  const std::string ocr = Ocr(dir, pdf);
  EXPECT_NE(ocr.find("Austin"), std::string::npos) << ocr;
  EXPECT_NE(ocr.find("I write about the repairs"), std::string::npos) << ocr;
  for (const char* piece : {"Jon", "ona", "nat", "tha", "han", "Whi", "hit", "itf", "fie", "iel"}) {
    EXPECT_EQ(ocr.find(piece), std::string::npos) << piece << " in " << ocr;
  }
}

TEST(InkBesideABox, AnEmailsFromNameBoxLeavesTheNextLineWholeAndReadable) {
  TempDir dir;
  fs::create_directories(dir / "in");
  WriteAll(dir / "in/msg.eml",
           "From: Jonathan Whitfield <jw@example.org>\r\n"
           "To: Records Office <records@council.example.gov.uk>\r\n"
           "Date: Tue, 4 Mar 2025 10:15:00 +0000\r\n"
           "Subject: Request for information about road repairs\r\n\r\n"
           "Dear Records Office,\r\n\r\nPlease send me the schedule of road repairs.\r\n");
  auto run = Redact("batch " + Quote(dir / "in") + " -o " + Quote(dir / "out") + " --no-report");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  const std::string pdf = dir / "out/release/msg.pdf";
  // The release's words and their boxes (points).
  const std::string bbox = RunCommand("pdftotext -bbox " + Quote(pdf) + " -").out;
  std::regex word_re(
      R"re(<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>)re");
  double from_y = -1, from_x1 = 0, to_top = 1e9, to_y = -1;
  struct W {
    double x0, y0, x1, y1;
    std::string text;
  };
  std::vector<W> words;
  for (std::sregex_iterator it(bbox.begin(), bbox.end(), word_re), end; it != end; ++it) {
    words.push_back({std::stod((*it)[1]), std::stod((*it)[2]), std::stod((*it)[3]),
                     std::stod((*it)[4]), (*it)[5]});
    if (words.back().text == "From:" && from_y < 0) {
      from_y = (words.back().y0 + words.back().y1) / 2;
      from_x1 = words.back().x1;
    }
    if (words.back().text == "To:" && to_y < 0) to_y = (words.back().y0 + words.back().y1) / 2;
  }
  ASSERT_GT(from_y, 0) << bbox;
  ASSERT_GT(to_y, from_y) << bbox;
  for (const W& w : words) {
    if (std::abs((w.y0 + w.y1) / 2 - to_y) < 3) to_top = std::min(to_top, w.y0);
  }
  const Raster r = RenderRelease(dir, pdf);
  const double px = 300 / 72.0;
  PixelBox box;  // the first box after "From:", its widest row
  for (int y = int((from_y - 4) * px); y < int((from_y + 4) * px); ++y) {
    const PixelBox b = BoxOnRow(r, y, int(from_x1 * px) + 2);
    if (box.x1 == 0 || b.x0 < box.x0 || (b.x0 == box.x0 && b.x1 > box.x1)) box = b;
  }
  ASSERT_GT(box.x1 - box.x0, 100) << "no box after From:";
  // The box ends above every word of the To line (a pixel's rounding allowed).
  EXPECT_LE(box.y1, to_top * px + 1)
      << "box bottom " << box.y1 / px << " pt, To line top " << to_top << " pt";
  const std::string text = testing::PdfText(pdf);
  EXPECT_NE(text.find("To: Records Office"), std::string::npos) << text;
  const std::string ocr = Ocr(dir, pdf);
  EXPECT_NE(ocr.find("To: Records Office"), std::string::npos) << ocr;
  EXPECT_NE(ocr.find("Date: Tue, 4 Mar 2025"), std::string::npos) << ocr;
  EXPECT_EQ(ocr.find("Whitfield"), std::string::npos) << ocr;
}

}  // namespace
}  // namespace redact
