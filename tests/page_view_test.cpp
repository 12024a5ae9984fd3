// The report's page views: the PNG writer read back by Leptonica's (libpng) decoder, and the
// thumbnail's reduction, palette and outlines checked pixel by pixel.
#include <leptonica/allheaders.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>

#include "pipeline/core/tar.h"
#include "pipeline/image/leptonica.h"
#include "pipeline/image/png.h"
#include "tests/test_util.h"

namespace redact {
namespace {

using testing::Quote;
using testing::ReadAll;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteAll;

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

// The indices of a PNG read back by libpng.
std::vector<uint8_t> IndicesOf(const std::string& png, int width, int height) {
  Decoded d;
  Decode(png, &d);
  std::vector<uint8_t> out;
  if (!d.pix || pixGetWidth(d.pix) != width || pixGetHeight(d.pix) != height) return out;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      l_uint32 v = 0;
      pixGetPixel(d.pix, x, y, &v);
      out.push_back(uint8_t(v));
    }
  }
  return out;
}

TEST(PalettePng, BandsTheSameAsTheLastImagesAreCopied) {
  std::vector<Rgb> palette(16, Rgb{1, 2, 3});
  std::mt19937 rng(5);
  const int width = 33, height = 100;  // four bands of 32 rows, the last of 4
  std::vector<uint8_t> a(size_t(width) * height);
  for (uint8_t& v : a) v = uint8_t(rng() % 3 == 0 ? rng() % 16 : 14);
  PngBands bands;
  auto first = EncodePalettePng4(a, width, height, palette, &bands);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(IndicesOf(*first, width, height), a);
  ASSERT_EQ(bands.packed.size(), 4u);
  const std::vector<std::string> packed_a = bands.packed;
  // Rows 40 to 45 (the second band) changed, and a pixel of the last row.
  std::vector<uint8_t> b = a;
  for (int y = 40; y < 46; ++y)
    b[size_t(y) * width + 7] = uint8_t((a[size_t(y) * width + 7] + 1) % 16);
  b.back() = uint8_t((b.back() + 5) % 16);
  auto second = EncodePalettePng4(b, width, height, palette, &bands);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(IndicesOf(*second, width, height), b);
  ASSERT_EQ(bands.packed.size(), 4u);
  EXPECT_EQ(bands.packed[0], packed_a[0]);  // copied
  EXPECT_NE(bands.packed[1], packed_a[1]);  // compressed again
  EXPECT_EQ(bands.packed[2], packed_a[2]);
  EXPECT_NE(bands.packed[3], packed_a[3]);
  // The same image without the last one's bands: the same pixels.
  auto alone = EncodePalettePng4(b, width, height, palette);
  ASSERT_TRUE(alone.ok());
  EXPECT_EQ(IndicesOf(*alone, width, height), b);
  // An image of another size takes nothing from them.
  std::vector<uint8_t> c(a.begin(), a.begin() + 32 * 40);
  auto other = EncodePalettePng4(c, 32, 40, palette, &bands);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(IndicesOf(*other, 32, 40), c);
  // Every band the same: nothing compressed, still a whole PNG.
  auto again = EncodePalettePng4(c, 32, 40, palette, &bands);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(IndicesOf(*again, 32, 40), c);
}

