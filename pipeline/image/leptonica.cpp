#include "pipeline/image/leptonica.h"

#include <leptonica/allheaders.h>

#include <emmintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "pipeline/core/files.h"
#include "pipeline/image/ccitt_g4.h"
#include "pipeline/image/png.h"

namespace redact {

void PixDeleter::operator()(Pix* p) const { pixDestroy(&p); }

namespace {

// Leptonica prints warnings and errors on stderr; every call here checks its result, so the
// messages would only clutter the batch's output.
const bool kQuiet = [] {
  setMsgSeverity(L_SEVERITY_NONE);
  return true;
}();

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

constexpr double kAssumedDpi = 300;

// Any depth, with or without a colour map, to 8 bpp grey.
PixPtr ToGray8(PIX* pix) {
  if (pixGetDepth(pix) == 32) return PixPtr(pixConvertRGBToLuminance(pix));
  PixPtr nocmap(pixRemoveColormap(pix, REMOVE_CMAP_TO_GRAYSCALE));
  if (!nocmap) return nocmap;
  if (pixGetDepth(nocmap.get()) == 32) return PixPtr(pixConvertRGBToLuminance(nocmap.get()));
  if (pixGetDepth(nocmap.get()) == 16) return PixPtr(pixConvert16To8(nocmap.get(), L_MS_BYTE));
  return PixPtr(pixConvertTo8(nocmap.get(), 0));
}

// An empty Leptonica image of `img`'s size and resolution.
PixPtr NewPixLike(const GrayImage& img, int depth) {
  PixPtr pix(pixCreate(img.width, img.height, depth));
  if (pix) pixSetResolution(pix.get(), int(std::lround(img.dpi)), int(std::lround(img.dpi)));
  return pix;
}

// Thresholds straight into a 1 bpp image (1 = black), skipping an 8 bpp copy.
uint32_t ReverseBits(uint32_t v) {
  v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
  v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
  v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
  return __builtin_bswap32(v);
}

PixPtr ToPix1(const GrayImage& img, int threshold) {
  PixPtr pix = NewPixLike(img, 1);
  if (!pix) return pix;
  l_uint32* data = pixGetData(pix.get());
  const int wpl = pixGetWpl(pix.get());
  const __m128i t = _mm_set1_epi8(char(std::clamp(threshold, 0, 255)));
  for (int y = 0; y < img.height; ++y) {
    l_uint32* line = data + y * wpl;
    const uint8_t* src = img.pixels.data() + size_t(y) * size_t(img.width);
    for (int w = 0; w < wpl; ++w) {
      const int x0 = w * 32;
      const int n = std::min(32, img.width - x0);
      l_uint32 word = 0;
      if (n == 32) {
        // Bit k of the mask: pixel k is lighter than the threshold (max(p, t) == p).
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x0));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + x0 + 16));
        const uint32_t light = uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(a, t), a))) |
                               uint32_t(_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(b, t), b)))
                                   << 16;
        word = ReverseBits(~light);  // Leptonica keeps the leftmost pixel in the top bit
      } else {
        for (int k = 0; k < n; ++k) word |= l_uint32(src[x0 + k] < threshold) << (31 - k);
      }
      line[w] = word;
    }
  }
  return pix;
}

// Draws `label` in white centred in its box with the largest built-in font that fits.
void DrawLabel(PIX* pix, const PixelLabel& l) {
  if (l.text.empty()) return;
  for (int size = 20; size >= 4; size -= 2) {
    L_BMF* bmf = Font(size);
    if (!bmf) continue;
    l_int32 tw = 0;
    if (bmfGetStringWidth(bmf, l.text.c_str(), &tw) != 0) continue;
    const int th = bmf->lineheight;
    if (tw + 4 > l.x1 - l.x0 || th + 2 > l.y1 - l.y0) continue;
    const int x = l.x0 + ((l.x1 - l.x0) - tw) / 2;
    // pixSetTextline takes the baseline.
    const int y = l.y0 + ((l.y1 - l.y0) - th) / 2 + bmf->baselinetab[int('A')];
    l_int32 width = 0, overflow = 0;
    // White: 255 in grey, 0 (paper) in a bilevel image.
    pixSetTextline(pix, bmf, l.text.c_str(), pixGetDepth(pix) == 1 ? 0 : 0xff, x, y, &width,
                   &overflow);
    return;
  }
}

