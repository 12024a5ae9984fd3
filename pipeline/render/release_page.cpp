#include "pipeline/render/release_page.h"

#include <leptonica/allheaders.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

namespace redact {
namespace {

struct PixFree {
  void operator()(PIX* p) const { pixDestroy(&p); }
};
using PixPtr = std::unique_ptr<PIX, PixFree>;

struct BmfFree {
  void operator()(L_BMF* b) const { bmfDestroy(&b); }
};

// Leptonica's built-in bitmap fonts, created once per thread and size.
L_BMF* Font(int size) {
  thread_local std::map<int, std::unique_ptr<L_BMF, BmfFree>> fonts;
  auto it = fonts.find(size);
  if (it == fonts.end()) {
    it = fonts.emplace(size, std::unique_ptr<L_BMF, BmfFree>(bmfCreate(nullptr, size))).first;
  }
  return it->second.get();
}

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

// Leptonica keeps pixels in 32-bit words, most significant byte (or bit) first.
PixPtr ToPix8(const GrayImage& img) {
  PixPtr pix(pixCreate(img.width, img.height, 8));
  if (!pix) return pix;
  pixSetResolution(pix.get(), int(std::lround(img.dpi)), int(std::lround(img.dpi)));
  l_uint32* data = pixGetData(pix.get());
  const int wpl = pixGetWpl(pix.get());
  for (int y = 0; y < img.height; ++y) {
    l_uint32* line = data + y * wpl;
    const uint8_t* src = img.pixels.data() + size_t(y) * size_t(img.width);
    int x = 0;
    for (; x + 4 <= img.width; x += 4) {
      line[x / 4] = (l_uint32(src[x]) << 24) | (l_uint32(src[x + 1]) << 16) |
                    (l_uint32(src[x + 2]) << 8) | l_uint32(src[x + 3]);
    }
    for (; x < img.width; ++x) SET_DATA_BYTE(line, x, src[x]);
  }
  return pix;
}

// Thresholds straight into a 1 bpp image (1 = black), skipping an 8 bpp copy.
PixPtr ToPix1(const GrayImage& img, int threshold) {
  PixPtr pix(pixCreate(img.width, img.height, 1));
  if (!pix) return pix;
  pixSetResolution(pix.get(), int(std::lround(img.dpi)), int(std::lround(img.dpi)));
  l_uint32* data = pixGetData(pix.get());
  const int wpl = pixGetWpl(pix.get());
  for (int y = 0; y < img.height; ++y) {
    l_uint32* line = data + y * wpl;
    const uint8_t* src = img.pixels.data() + size_t(y) * size_t(img.width);
    for (int w = 0; w < wpl; ++w) {
      l_uint32 word = 0;
      const int x0 = w * 32;
      const int n = std::min(32, img.width - x0);
      for (int k = 0; k < n; ++k) {
        word |= l_uint32(src[x0 + k] < threshold) << (31 - k);
      }
      line[w] = word;
    }
  }
  return pix;
}

// Draws `label` in white centred in `r` with the largest built-in font that fits.
void DrawLabel(PIX* pix, const PixelRect& r, const std::string& label) {
  if (label.empty()) return;
  for (int size = 20; size >= 4; size -= 2) {
    L_BMF* bmf = Font(size);
    if (!bmf) continue;
    l_int32 tw = 0;
    if (bmfGetStringWidth(bmf, label.c_str(), &tw) != 0) continue;
    int th = bmf->lineheight;
    if (tw + 4 > r.x1 - r.x0 || th + 2 > r.y1 - r.y0) continue;
    int x = r.x0 + ((r.x1 - r.x0) - tw) / 2;
    // pixSetTextline takes the baseline.
    int y = r.y0 + ((r.y1 - r.y0) - th) / 2 + bmf->baselinetab[int('A')];
    l_int32 width = 0, overflow = 0;
    // White: 255 in grey, 0 (paper) in a bilevel image.
    pixSetTextline(pix, bmf, label.c_str(), pixGetDepth(pix) == 1 ? 0 : 0xff, x, y, &width,
                   &overflow);
    return;
  }
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
  PixPtr pix = photo ? ToPix8(*page) : ToPix1(*page, options.bilevel_threshold);
  if (!pix) return Status::Engine("Leptonica could not allocate the page image");
  for (const LabelledBox& lb : boxes) {
    DrawLabel(pix.get(), ToPixels(lb.box, page->dpi, page->width, page->height), lb.label);
  }
  EncodedImage out;
  out.width = page->width;
  out.height = page->height;
  out.encoding = photo ? ImageEncoding::kJpeg : ImageEncoding::kG4;
  L_COMP_DATA* cid = nullptr;
  if (pixGenerateCIData(pix.get(), photo ? L_JPEG_ENCODE : L_G4_ENCODE,
                        photo ? options.jpeg_quality : 0, 0, &cid) != 0 ||
      !cid) {
    return Status::Engine(std::string("Leptonica could not encode the page as ") +
                          (photo ? "JPEG" : "CCITT G4"));
  }
  out.data.assign(reinterpret_cast<const char*>(cid->datacomp), cid->nbytescomp);
  l_CIDataDestroy(&cid);
  return out;
}

}  // namespace redact