// The deflate written here, read back by libpng: bytes so skewed in frequency that Huffman's
// codes would be longer than deflate allows (Fibonacci counts), runs longer than a repeat can
// be, rows repeating the row above, and rows too long for the row above to be in reach.
TEST(PalettePng, SkewedBytesLongRunsAndRepeatedRowsReadBackTheSame) {
  std::vector<Rgb> palette(16, Rgb{9, 9, 9});
  std::mt19937 rng(7);
  {  // 24 byte values, the n-th as often as the n-th Fibonacci number, shuffled: one band
    const int width = 8000, height = 32;
    std::vector<uint8_t> bytes;
    for (uint32_t n = 0, a = 1, b = 1; n < 24; ++n, b = a + b, a = b - a) {
      bytes.insert(bytes.end(), a, uint8_t(n * 7 + 7));
    }
    bytes.resize(size_t(width / 2) * height, 0xFE);
    std::shuffle(bytes.begin(), bytes.end(), rng);
    std::vector<uint8_t> index;
    for (uint8_t v : bytes) index.insert(index.end(), {uint8_t(v >> 4), uint8_t(v & 15)});
    auto png = EncodePalettePng4(index, width, height, palette);
    ASSERT_TRUE(png.ok());
    EXPECT_EQ(IndicesOf(*png, width, height), index);
  }
  {  // paper, a few blots, each row the row above but for a pixel or two
    const int width = 1201, height = 100;
    std::vector<uint8_t> index(size_t(width) * height, 15);
    for (int n = 0; n < 30; ++n) index[rng() % index.size()] = uint8_t(rng() % 16);
    for (int y = 1; y < height; ++y) {
      if (y % 7 == 0) continue;
      std::copy_n(index.begin() + (y - 1) * width, width, index.begin() + y * width);
      index[size_t(y) * width + rng() % width] = uint8_t(rng() % 16);
    }
    auto png = EncodePalettePng4(index, width, height, palette);
    ASSERT_TRUE(png.ok());
    EXPECT_EQ(IndicesOf(*png, width, height), index);
    EXPECT_LT(png->size(), index.size() / 20) << "runs and repeated rows were not taken";
  }
  {  // rows of 35,001 bytes: the row above is beyond deflate's 32 KiB
    const int width = 70000, height = 3;
    std::vector<uint8_t> index(size_t(width) * height, 15);
    for (size_t i = 0; i < index.size(); i += 1 + rng() % 50) index[i] = uint8_t(rng() % 16);
    auto png = EncodePalettePng4(index, width, height, palette);
    ASSERT_TRUE(png.ok());
    EXPECT_EQ(IndicesOf(*png, width, height), index);
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

// A page of paper with blots of ink and grey anywhere, at its edges too.
GrayImage BlottedPage(int width, int height, uint32_t seed) {
  GrayImage img;
  img.width = width;
  img.height = height;
  img.dpi = 200;
  img.pixels.assign(size_t(width) * height, 255);
  std::mt19937 rng(seed);
  for (int n = 0; n < 60; ++n) {
    const int x0 = int(rng() % width), y0 = int(rng() % height);
    const int x1 = std::min(width, x0 + 1 + int(rng() % 40));
    const int y1 = std::min(height, y0 + 1 + int(rng() % 20));
    for (int y = y0; y < y1; ++y)
      for (int x = x0; x < x1; ++x) img.pixels[size_t(y) * width + x] = uint8_t(rng() % 255);
  }
  for (int y = 0; y < height; ++y) img.pixels[size_t(y) * width + width - 1] = 0;  // right edge
  return img;
}

// The reduction as defined: each block's mean (paper past the edge) as the nearest of 15
// greys, computed the slow way.
std::vector<uint8_t> SlowReduction(const GrayImage& img, int k) {
  const int ow = (img.width + k - 1) / k, oh = (img.height + k - 1) / k;
  std::vector<uint8_t> out;
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      uint32_t sum = 0;
      for (int y = oy * k; y < oy * k + k; ++y)
        for (int x = ox * k; x < ox * k + k; ++x)
          sum += (x < img.width && y < img.height) ? img.pixels[size_t(y) * img.width + x] : 255;
      const uint32_t area = uint32_t(k * k);
      out.push_back(uint8_t((sum * 14 + area * 255 / 2) / (area * 255)));
    }
  }
  return out;
}