// The page (1-based) of a classic TIFF whose directory the chain names but the file does not
// hold whole (a file cut short: libtiff stops at the last whole one and says nothing); 0 when
// every directory is there (or the file is no classic TIFF, which libtiff judges).
int TiffPageCutOff(const std::string& d) {
  if (d.size() < 8 || !((d[0] == 'I' && d[1] == 'I') || (d[0] == 'M' && d[1] == 'M'))) return 0;
  const bool le = d[0] == 'I';
  const auto byte = [&](size_t o) { return uint32_t(static_cast<unsigned char>(d[o])); };
  const auto u16 = [&](size_t o) {
    return le ? byte(o) | byte(o + 1) << 8 : byte(o) << 8 | byte(o + 1);
  };
  const auto u32 = [&](size_t o) {
    return le ? u16(o) | u16(o + 2) << 16 : u16(o) << 16 | u16(o + 2);
  };
  if (u16(2) != 42) return 0;  // BigTIFF and others: left to libtiff
  uint64_t off = u32(4);
  std::set<uint64_t> seen;
  for (int page = 1; off != 0 && page < 100000; ++page) {
    if (!seen.insert(off).second) return 0;  // a loop: libtiff refuses it itself
    if (off + 2 > d.size()) return page;
    const uint64_t end = off + 2 + 12 * uint64_t(u16(size_t(off))) + 4;
    if (end > d.size()) return page;
    off = u32(size_t(end - 4));
  }
  return 0;
}

}  // namespace

PixPtr ClonePixOfSize(Pix* pix, int width, int height) {
  if (!pix || int(pixGetWidth(pix)) != width || int(pixGetHeight(pix)) != height) return nullptr;
  return PixPtr(pixClone(pix));
}

GrayImage FromPix8(PIX* pix, double dpi) {
  GrayImage img;
  img.dpi = dpi;
  // Empty when Leptonica could not allocate (callers report it) or for another depth.
  if (!pix || pixGetDepth(pix) != 8 || pixGetColormap(pix)) return img;
  img.width = int(pixGetWidth(pix));
  img.height = int(pixGetHeight(pix));
  img.dpi = dpi;
  img.pixels.resize(size_t(img.width) * size_t(img.height));
  const l_uint32* data = pixGetData(pix);
  const int wpl = pixGetWpl(pix);
  for (int y = 0; y < img.height; ++y) {
    const l_uint32* line = data + y * wpl;
    uint8_t* dst = img.pixels.data() + size_t(y) * size_t(img.width);
    // Leptonica keeps the leftmost of four pixels in a word's top byte: a byte swap per word
    // puts them in order (the per-pixel macro costs several times as much on a 9 MB page).
    int x = 0;
    if constexpr (std::endian::native == std::endian::little) {
      for (; x + 4 <= img.width; x += 4) {
        const uint32_t v = __builtin_bswap32(line[x / 4]);
        std::memcpy(dst + x, &v, 4);
      }
    }
    for (; x < img.width; ++x) dst[x] = uint8_t(GET_DATA_BYTE(line, x));
  }
  return img;
}

