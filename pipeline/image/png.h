#pragma once
// A palette PNG (ISO/IEC 15948) of a small image, written with zlib: what the report's page
// views need, without a decoder's round trip through a general image library.

#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/core/status.h"

namespace redact {

struct Rgb {
  uint8_t r, g, b;
};

// `index` holds `width` x `height` palette indices (row after row, one byte each, each below
// palette.size() <= 16), written 4 bits a pixel, deflated by runs (zlib's Z_RLE) at `level`.
Result<std::string> EncodePalettePng4(const std::vector<uint8_t>& index, int width, int height,
                                      const std::vector<Rgb>& palette, int level = 1);

}  // namespace redact
