#pragma once
// The only place Leptonica is used: reading image files, deskewing, and encoding release
// page images (CCITT G4 or JPEG, with labels drawn in). Everything here is thread-safe;
// bitmap fonts are created per thread.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/core/status.h"
#include "pipeline/core/types.h"
#include "pipeline/image/png.h"

struct Pix;

namespace redact {

struct PixDeleter {
  void operator()(Pix* p) const;
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

// An 8 bpp Leptonica image of `img` (for engines that take one, e.g. Tesseract).
PixPtr ToPix8(const GrayImage& img);
// Back again: the pixels of an 8 bpp image (empty for any other kind, or null).
GrayImage FromPix8(Pix* pix, double dpi);
// Another reference to `pix` (Leptonica's clone: the pixels are shared, not copied), or null
// when `pix` is null or not `width` x `height`.
PixPtr ClonePixOfSize(Pix* pix, int width, int height);

// An image file (PNG, JPEG, TIFF including multi-page), one page at a time.
class ImageFile {
 public:
  // Reads the file's bytes and checks the first page's size against `max_page_pixels`
  // before anything is decoded.
  static Result<ImageFile> Open(const std::string& path, double max_page_pixels);
  int page_count() const { return pages_; }
  // Page `page` (1-based) as 8-bit grey. Resolution from the file, or 300 DPI assumed.
  Result<GrayImage> Page(int page) const;

 private:
  std::string data_;
  int pages_ = 0;
  bool tiff_ = false;
  double max_page_pixels_ = 0;
};

// Finds the skew of a scanned page (degrees to rotate by to straighten it); 0 when Leptonica
// is not confident. Use with RotateByAngle so that a page can be rebuilt identically.
double FindSkewAngle(const GrayImage& img);
// Rotates by `degrees` (small angles; positive turns the page clockwise) about its centre,
// bringing in white at the edges; same size.
GrayImage RotateByAngle(GrayImage img, double degrees);
// Rotates by quarter turns clockwise (0..3).
GrayImage RotateQuarterTurns(GrayImage img, int turns);

// A rectangle of an image's pixels.
struct PixelArea {
  int x = 0, y = 0, width = 0, height = 0;
};

// Where the ink of `img` (grey darker than kInkBelow) lies: the bounding boxes of its clusters,
// ink less than `join` pixels apart counted as one (the parts of a logo, the lines of a
// screenshot). More than `max_clusters` clusters give an empty result and `*too_many` set.
std::vector<PixelArea> InkClusters(const GrayImage& img, int join, int max_clusters,
                                   bool* too_many);

// Whether `img` (a picture at 100 DPI or more) holds ink shaped like text: connected
// components of character size lying in rows, their bottoms on one line, a letter's gap
// apart, dark on light or light on dark. A screenshot of text does; a logo, a photograph or a
// signature does not. When unsure it says yes (the page is then read by OCR).
bool HoldsTextLikeInk(const GrayImage& img);

// A page label to draw in white inside a black box, in pixels.
struct PixelLabel {
  int x0, y0, x1, y1;
  std::string text;
};

// Encodes a page: thresholded to bilevel CCITT G4 (`photo` false) or JPEG. Labels are drawn
// with Leptonica's built-in bitmap fonts where they fit.
Result<std::string> EncodePageImage(const GrayImage& img, bool photo, int threshold,
                                    int jpeg_quality, const std::vector<PixelLabel>& labels);

// A numbered rectangle to outline on a thumbnail, in the image's pixels.
struct Outline {
  int x0, y0, x1, y1;
  std::string label;
};

// A page view before it is written: palette indices (15 greys and red), a pixel for each
// k x k block of the page, the block's mean.
struct PageView {
  int k = 1, width = 0, height = 0;
  std::vector<uint8_t> index;
};

// `img` reduced to about `width` pixels wide (the nearest a whole reduction gives).
Result<PageView> ReducePage(const GrayImage& img, int width);

// Makes `view`, a reduction of `img` before the pixel rows `rows` ([first, last) each) were
// written, the reduction of `img` as it is now: only the rows of blocks they reach are reduced
// again (a release differs from its page in a few lines). A view of another size is made
// afresh.
Status ReduceRows(const GrayImage& img, const std::vector<std::pair<int, int>>& rows,
                  PageView* view);

// Draws `outlines` (in the page's pixels) in red, each numbered with its label.
void DrawOutlines(const std::vector<Outline>& outlines, PageView* view);

// The view as a 4-bit palette PNG; `bands` as EncodePalettePng4 takes it.
Result<std::string> PageViewPng(const PageView& view, PngBands* bands = nullptr);

// A small colour PNG of `img`, about `width` pixels wide (the nearest a whole reduction gives),
// with `outlines` (in `img`'s pixels) drawn in red and numbered.
Result<std::string> ThumbnailPng(const GrayImage& img, int width,
                                 const std::vector<Outline>& outlines);

}  // namespace redact