PixPtr ToPix8(const GrayImage& img) {
  PixPtr pix = NewPixLike(img, 8);
  if (!pix) return pix;
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

Result<ImageFile> ImageFile::Open(const std::string& path, double max_page_pixels) {
  auto data = ReadFile(path);
  if (!data.ok()) return data.status();
  ImageFile f;
  f.data_ = std::move(*data);
  f.max_page_pixels_ = max_page_pixels;
  const auto* bytes = reinterpret_cast<const l_uint8*>(f.data_.data());
  l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
  if (pixReadHeaderMem(bytes, f.data_.size(), &format, &w, &h, &bps, &spp, &cmap) != 0) {
    return Status::InvalidInput("the image cannot be read (damaged or truncated)",
                                "Open it in an image viewer; if it opens, save it again.");
  }
  if (w <= 0 || h <= 0 || double(w) * double(h) > max_page_pixels) {
    return Status::TooLarge(
        "the image is " + std::to_string(w) + " x " + std::to_string(h) + " pixels, over the limit",
        "If the file is trusted, raise --max-page-pixels.");
  }
  f.tiff_ = format == IFF_TIFF || (format >= IFF_TIFF_PACKBITS && format <= IFF_TIFF_ZIP) ||
            format == IFF_TIFF_JPEG;
  f.pages_ = 1;
  if (f.tiff_) {
    // Count the pages by walking the directory chain (no pixels decoded).
    FILE* fp = fmemopen(f.data_.data(), f.data_.size(), "rb");
    l_int32 n = 0;
    if (fp) {
      tiffGetCount(fp, &n);
      std::fclose(fp);
    }
    f.pages_ = std::max(1, int(n));
    if (const int cut = TiffPageCutOff(f.data_); cut > 0) {
      return Status::InvalidInput("the TIFF is cut short: the directory of its page " +
                                      std::to_string(cut) +
                                      " lies past the end of the file, so its pages from " +
                                      std::to_string(cut) + " on are missing",
                                  "Copy or scan it again; the file is incomplete.");
    }
  }
  return f;
}

Result<GrayImage> ImageFile::Page(int page) const {
  const auto* bytes = reinterpret_cast<const l_uint8*>(data_.data());
  PixPtr pix(tiff_ ? pixReadMemTiff(bytes, data_.size(), page - 1)
                   : pixReadMem(bytes, data_.size()));
  if (!pix) {
    return Status::InvalidInput("page " + std::to_string(page) + " of the image cannot be decoded",
                                "The file may be damaged; save it again from its source.");
  }
  if (double(pixGetWidth(pix.get())) * double(pixGetHeight(pix.get())) > max_page_pixels_) {
    return Status::TooLarge("page " + std::to_string(page) + " of the image is too large",
                            "If the file is trusted, raise --max-page-pixels.");
  }
  double dpi = pixGetXRes(pix.get());
  if (dpi < 50 || dpi > 2400) dpi = kAssumedDpi;
  PixPtr gray = ToGray8(pix.get());
  if (!gray) return Status::Engine("Leptonica could not convert the image to grey");
  return FromPix8(gray.get(), dpi);
}

double FindSkewAngle(const GrayImage& img) {
  // Thresholded straight into a bilevel image: the skew is found in the ink.
  PixPtr bin = ToPix1(img, kInkBelow);
  if (!bin) return 0;
  l_float32 angle = 0, conf = 0;
  if (pixFindSkew(bin.get(), &angle, &conf) != 0) return 0;
  // Below these Leptonica's estimate is noise; a straight page stays untouched.
  if (conf < 3.0 || std::abs(angle) < 0.1 || std::abs(angle) > 10) return 0;
  return angle;
}

namespace {

// One pass of a rotation by three shears: each row of `in` moved sideways by `a` times its
// distance from the centre row, sampled between the two nearest pixels (paper brought in).
void ShearRows(const GrayImage& in, GrayImage* out, double a) {
  const int w = in.width, h = in.height;
  for (int y = 0; y < h; ++y) {
    const double d = -a * (y + 0.5 - h / 2.0);  // the source of pixel x is x + d
    const double whole = std::floor(d);
    const int k = int(whole), f = int(std::lround((d - whole) * 256)), g = 256 - f;
    const uint8_t* src = in.pixels.data() + size_t(y) * size_t(w);
    uint8_t* dst = out->pixels.data() + size_t(y) * size_t(w);
    auto at = [&](int x) { return x >= 0 && x < w ? int(src[x]) : 255; };
    // Where both neighbours are on the page, a loop the compiler vectorises.
    const int lo = std::clamp(-k, 0, w), hi = std::clamp(w - 1 - k, lo, w);
    for (int x = 0; x < lo; ++x) dst[x] = uint8_t((at(x + k) * g + at(x + k + 1) * f + 128) >> 8);
    const uint8_t* p = src + k;
    for (int x = lo; x < hi; ++x) dst[x] = uint8_t((p[x] * g + p[x + 1] * f + 128) >> 8);
    for (int x = hi; x < w; ++x) dst[x] = uint8_t((at(x + k) * g + at(x + k + 1) * f + 128) >> 8);
  }
}

// The middle pass: each column moved up or down by `b` times its distance from the centre
// column. Columns moved by the same whole number of rows are done together, row by row.
void ShearColumns(const GrayImage& in, GrayImage* out, double b) {
  const int w = in.width, h = in.height;
  std::vector<int> shift(static_cast<size_t>(w));
  std::vector<uint16_t> weight(static_cast<size_t>(w));
  for (int x = 0; x < w; ++x) {
    const double d = -b * (x + 0.5 - w / 2.0);  // the source of row y is y + d
    const double whole = std::floor(d);
    shift[size_t(x)] = int(whole);
    weight[size_t(x)] = uint16_t(std::lround((d - whole) * 256));
  }
  const std::vector<uint8_t> paper(static_cast<size_t>(w), 255);
  auto row = [&](int y) {
    return y >= 0 && y < h ? in.pixels.data() + size_t(y) * size_t(w) : paper.data();
  };
  for (int y = 0; y < h; ++y) {
    uint8_t* dst = out->pixels.data() + size_t(y) * size_t(w);
    for (int x0 = 0; x0 < w;) {
      int x1 = x0 + 1;
      while (x1 < w && shift[size_t(x1)] == shift[size_t(x0)]) ++x1;
      const uint8_t* r0 = row(y + shift[size_t(x0)]);
      const uint8_t* r1 = row(y + shift[size_t(x0)] + 1);
      const uint16_t* f = weight.data();
      for (int x = x0; x < x1; ++x) {
        dst[x] = uint8_t((r0[x] * (256 - f[x]) + r1[x] * f[x] + 128) >> 8);
      }
      x0 = x1;
    }
  }
}

}  // namespace

// By three shears (x, y, x: Paeth's decomposition), each sampled between neighbouring pixels:
// as smooth as an area-mapped rotation (and as well read by OCR), in a quarter of the time.
// The image is taken by value: with a 300 DPI page, each copy is 9 MB.
GrayImage RotateByAngle(GrayImage img, double degrees) {
  if (degrees == 0 || img.width <= 0 || img.height <= 0) return img;
  const double a = degrees * M_PI / 180.0;
  GrayImage other;
  other.width = img.width;
  other.height = img.height;
  other.dpi = img.dpi;
  other.pixels.resize(img.pixels.size());
  ShearRows(img, &other, -std::tan(a / 2));
  ShearColumns(other, &img, std::sin(a));
  ShearRows(img, &other, -std::tan(a / 2));
  return other;
}

GrayImage RotateQuarterTurns(GrayImage img, int turns) {
  turns = ((turns % 4) + 4) % 4;
  if (turns == 0) return img;
  PixPtr pix = ToPix8(img);
  if (!pix) return img;
  const double dpi = img.dpi;
  std::vector<uint8_t>().swap(img.pixels);
  PixPtr rotated(pixRotateOrth(pix.get(), turns));
  pix.reset();
  return FromPix8(rotated.get(), dpi);
}

namespace {

// Fifteen greys and the outlines' red in a 4 bpp palette: a page reads the same, and the PNG
// is a fraction of a full-colour one to write and to carry.
constexpr int kGreys = 15;
constexpr uint8_t kRed = kGreys;

// Rows of blocks of a page reduced by a whole factor, each pixel the mean of a k x k block
// (paper past the edge).
class Reducer {
 public:
  Reducer(int k, int width) : k_(k), columns_(size_t(width) * size_t(k)) {
    const uint32_t area = uint32_t(k) * uint32_t(k);
    // A block's sum to its grey, looked up (a division per pixel costs more than the rest).
    grey_of_.resize(size_t(area) * 255 + 1);
    for (uint32_t sum = 0; sum < grey_of_.size(); ++sum) {
      grey_of_[sum] = uint8_t((sum * (kGreys - 1) + area * 255 / 2) / (area * 255));
    }
  }

  // Row `oy` of blocks of `img` into `out` (`width` pixels). Paper at either end of the rows
  // (the margins, a blank row) is found 16 pixels at a time and written as paper; between,
  // rows are summed down each column first (16 bits a column: a loop the compiler
  // vectorises), then each k columns of those sums; paper (255) fills the blocks past the
  // right and bottom.
  void Row(const GrayImage& img, int oy, uint8_t* out) {
    const int k = k_, ow = int(columns_.size()) / k;
    const int y0 = oy * k, y1 = std::min(img.height, y0 + k);
    const uint8_t* first = img.pixels.data() + size_t(y0) * size_t(img.width);
    // The next row of blocks asked of memory now, read while this one is summed (a page is
    // megabytes: it is not all in the caches).
    const size_t next = size_t(y1) * size_t(img.width);
    const size_t ahead = std::min(img.pixels.size(), next + size_t(k) * size_t(img.width));
    for (size_t at = next; at < ahead; at += 64)
      _mm_prefetch(reinterpret_cast<const char*>(img.pixels.data() + at), _MM_HINT_T0);
    int left = 0, right = 0;
    InkSpan(first, img.width, y1 - y0, &left, &right);
    const uint8_t paper = grey_of_.back();
    const int ox0 = left / k, ox1 = right <= left ? ox0 : std::min(ow, (right + k - 1) / k);
    std::fill(out, out + ox0, paper);
    std::fill(out + ox1, out + ow, paper);
    if (ox1 <= ox0) return;
    // The columns of blocks ox0 to ox1, those past the page's edge paper.
    const int x0 = ox0 * k, x1 = std::min(img.width, ox1 * k);
    uint16_t* c = columns_.data();
    std::fill(c + x1, c + ox1 * k, uint16_t(255 * k));
    if (k == 3 && y1 - y0 == 3) {  // a whole block of rows at 200 DPI: one pass, no fill
      const uint8_t* r0 = first;
      const uint8_t* r1 = r0 + img.width;
      const uint8_t* r2 = r1 + img.width;
      for (int x = x0; x < x1; ++x) c[x] = uint16_t(r0[x] + r1[x] + r2[x]);
    } else {
      std::fill(c + x0, c + x1, uint16_t(255 * (k - (y1 - y0))));
      for (int y = y0; y < y1; ++y) {
        const uint8_t* row = img.pixels.data() + size_t(y) * size_t(img.width);
        for (int x = x0; x < x1; ++x) c[x] = uint16_t(c[x] + row[x]);
      }
    }
    const uint8_t* grey_of = grey_of_.data();
    if (k == 3) {  // 200 DPI pages, the common case, without the inner loop
      for (int ox = ox0; ox < ox1; ++ox) {
        out[ox] = grey_of[c[3 * ox] + c[3 * ox + 1] + c[3 * ox + 2]];
      }
      return;
    }
    for (int ox = ox0; ox < ox1; ++ox) {
      uint32_t sum = 0;
      for (int i = 0; i < k; ++i) sum += c[ox * k + i];
      out[ox] = grey_of[sum];
    }
  }

 private:
  // The columns [left, right) of `rows` rows of `width` pixels from `first` outside which
  // every pixel is paper (255); left == right when all are.
  static void InkSpan(const uint8_t* first, int width, int rows, int* left, int* right) {
    const __m128i paper = _mm_set1_epi8(char(0xFF));
    auto paper16 = [&](int x) {  // the 16 pixels from column x, in every row, are paper
      __m128i v = paper;
      for (int r = 0; r < rows; ++r) {
        v = _mm_and_si128(
            v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(first + size_t(r) * width + x)));
      }
      return _mm_movemask_epi8(_mm_cmpeq_epi8(v, paper)) == 0xFFFF;
    };
    auto paper1 = [&](int x) {
      for (int r = 0; r < rows; ++r) {
        if (first[size_t(r) * width + x] != 255) return false;
      }
      return true;
    };
    int l = 0;
    while (l + 16 <= width && paper16(l)) l += 16;
    while (l < width && paper1(l)) ++l;
    int r = width;
    while (r - 16 >= l && paper16(r - 16)) r -= 16;
    while (r > l && paper1(r - 1)) --r;
    *left = l;
    *right = r;
  }

  int k_;
  std::vector<uint8_t> grey_of_;
  std::vector<uint16_t> columns_;
};

bool Usable(const GrayImage& img) {
  return img.width > 0 && img.height > 0 &&
         img.pixels.size() >= size_t(img.width) * size_t(img.height);
}

}  // namespace

