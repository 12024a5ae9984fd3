// The report's page views: the PNG writer read back by Leptonica's (libpng) decoder, and the
// thumbnail's reduction, palette and outlines checked pixel by pixel.
#include <leptonica/allheaders.h>

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "pipeline/image/leptonica.h"
#include "pipeline/image/png.h"

namespace redact {
namespace {

struct Decoded {
  PIX* pix = nullptr;
  ~Decoded() { pixDestroy(&pix); }
};

void Decode(const std::string& png, Decoded* out) {
  out->pix = pixReadMem(reinterpret_cast<const l_uint8*>(png.data()), png.size());
  ASSERT_NE(out->pix, nullptr) << "libpng did not read the PNG";
}

// The colour of pixel (x, y) of a palette image.
Rgb ColourAt(PIX* pix, int x, int y) {
  l_uint32 v = 0;
  pixGetPixel(pix, x, y, &v);
  l_int32 r = 0, g = 0, b = 0;
  pixcmapGetColor(pixGetColormap(pix), int(v), &r, &g, &b);
  return {uint8_t(r), uint8_t(g), uint8_t(b)};
}

TEST(PalettePng, DecodesToTheSameIndicesAndColours) {
  std::vector<Rgb> palette;
  for (int i = 0; i < 16; ++i) palette.push_back({uint8_t(i * 16), uint8_t(255 - i * 3), 7});
  std::mt19937 rng(3);
  for (int width : {1, 2, 7, 8, 33}) {
    const int height = 5;
    std::vector<uint8_t> index(size_t(width) * height);
    for (uint8_t& v : index) v = uint8_t(rng() % 16);
    auto png = EncodePalettePng4(index, width, height, palette);
    ASSERT_TRUE(png.ok()) << png.status().message();
    Decoded d;
    ASSERT_NO_FATAL_FAILURE(Decode(*png, &d));
    ASSERT_EQ(pixGetWidth(d.pix), width);
    ASSERT_EQ(pixGetHeight(d.pix), height);
    ASSERT_EQ(pixGetDepth(d.pix), 4);
    ASSERT_NE(pixGetColormap(d.pix), nullptr);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        l_uint32 v = 99;
        pixGetPixel(d.pix, x, y, &v);
        ASSERT_EQ(v, index[size_t(y) * width + x]) << "width " << width << " at " << x << "," << y;
        const Rgb c = ColourAt(d.pix, x, y);
        EXPECT_EQ(c.r, palette[v].r);
        EXPECT_EQ(c.g, palette[v].g);
      }
    }
  }
}

TEST(PalettePng, RefusesWhatItCannotWrite) {
  EXPECT_FALSE(EncodePalettePng4({1, 2}, 2, 1, {}).ok());
  EXPECT_FALSE(EncodePalettePng4({1}, 2, 1, {{0, 0, 0}}).ok());  // fewer indices than pixels
  EXPECT_FALSE(EncodePalettePng4({1, 2}, 2, 1, std::vector<Rgb>(17, Rgb{0, 0, 0})).ok());
}

// A 200 DPI page: white, a black square, a mid-grey square, and a square cut by the edge.
GrayImage TestPage() {
  GrayImage img;
  img.width = 1700;
  img.height = 2201;  // not a multiple of 3: the last row of blocks is partly past the page
  img.dpi = 200;
  img.pixels.assign(size_t(img.width) * img.height, 255);
  auto fill = [&](int x0, int y0, int x1, int y1, uint8_t v) {
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) img.pixels[size_t(y) * img.width + x] = v;
  };
  fill(300, 300, 600, 600, 0);
  fill(900, 300, 1200, 600, 128);
  fill(1500, 2100, 1700, 2201, 0);
  return img;
}

TEST(ThumbnailPng, AveragesWholeBlocksIntoFifteenGreys) {
  auto png = ThumbnailPng(TestPage(), 600, {});
  ASSERT_TRUE(png.ok()) << png.status().message();
  Decoded d;
  ASSERT_NO_FATAL_FAILURE(Decode(*png, &d));
  // 1700 / 600 rounds to a reduction by 3: 567 x 734 (the partial blocks kept).
  EXPECT_EQ(pixGetWidth(d.pix), 567);
  EXPECT_EQ(pixGetHeight(d.pix), 734);
  EXPECT_EQ(ColourAt(d.pix, 10, 10).r, 255);   // paper
  EXPECT_EQ(ColourAt(d.pix, 150, 150).r, 0);   // the black square
  const Rgb grey = ColourAt(d.pix, 350, 150);  // 128: the nearest of 15 greys
  EXPECT_NEAR(grey.r, 128, 255 / 14 / 2 + 1);
  EXPECT_EQ(grey.r, grey.g);
  EXPECT_EQ(ColourAt(d.pix, 560, 720).r, 0);  // the square at the corner, whole blocks
  // The last row of blocks is two rows of page (black) and one of paper past the edge.
  const Rgb edge = ColourAt(d.pix, 560, 733);
  EXPECT_NEAR(edge.r, 85, 255 / 14 / 2 + 1);
  // No red without outlines.
  for (int x = 0; x < 567; x += 7) EXPECT_EQ(ColourAt(d.pix, x, 100).g, ColourAt(d.pix, x, 100).r);
}

TEST(ThumbnailPng, DrawsOutlinesAndTheirNumbersInRed) {
  auto png = ThumbnailPng(TestPage(), 600, {{900, 900, 1200, 960, "12"}});
  ASSERT_TRUE(png.ok()) << png.status().message();
  Decoded d;
  ASSERT_NO_FATAL_FAILURE(Decode(*png, &d));
  auto red = [&](int x, int y) {
    const Rgb c = ColourAt(d.pix, x, y);
    return c.r == 220 && c.g == 0 && c.b == 0;
  };
  EXPECT_TRUE(red(300, 300));   // top left corner of the outline (900 / 3)
  EXPECT_TRUE(red(400, 320));   // bottom right
  EXPECT_TRUE(red(350, 300));   // top edge
  EXPECT_FALSE(red(350, 310));  // inside: the page shows through
  int label = 0;                // the number, right of the outline
  for (int y = 295; y < 330; ++y)
    for (int x = 402; x < 440; ++x) label += red(x, y);
  EXPECT_GT(label, 10);
}

TEST(ThumbnailPng, RefusesAnEmptyImage) { EXPECT_FALSE(ThumbnailPng(GrayImage(), 600, {}).ok()); }

}  // namespace
}  // namespace redact
