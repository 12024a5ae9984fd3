#include "fuzz/fuzz_targets.h"

#include <leptonica/allheaders.h>
#include <unistd.h>

#include <algorithm>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pipeline/batch/document.h"
#include "pipeline/core/page_text_builder.h"
#include "pipeline/detect/detect.h"
#include "pipeline/extract/document_reader.h"
#include "pipeline/extract/email.h"
#include "pipeline/extract/office_package.h"
#include "pipeline/image/ccitt_g4.h"
#include "pipeline/image/png.h"
#include "pipeline/ingest/ingest.h"
#include "pipeline/rules/rule_loader.h"

namespace redact::fuzz {
namespace {

// A scratch file of this process, rewritten for every input.
std::string Scratch(const char* name, const uint8_t* data, size_t size) {
  static const std::string dir = [] {
    std::string d =
        (std::filesystem::temp_directory_path() / ("redact-fuzz-" + std::to_string(::getpid())))
            .string();
    std::filesystem::create_directories(d);
    return d;
  }();
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), std::streamsize(size));
  return path;
}

// Reads the input as a little stream of numbers and strings.
class Bytes {
 public:
  Bytes(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  uint8_t Byte() { return i_ < n_ ? d_[i_++] : 0; }
  double Coord() { return double(Byte()) * 2.5; }
  std::string Text(size_t max) {
    size_t len = std::min<size_t>(Byte() % (max + 1), n_ - std::min(i_, n_));
    std::string s(reinterpret_cast<const char*>(d_ + i_), len);
    i_ += len;
    return s;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t i_ = 0;
};

const std::shared_ptr<const RuleMatcher>& DefaultMatcher() {
  static const std::shared_ptr<const RuleMatcher> matcher = [] {
    LoadOptions quick;
    quick.check_examples = false;
    auto c = LoadRules({std::string(REDACT_SOURCE_DIR) + "/rules"}, quick);
    return c.ok() ? c->matcher : nullptr;
  }();
  return matcher;
}

}  // namespace

int RuleLoader(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  std::string path = Scratch("rules.toml", data, size);
  auto catalog = LoadRules({path});
  if (catalog.ok()) {
    (void)RunRuleExamples(*catalog);
    (void)catalog->matcher->FindSpans("GCHQ at 10.1.2.3 uses AES-256 for mail@x.police.uk");
  }
  return 0;
}

int PageText(const uint8_t* data, size_t size) {
  if (size > 16 * 1024) return 0;
  Bytes in(data, size);
  std::vector<Word> words;
  std::vector<bool> space_after;
  while (!in.empty() && words.size() < 400) {
    Word w;
    w.text = in.Text(24);
    double x = in.Coord(), y = in.Coord(), cw = 1 + in.Byte() % 12, h = 1 + in.Byte() % 30;
    // One box per code point, as the extractors give (invalid UTF-8 counts byte by byte).
    size_t n = 0;
    for (unsigned char c : w.text) n += (c & 0xC0) != 0x80;
    for (size_t i = 0; i < n; ++i)
      w.char_boxes.push_back({x + cw * double(i), y, x + cw * double(i + 1), y + h});
    w.box = {x, y, x + cw * double(n), y + h};
    if (in.Byte() & 1) w.source = TextSource::kOcr;
    words.push_back(std::move(w));
    space_after.push_back(in.Byte() & 1);
  }
  std::vector<redact::PageText> pages = {BuildPageText(1, 612, 792, std::move(words), space_after)};
  if (const auto& matcher = DefaultMatcher()) {
    auto findings = DetectFindings(pages, *matcher);
    (void)findings;
  }
  return 0;
}

int IngestExtract(const uint8_t* data, size_t size) {
  if (size > 1024 * 1024) return 0;
  std::string path = Scratch("input", data, size);
  auto src = IngestFile(path, "input");
  if (!src.ok()) return 0;
  ReaderOptions options;
  options.ocr = OcrMode::kNever;
  options.dpi = 20;
  options.max_pages = 20;
  options.max_page_pixels = 4e6;
  auto reader = DocumentReader::Open(*src, options);
  if (!reader.ok()) return 0;
  for (int p = 1; p <= (*reader)->page_count() && p <= 5; ++p) {
    PageInfo info;
    auto text = (*reader)->ReadPage(p, &info);
    if (text.ok()) (void)(*reader)->ReleaseRaster(p, info);
  }
  return 0;
}

int OfficePackage(const uint8_t* data, size_t size) {
  if (size > 1024 * 1024) return 0;
  const std::string path = Scratch("package.zip", data, size);
  const std::string out = path + ".clean";
  std::filesystem::remove(out);
  OfficeLimits limits;
  limits.max_entry_bytes = 16 << 20;
  limits.max_total_bytes = 32 << 20;
  (void)CleanOfficePackage(path, out, limits);
  return 0;
}

int Email(const uint8_t* data, size_t size) {
  if (size > 1024 * 1024) return 0;
  const std::string path = Scratch("message.eml", data, size);
  const std::string dir = path + ".attachments";
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  EmailLimits limits;
  limits.max_attachment_bytes = 4 << 20;
  (void)ReadEmailMessage(path, dir, limits);
  return 0;
}

namespace {

struct PixFree {
  void operator()(PIX* p) const { pixDestroy(&p); }
};
using PixOwner = std::unique_ptr<PIX, PixFree>;

// Whether libpng reads `png` back as `index` in `palette`'s colours.
bool LibpngReadsBack(const std::string& png, const std::vector<uint8_t>& index, int width,
                     int height, const std::vector<Rgb>& palette) {
  PixOwner pix(pixReadMem(reinterpret_cast<const l_uint8*>(png.data()), png.size()));
  if (!pix || pixGetWidth(pix.get()) != width || pixGetHeight(pix.get()) != height) return false;
  PIXCMAP* cmap = pixGetColormap(pix.get());
  if (!cmap) return false;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      l_uint32 v = 0;
      pixGetPixel(pix.get(), x, y, &v);
      if (v != index[size_t(y) * size_t(width) + size_t(x)]) return false;
      l_int32 r = 0, g = 0, b = 0;
      pixcmapGetColor(cmap, l_int32(v), &r, &g, &b);
      if (r != palette[v].r || g != palette[v].g || b != palette[v].b) return false;
    }
  }
  return true;
}

}  // namespace