Result<PageView> ReducePage(const GrayImage& img, int width) {
  if (!Usable(img)) return Status::Engine("no page image to make a thumbnail of");
  // Reduced by a whole factor: one pass over the page, no copy of it, and every detail a
  // thumbnail can show is kept. The width is the nearest a whole factor gives (566 pixels
  // for 600 at 200 DPI); at most 16, so a column of sums fits in 16 bits.
  PageView view;
  view.k = std::clamp((img.width + width / 2) / std::max(1, width), 1, 16);
  view.width = (img.width + view.k - 1) / view.k;
  view.height = (img.height + view.k - 1) / view.k;
  view.index.resize(size_t(view.width) * size_t(view.height));
  Reducer reducer(view.k, view.width);
  for (int oy = 0; oy < view.height; ++oy) {
    reducer.Row(img, oy, view.index.data() + size_t(oy) * size_t(view.width));
  }
  return view;
}

Status ReduceRows(const GrayImage& img, const std::vector<std::pair<int, int>>& rows,
                  PageView* view) {
  if (!Usable(img)) return Status::Engine("no page image to make a thumbnail of");
  const int k = view->k;
  if (k < 1 || view->width != (img.width + k - 1) / k || view->height != (img.height + k - 1) / k ||
      view->index.size() != size_t(view->width) * size_t(view->height)) {
    auto fresh = ReducePage(img, view->width);
    if (!fresh.ok()) return fresh.status();
    *view = std::move(*fresh);
    return Status::Ok();
  }
  std::vector<bool> again(size_t(view->height), false);
  for (const auto& [first, last] : rows) {
    const int y0 = std::max(first, 0), y1 = std::min(last, img.height);
    for (int oy = y0 / k; y0 < y1 && oy <= (y1 - 1) / k; ++oy) again[size_t(oy)] = true;
  }
  Reducer reducer(k, view->width);
  for (int oy = 0; oy < view->height; ++oy) {
    if (again[size_t(oy)])
      reducer.Row(img, oy, view->index.data() + size_t(oy) * size_t(view->width));
  }
  return Status::Ok();
}

