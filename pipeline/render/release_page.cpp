#include "pipeline/render/release_page.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "pipeline/image/leptonica.h"

namespace redact {
namespace {

struct PixelRect {
  int x0, y0, x1, y1;
};

PixelRect ToPixels(const Box& b, double dpi, int w, int h) {
  double s = dpi / 72.0;
  PixelRect r{int(std::floor(b.x0 * s)), int(std::floor(b.y0 * s)), int(std::ceil(b.x1 * s)),
              int(std::ceil(b.y1 * s))};
  r.x0 = std::clamp(r.x0, 0, w);
  r.x1 = std::clamp(r.x1, 0, w);
  r.y0 = std::clamp(r.y0, 0, h);
  r.y1 = std::clamp(r.y1, 0, h);
  return r;
}

double MidToneShare(const GrayImage& img) {
  if (img.pixels.empty()) return 0;
  size_t mid = 0;
  // Sample every 4th pixel: plenty to tell a photograph from text.
  size_t n = 0;
  for (size_t i = 0; i < img.pixels.size(); i += 4, ++n) {
    uint8_t v = img.pixels[i];
    if (v > 40 && v < 215) ++mid;
  }
  return double(mid) / double(n);
}

}  // namespace

void BurnBoxes(GrayImage* page, const std::vector<LabelledBox>& boxes) {
  for (const LabelledBox& lb : boxes) {
    PixelRect r = ToPixels(lb.box, page->dpi, page->width, page->height);
    for (int y = r.y0; y < r.y1; ++y) {
      std::memset(page->pixels.data() + size_t(y) * size_t(page->width) + size_t(r.x0), 0,
                  size_t(r.x1 - r.x0));
    }
  }
}

Result<EncodedImage> RenderReleasePage(GrayImage* page, const std::vector<LabelledBox>& boxes,
                                       const RenderOptions& options) {
  if (page->width <= 0 || page->height <= 0 ||
      page->pixels.size() != size_t(page->width) * size_t(page->height)) {
    return Status::Engine("internal: page raster has the wrong size");
  }
  // The boxes go into our own buffer first, so the encoded image can never miss one.
  BurnBoxes(page, boxes);
  const bool photo = MidToneShare(*page) > options.photo_share;
  std::vector<PixelLabel> labels;
  for (const LabelledBox& lb : boxes) {
    PixelRect r = ToPixels(lb.box, page->dpi, page->width, page->height);
    labels.push_back({r.x0, r.y0, r.x1, r.y1, lb.label});
  }
  auto data =
      EncodePageImage(*page, photo, options.bilevel_threshold, options.jpeg_quality, labels);
  if (!data.ok()) return data.status();
  EncodedImage out;
  out.width = page->width;
  out.height = page->height;
  out.encoding = photo ? ImageEncoding::kJpeg : ImageEncoding::kG4;
  out.data = std::move(*data);
  return out;
}

}  // namespace redact
