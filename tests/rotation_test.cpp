// Straightening a skewed scan: where RotateByAngle moves the page's ink and what it brings in
// at the edges (a skewed scan read end to end is in ocr_test.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "pipeline/image/leptonica.h"

namespace redact {
namespace {

GrayImage Paper(int w, int h) {
  GrayImage img;
  img.width = w;
  img.height = h;
  img.dpi = 300;
  img.pixels.assign(size_t(w) * h, 255);
  return img;
}

void Square(GrayImage* img, int cx, int cy, int r) {
  for (int y = cy - r; y < cy + r; ++y)
    for (int x = cx - r; x < cx + r; ++x) img->pixels[size_t(y) * img->width + x] = 0;
}

// The centre of the ink (darker than mid-grey), weighted by how dark it is.
void InkCentre(const GrayImage& img, double* x, double* y) {
  double sx = 0, sy = 0, n = 0;
  for (int j = 0; j < img.height; ++j) {
    for (int i = 0; i < img.width; ++i) {
      const double ink = 255 - img.pixels[size_t(j) * img.width + i];
      sx += ink * i;
      sy += ink * j;
      n += ink;
    }
  }
  *x = sx / n;
  *y = sy / n;
}

TEST(RotateByAngle, TurnsThePageClockwiseAboutItsCentre) {
  for (double degrees : {1.0, -3.0, 8.0}) {
    GrayImage page = Paper(1000, 800);
    Square(&page, 800, 100, 6);
    const GrayImage turned = RotateByAngle(page, degrees);
    ASSERT_EQ(turned.width, 1000);
    ASSERT_EQ(turned.height, 800);
    double x = 0, y = 0;
    InkCentre(turned, &x, &y);
    // Clockwise on the page (y down): (dx, dy) -> (dx cos - dy sin, dx sin + dy cos), about
    // the centre (500, 400); pixel i spans [i, i + 1), so the square's centre is (800, 100)
    // and an ink centre found by pixel index lies half a pixel before the point.
    const double a = degrees * M_PI / 180, dx = 800 - 500, dy = 100 - 400;
    EXPECT_NEAR(x + 0.5, 500 + dx * std::cos(a) - dy * std::sin(a), 0.3) << degrees;
    EXPECT_NEAR(y + 0.5, 400 + dx * std::sin(a) + dy * std::cos(a), 0.3) << degrees;
  }
}

TEST(RotateByAngle, KeepsTheInkSmoothAndBringsInPaper) {
  GrayImage page = Paper(600, 400);
  std::fill(page.pixels.begin(), page.pixels.end(), uint8_t(0));  // a black page
  const GrayImage turned = RotateByAngle(page, 5);
  EXPECT_EQ(turned.pixels[0], 255);                      // a corner: paper brought in
  EXPECT_EQ(turned.pixels[size_t(200) * 600 + 300], 0);  // the middle: still black
  // Along the edge the page's ink is sampled between pixels: greys, not a staircase of
  // black and white.
  int greys = 0;
  for (uint8_t v : turned.pixels) greys += v > 20 && v < 235;
  EXPECT_GT(greys, 300);
  // No turn: the same pixels.
  EXPECT_EQ(RotateByAngle(page, 0).pixels, page.pixels);
}

}  // namespace
}  // namespace redact