void DrawOutlines(const std::vector<Outline>& outlines, PageView* view) {
  const int k = view->k, ow = view->width, oh = view->height;
  auto set = [&](int x, int y) {
    if (x >= 0 && y >= 0 && x < ow && y < oh)
      view->index[size_t(y) * size_t(ow) + size_t(x)] = kRed;
  };
  L_BMF* font = outlines.empty() ? nullptr : Font(4);
  for (const Outline& o : outlines) {
    const int x0 = o.x0 / k, y0 = o.y0 / k;
    const int x1 = std::max(x0 + 2, o.x1 / k), y1 = std::max(y0 + 2, o.y1 / k);
    for (int x = x0; x <= x1; ++x) set(x, y0), set(x, y1);
    for (int y = y0; y <= y1; ++y) set(x0, y), set(x1, y);
    if (!font || o.label.empty()) continue;
    // The number, right of the outline: drawn into a bilevel strip, then copied in red.
    l_int32 tw = 0;
    if (bmfGetStringWidth(font, o.label.c_str(), &tw) != 0 || tw <= 0) continue;
    PixPtr strip(pixCreate(tw + 2, font->lineheight + 2, 1));
    if (!strip) continue;
    l_int32 drawn = 0, overflow = 0;
    pixSetTextline(strip.get(), font, o.label.c_str(), 1, 0, font->baselinetab[int('0')], &drawn,
                   &overflow);
    const l_uint32* bits = pixGetData(strip.get());
    const int wpl = pixGetWpl(strip.get());
    for (int y = 0; y < int(pixGetHeight(strip.get())); ++y) {
      for (int x = 0; x < int(pixGetWidth(strip.get())); ++x) {
        if (GET_DATA_BIT(bits + y * wpl, x)) set(x1 + 2 + x, y0 + y);
      }
    }
  }
}

