#include "pipeline/image/png.h"

#include <zlib.h>

namespace redact {
namespace {

void Put32(std::string* out, uint32_t v) {
  out->push_back(char(v >> 24));
  out->push_back(char(v >> 16));
  out->push_back(char(v >> 8));
  out->push_back(char(v));
}

// One chunk: length, type, data, and the CRC of type and data.
void Chunk(std::string* out, const char type[5], const std::string& data) {
  Put32(out, uint32_t(data.size()));
  const size_t start = out->size();
  out->append(type, 4);
  out->append(data);
  const auto* bytes = reinterpret_cast<const Bytef*>(out->data() + start);
  Put32(out, uint32_t(crc32(crc32(0, nullptr, 0), bytes, uInt(out->size() - start))));
}

}  // namespace

Result<std::string> EncodePalettePng4(const std::vector<uint8_t>& index, int width, int height,
                                      const std::vector<Rgb>& palette, int level) {
  if (width <= 0 || height <= 0 || index.size() < size_t(width) * size_t(height) ||
      palette.empty() || palette.size() > 16) {
    return Status::InvalidInput("a PNG needs an image and a palette of 1 to 16 colours");
  }
  // Each row: filter type 0 (none: the rows of a page view are mostly runs of one value,
  // which deflate takes as they are), then two pixels a byte, the first in the high bits.
  const size_t row_bytes = (size_t(width) + 1) / 2;
  std::string raw((row_bytes + 1) * size_t(height), '\0');
  for (int y = 0; y < height; ++y) {
    const uint8_t* in = index.data() + size_t(y) * size_t(width);
    auto* out = reinterpret_cast<uint8_t*>(raw.data()) + size_t(y) * (row_bytes + 1) + 1;
    for (int x = 0; x + 1 < width; x += 2) *out++ = uint8_t((in[x] << 4) | (in[x + 1] & 15));
    if (width % 2) *out = uint8_t(in[width - 1] << 4);
  }
  // Deflate's run-length strategy: a page view is runs of paper and of ink, which it takes
  // at a fraction of the cost of searching for repeats (the PNG a fifth larger).
  z_stream z = {};
  if (deflateInit2(&z, level, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
    return Status::Engine("zlib could not start compressing a PNG");
  }
  std::string packed(deflateBound(&z, uLong(raw.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = uInt(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = uInt(packed.size());
  const int done = deflate(&z, Z_FINISH);
  packed.resize(z.total_out);
  deflateEnd(&z);
  if (done != Z_STREAM_END) return Status::Engine("zlib could not compress a PNG");

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  Put32(&header, uint32_t(width));
  Put32(&header, uint32_t(height));
  header += std::string("\x04\x03\x00\x00\x00", 5);  // 4 bits, palette, deflate, no interlace
  Chunk(&png, "IHDR", header);
  std::string colours;
  for (const Rgb& c : palette) colours += {char(c.r), char(c.g), char(c.b)};
  Chunk(&png, "PLTE", colours);
  Chunk(&png, "IDAT", packed);
  Chunk(&png, "IEND", "");
  return png;
}

}  // namespace redact