int PngCodec(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  const int width = 1 + in.Byte() % 200, height = 1 + in.Byte() % 120;
  std::vector<Rgb> palette(1 + in.Byte() % 16);
  for (Rgb& c : palette) c = {in.Byte(), in.Byte(), in.Byte()};
  // Pixels: runs of one index (what a page view is made of), then whatever bytes are left.
  std::vector<uint8_t> index(size_t(width) * size_t(height));
  for (size_t i = 0; i < index.size();) {
    const uint8_t v = uint8_t(in.Byte() % palette.size());
    const size_t run = 1 + in.Byte() % 64;
    for (size_t k = 0; k < run && i < index.size(); ++k) index[i++] = v;
  }
  PngBands bands;
  auto first = EncodePalettePng4(index, width, height, palette, &bands);
  if (!first.ok() || !LibpngReadsBack(*first, index, width, height, palette)) __builtin_trap();
  // The next image of the same size: some rows changed, the others copied from the first.
  if (in.empty()) return 0;
  for (int changes = in.Byte() % 8; changes > 0; --changes) {
    const size_t at = (size_t(in.Byte()) * 251 + in.Byte()) % index.size();
    index[at] = uint8_t(in.Byte() % palette.size());
  }
  auto second = EncodePalettePng4(index, width, height, palette, &bands);
  if (!second.ok() || !LibpngReadsBack(*second, index, width, height, palette)) __builtin_trap();
  return 0;
}

int G4Codec(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  const int width = 1 + (in.Byte() << 2 | in.Byte() % 4), height = 1 + in.Byte() % 64;
  PixOwner pix(pixCreate(width, height, 1));
  if (!pix) return 0;
  for (int y = 0; y < height; ++y) {
    const uint8_t how = in.Byte();
    if (y > 0 && how % 3 == 0) {  // the row above, shifted by -3..3 pixels: vertical modes
      const int shift = int(how / 3 % 7) - 3;
      for (int x = 0; x < width; ++x) {
        l_uint32 v = 0;
        pixGetPixel(pix.get(), std::clamp(x - shift, 0, width - 1), y - 1, &v);
        pixSetPixel(pix.get(), x, y, v);
      }
      continue;
    }
    bool black = how & 1;
    for (int x = 0; x < width;) {
      const int run = 1 + (in.empty() ? width : in.Byte() * (how & 2 ? 8 : 1));
      for (int k = 0; k < run && x < width; ++k, ++x) pixSetPixel(pix.get(), x, y, black);
      black = !black;
    }
  }
  const std::string ours =
      EncodeCcittG4(pixGetData(pix.get()), pixGetWpl(pix.get()), width, height);
  L_COMP_DATA* cid = nullptr;
  if (pixGenerateCIData(pix.get(), L_G4_ENCODE, 0, 0, &cid) != 0 || !cid) return 0;
  std::string theirs(reinterpret_cast<const char*>(cid->datacomp), cid->nbytescomp);
  l_CIDataDestroy(&cid);
  // Leptonica pads libtiff's strip to an even length with a zero byte.
  if (theirs.size() == ours.size() + 1 && ours.size() % 2 == 1 && theirs.back() == '\0') {
    theirs.pop_back();
  }
  if (ours != theirs) __builtin_trap();
  return 0;
}

}  // namespace redact::fuzz