Result<std::string> PageViewPng(const PageView& view, PngBands* bands) {
  std::vector<Rgb> palette;
  for (int g = 0; g < kGreys; ++g) {
    const auto v = uint8_t(g * 255 / (kGreys - 1));
    palette.push_back({v, v, v});
  }
  palette.push_back({220, 0, 0});
  return EncodePalettePng4(view.index, view.width, view.height, palette, bands);
}

Result<std::string> ThumbnailPng(const GrayImage& img, int width,
                                 const std::vector<Outline>& outlines) {
  auto view = ReducePage(img, width);
  if (!view.ok()) return view.status();
  DrawOutlines(outlines, &*view);
  return PageViewPng(*view);
}

Result<std::string> EncodePageImage(const GrayImage& img, bool photo, int threshold,
                                    int jpeg_quality, const std::vector<PixelLabel>& labels) {
  PixPtr pix = photo ? ToPix8(img) : ToPix1(img, threshold);
  if (!pix) return Status::Engine("Leptonica could not allocate the page image");
  for (const PixelLabel& l : labels) DrawLabel(pix.get(), l);
  if (!photo) {
    // Our own encoder: the same bytes as libtiff's (tested), in a fifth of the time.
    return EncodeCcittG4(pixGetData(pix.get()), pixGetWpl(pix.get()), img.width, img.height);
  }
  L_COMP_DATA* cid = nullptr;
  if (pixGenerateCIData(pix.get(), L_JPEG_ENCODE, jpeg_quality, 0, &cid) != 0 || !cid) {
    return Status::Engine("Leptonica could not encode the page as JPEG");
  }
  std::string out(reinterpret_cast<const char*>(cid->datacomp), cid->nbytescomp);
  l_CIDataDestroy(&cid);
  return out;
}

