// The G4 encoder against libtiff's (through Leptonica, which the release writer used before):
// the same bytes for pages built to use every code, and the pixels Poppler decodes back.
#include <leptonica/allheaders.h>

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "pipeline/image/ccitt_g4.h"

namespace redact {
namespace {

struct PixDeleter {
  void operator()(PIX* p) const { pixDestroy(&p); }
};
using Pix = std::unique_ptr<PIX, PixDeleter>;

std::string LibtiffG4(PIX* pix) {
  L_COMP_DATA* cid = nullptr;
  if (pixGenerateCIData(pix, L_G4_ENCODE, 0, 0, &cid) != 0 || !cid) return "(failed)";
  std::string out(reinterpret_cast<const char*>(cid->datacomp), cid->nbytescomp);
  l_CIDataDestroy(&cid);
  return out;
}

// Leptonica cuts libtiff's strip out of a TIFF file in memory, where the strip is padded to an
// even length; an odd-length encoding comes back with one zero byte after its EOFB.
std::string Unpadded(std::string libtiff, const std::string& ours) {
  if (libtiff.size() == ours.size() + 1 && ours.size() % 2 == 1 && libtiff.back() == '\0') {
    libtiff.pop_back();
  }
  return libtiff;
}

std::string OurG4(PIX* pix) {
  return EncodeCcittG4(pixGetData(pix), pixGetWpl(pix), int(pixGetWidth(pix)),
                       int(pixGetHeight(pix)));
}

// Compares the encodings; on a difference, says where the first one is rather than printing
// kilobytes of bytes.
::testing::AssertionResult Same(PIX* pix) {
  const std::string ours = OurG4(pix);
  const std::string theirs = Unpadded(LibtiffG4(pix), ours);
  if (ours == theirs) return ::testing::AssertionSuccess();
  size_t i = 0;
  while (i < ours.size() && i < theirs.size() && ours[i] == theirs[i]) ++i;
  return ::testing::AssertionFailure() << "first difference at byte " << i << " of " << ours.size()
                                       << " (libtiff: " << theirs.size() << ")";
}
#define ExpectSame(pix) EXPECT_TRUE(Same(pix))

// Rows of runs whose lengths are drawn from `max_run`; every `same_every`-th row repeats the
// row above shifted by -3..3 pixels, so vertical and pass modes occur as well as horizontal.
Pix RunsPage(int width, int height, int max_run, int same_every, unsigned seed) {
  Pix pix(pixCreate(width, height, 1));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> run(1, max_run), shift(-3, 3);
  for (int y = 0; y < height; ++y) {
    if (y > 0 && same_every > 0 && y % same_every != 0) {
      int s = shift(rng);
      for (int x = 0; x < width; ++x) {
        int from = std::clamp(x - s, 0, width - 1);
        l_uint32 v = 0;
        pixGetPixel(pix.get(), from, y - 1, &v);
        pixSetPixel(pix.get(), x, y, v);
      }
      continue;
    }
    bool black = rng() & 1;
    for (int x = 0; x < width;) {
      int n = run(rng);
      for (int k = 0; k < n && x < width; ++k, ++x) pixSetPixel(pix.get(), x, y, black ? 1 : 0);
      black = !black;
    }
  }
  return pix;
}

TEST(CcittG4, SameBytesAsLibtiffForEveryRunLength) {
  // Long runs reach the shared make-up codes (1792..2560) and runs past 2560.
  for (unsigned seed = 1; seed <= 6; ++seed) {
    Pix pix = RunsPage(6000, 60, 3000, 0, seed);
    ExpectSame(pix.get()) << "seed " << seed;
  }
  for (int max_run : {1, 2, 5, 70, 200, 1800}) {
    Pix pix = RunsPage(1653, 120, max_run, 0, unsigned(max_run));
    ExpectSame(pix.get()) << "runs up to " << max_run;
  }
}

TEST(CcittG4, SameBytesAsLibtiffWhereLinesRepeatWithShifts) {
  for (int width : {1, 7, 31, 32, 33, 100, 1654}) {
    for (int max_run : {3, 12, 40}) {
      Pix pix = RunsPage(width, 80, max_run, 8, unsigned(width * 100 + max_run));
      ExpectSame(pix.get()) << width << " px, runs " << max_run;
    }
  }
}

TEST(CcittG4, SameBytesAsLibtiffForBlankAndFullPages) {
  Pix white(pixCreate(1654, 2339, 1));
  ExpectSame(white.get());
  Pix black(pixCreate(1654, 40, 1));
  pixSetAll(black.get());
  ExpectSame(black.get());
  // Pad bits past the width must not count as pixels.
  Pix padded(pixCreate(50, 10, 1));
  pixSetAll(padded.get());
  BOX* left = boxCreate(0, 0, 20, 10);
  pixClearInRect(padded.get(), left);
  boxDestroy(&left);
  ExpectSame(padded.get());
}

}  // namespace
}  // namespace redact
