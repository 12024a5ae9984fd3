#pragma once
// A palette PNG (ISO/IEC 15948) of a small image, deflated here (zlib for its checksums): what
// the report's page views need, without a decoder's round trip through a general image library.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/core/status.h"

namespace redact {

struct Rgb {
  uint8_t r, g, b;
};

// What one encoding leaves for the next of an image of the same size: its rows as compressed
// and, band by band, the compressed bytes and their checksum. A band of rows that comes out
// the same in the next image is not compressed again (a page's release differs from its
// original only in the lines that had something redacted).
struct PngBands {
  int width = 0, height = 0;
  std::vector<uint8_t> rows;        // filter byte and packed pixels, row after row
  std::vector<std::string> packed;  // each band deflated on its own (a full flush after it)
  std::vector<uint32_t> checksums;  // each band's Adler-32
};

// `index` holds `width` x `height` palette indices (row after row, one byte each, each below
// palette.size() <= 16), written 4 bits a pixel, deflated by repeats of the pixels to the left
// and of the row above.
// With `bands`, bands of rows the same as in the image `bands` was left by are copied from it,
// and `bands` is left by this image.
Result<std::string> EncodePalettePng4(const std::vector<uint8_t>& index, int width, int height,
                                      const std::vector<Rgb>& palette, PngBands* bands = nullptr);

}  // namespace redact