struct BoxaFree {
  void operator()(BOXA* b) const { boxaDestroy(&b); }
};
struct BoxaaFree {
  void operator()(BOXAA* b) const { boxaaDestroy(&b); }
};
using BoxaPtr = std::unique_ptr<BOXA, BoxaFree>;

std::vector<PixelArea> InkClusters(const GrayImage& img, int join, int max_clusters,
                                   bool* too_many) {
  *too_many = false;
  std::vector<PixelArea> out;
  PixPtr ink = ToPix1(img, kInkBelow);
  if (!ink) {
    *too_many = true;  // unknown: the caller looks at the whole page
    return out;
  }
  PixPtr joined(join > 1 ? pixDilateBrick(nullptr, ink.get(), join, join) : pixClone(ink.get()));
  BoxaPtr boxa(joined ? pixConnCompBB(joined.get(), 8) : nullptr);
  if (!boxa) {
    *too_many = true;
    return out;
  }
  const int n = boxaGetCount(boxa.get());
  if (n > max_clusters) {
    *too_many = true;
    return out;
  }
  for (int i = 0; i < n; ++i) {
    PixelArea r;
    if (boxaGetBoxGeometry(boxa.get(), i, &r.x, &r.y, &r.width, &r.height) == 0) out.push_back(r);
  }
  return out;
}