TEST(ThumbnailPng, EachPixelIsTheMeanOfItsBlock) {
  for (const auto& [width, height, want] : {std::tuple{1653, 200, 551}, std::tuple{1700, 101, 600},
                                            std::tuple{1000, 50, 250}, std::tuple{37, 20, 37}}) {
    const GrayImage img = BlottedPage(width, height, uint32_t(width));
    auto view = ReducePage(img, want);
    ASSERT_TRUE(view.ok());
    EXPECT_EQ(view->index, SlowReduction(img, view->k)) << width << " x " << height;
  }
}

TEST(ThumbnailPng, AReleaseViewIsMadeAgainInTheRowsRedrawn) {
  const GrayImage before = BlottedPage(1653, 301, 9);
  auto view = ReducePage(before, 551);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->k, 3);
  GrayImage after = before;
  for (int x = 200; x < 900; ++x) after.pixels[size_t(31) * after.width + x] = 0;  // a box
  for (int x = 0; x < 50; ++x) after.pixels[size_t(300) * after.width + x] = 0;    // last row
  for (int x = 0; x < 50; ++x) after.pixels[size_t(100) * after.width + x] = 0;    // not said
  ASSERT_TRUE(ReduceRows(after, {{31, 32}, {299, 400}, {-5, 0}}, &*view).ok());
  // The rows said are the page's as it is now; the rows not said, as they were.
  const std::vector<uint8_t> now = SlowReduction(after, 3), then = SlowReduction(before, 3);
  const size_t w = size_t(view->width);
  for (int oy = 0; oy < view->height; ++oy) {
    const auto& want = (oy == 10 || oy == 99 || oy == 100) ? now : then;
    ASSERT_TRUE(std::equal(want.begin() + oy * w, want.begin() + (oy + 1) * w,
                           view->index.begin() + oy * w))
        << "row of blocks " << oy;
  }
  EXPECT_NE(now, then);
  // A page of another size: reduced afresh.
  const GrayImage other = BlottedPage(900, 40, 2);
  ASSERT_TRUE(ReduceRows(other, {}, &*view).ok());
  EXPECT_EQ(view->k, 2);  // 900 pixels to about 551
  EXPECT_EQ(view->index, SlowReduction(other, 2));
}

// The views' archive: what tar itself unpacks, byte for byte, and read back here; an archive
// cut short or with a header changed gives nothing rather than wrong bytes.
TEST(ViewArchive, TarUnpacksItAndAMemberIsReadBackOnlyFromAWholeHeader) {
  std::string big(70000, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char(i * 7 % 251);
  const std::vector<std::pair<std::string, std::string>> files = {
      {"1-original.png", big},
      {"1-release.png", "short"},
      {"12-original.png", ""},
      {"12-release.png", std::string(512, 'y')}};
  const std::string archive = TarArchive(files);
  EXPECT_EQ(archive.size() % 512, 0u);
  TempDir dir;
  WriteAll(dir / "v.tar", archive);
  ASSERT_EQ(RunCommand("cd " + Quote(dir.path()) + " && tar -xf v.tar").exit_code, 0);
  for (const auto& [name, data] : files) {
    EXPECT_EQ(ReadAll(dir / name), data) << name << " as tar unpacked it";
    const auto member = TarMember(archive, name);
    ASSERT_TRUE(member) << name;
    EXPECT_EQ(*member, data) << name;
  }
  EXPECT_FALSE(TarMember(archive, "2-original.png"));
  EXPECT_FALSE(TarMember(archive.substr(0, 512 + 1000), "1-original.png"));  // cut short
  std::string changed = archive;
  changed[130] = char(changed[130] == '7' ? '6' : '7');  // the first file's size
  EXPECT_FALSE(TarMember(changed, "1-release.png"));
  EXPECT_FALSE(TarMember("", "1-original.png"));
  EXPECT_FALSE(TarMember(std::string(2000, '\x01'), "1-original.png"));
}

TEST(ThumbnailPng, RefusesAnEmptyImage) { EXPECT_FALSE(ThumbnailPng(GrayImage(), 600, {}).ok()); }

}  // namespace
}  // namespace redact