namespace {

// Characters in a row before ink reads as text: "a line" of a screenshot holds more, a logo's
// strokes and a signature's loops do not line up so.
constexpr int kCharactersInARow = 4;

// Whether the components of one row (sorted left to right) hold a run of characters: boxes
// whose bottoms sit on the row's line, each a letter's gap from the last. Letters that touch
// (small anti-aliased text) make word-wide boxes; three of those in a run count as well.
bool RowReadsAsText(BOXA* row) {
  const int n = boxaGetCount(row);
  if (n < 3) return false;
  std::vector<PixelArea> boxes(static_cast<size_t>(n));
  std::vector<int> heights, bottoms;
  for (int i = 0; i < n; ++i) {
    PixelArea& b = boxes[size_t(i)];
    boxaGetBoxGeometry(row, i, &b.x, &b.y, &b.width, &b.height);
    heights.push_back(b.height);
    bottoms.push_back(b.y + b.height);
  }
  std::nth_element(heights.begin(), heights.begin() + n / 2, heights.end());
  std::nth_element(bottoms.begin(), bottoms.begin() + n / 2, bottoms.end());
  const int height = heights[size_t(n / 2)], bottom = bottoms[size_t(n / 2)];
  const int tolerance = std::max(2, height / 4);
  int run = 0, wide = 0, last_right = 0;
  for (const PixelArea& b : boxes) {
    const bool on_line = std::abs(b.y + b.height - bottom) <= tolerance && b.height * 2 >= height &&
                         b.height <= height * 2;
    if (!on_line) continue;  // a descender, a dot, a stroke: neither joins nor breaks a run
    if (run > 0 && b.x - last_right > height * 3 / 2) {
      run = 0;
      wide = 0;
    }
    ++run;
    wide += b.width >= 2 * b.height;
    last_right = std::max(last_right, b.x + b.width);
    if (run >= kCharactersInARow || (run >= 3 && wide > 0)) return true;
  }
  return false;
}

}  // namespace

bool HoldsTextLikeInk(const GrayImage& img) {
  if (img.pixels.empty()) return false;
  PixPtr grey = ToPix8(img);
  if (!grey) return true;
  // Ink and paper split where the picture's own two tones part (Otsu), not at a fixed grey:
  // dark text on a coloured panel, light text on a dark terminal.
  l_int32 threshold = 128, ink = 0, paper = 255;
  if (pixSplitDistributionFgBg(grey.get(), 0.1f, 1, &threshold, &ink, &paper, nullptr) != 0) {
    return true;
  }
  if (paper - ink < 48) return false;  // one flat tone: nothing drawn on it reads
  PixPtr bits(pixThresholdToBinary(grey.get(), threshold));
  if (!bits) return true;
  l_float32 dark = 0;
  pixForegroundFraction(bits.get(), &dark);
  if (dark > 0.5f) pixInvert(bits.get(), bits.get());  // text is the lesser part
  // Components of a character's size: 2.4 pt (a small x-height) to 48 pt tall, no wider than
  // a word.
  const int min_height = std::max(3, int(std::lround(img.dpi * 2.4 / 72)));
  const int max_height = int(std::lround(img.dpi * 48 / 72));
  BoxaPtr all(pixConnCompBB(bits.get(), 8));
  if (!all) return true;
  BoxaPtr sized(boxaCreate(0));
  const int n = boxaGetCount(all.get());
  for (int i = 0; i < n; ++i) {
    l_int32 x, y, w, h;
    if (boxaGetBoxGeometry(all.get(), i, &x, &y, &w, &h) != 0) continue;
    if (h < min_height || h > max_height || w > 20 * h) continue;
    BOX* b = boxCreate(x, y, w, h);
    boxaAddBox(sized.get(), b, L_INSERT);
  }
  if (boxaGetCount(sized.get()) < 3) return false;
  // Leptonica's own grouping of boxes into lines of text (boxes that overlap vertically, in
  // rows, each sorted left to right).
  std::unique_ptr<BOXAA, BoxaaFree> rows(boxaSort2d(sized.get(), nullptr, 0, 0, min_height));
  if (!rows) return true;
  for (int r = 0; r < boxaaGetCount(rows.get()); ++r) {
    BoxaPtr row(boxaaGetBoxa(rows.get(), r, L_CLONE));
    if (row && RowReadsAsText(row.get())) return true;
  }
  return false;
}

}  // namespace redact
