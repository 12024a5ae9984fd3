#include "pipeline/image/png.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace redact {
namespace {

// Rows a band: small enough that a line of text changed costs a few bands, large enough that
// a block and a flush a band cost little.
constexpr size_t kBandRows = 32;

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
                                      const std::vector<Rgb>& palette, int level, PngBands* bands) {
  if (width <= 0 || height <= 0 || index.size() < size_t(width) * size_t(height) ||
      palette.empty() || palette.size() > 16) {
    return Status::InvalidInput("a PNG needs an image and a palette of 1 to 16 colours");
  }
  // Each row: filter type 0 (none: the rows of a page view are mostly runs of one value,
  // which deflate takes as they are), then two pixels a byte, the first in the high bits.
  const size_t row_bytes = (size_t(width) + 1) / 2, stride = row_bytes + 1;
  std::vector<uint8_t> rows(stride * size_t(height));
  for (int y = 0; y < height; ++y) {
    const uint8_t* in = index.data() + size_t(y) * size_t(width);
    uint8_t* out = rows.data() + size_t(y) * stride;
    *out++ = 0;
    for (int x = 0; x + 1 < width; x += 2) *out++ = uint8_t((in[x] << 4) | (in[x + 1] & 15));
    if (width % 2) *out = uint8_t(in[width - 1] << 4);
  }
  // Bands of rows deflated one by one, each ended by a full flush (so that it can be read
  // without what came before it): the stream is their concatenation, and a band the same as
  // the last image's is its bytes again.
  const size_t band_count = (size_t(height) + kBandRows - 1) / kBandRows;
  PngBands unused;
  PngBands& last = bands ? *bands : unused;
  const bool same_size = last.width == width && last.height == height &&
                         last.rows.size() == rows.size() && last.packed.size() == band_count &&
                         last.checksums.size() == band_count;
  std::vector<std::string> packed(band_count);
  std::vector<uint32_t> checksums(band_count);
  // Deflate's run-length strategy: a page view is runs of paper and of ink, which it takes
  // at a fraction of the cost of searching for repeats (the PNG a fifth larger). Raw deflate:
  // the zlib header and checksum are written here, over all the bands. Memory level 6: the
  // hash table, which runs do not use but each flush clears, a quarter of the default's.
  z_stream z = {};
  bool started = false;
  Status failed = Status::Ok();
  for (size_t b = 0; b < band_count && failed.ok(); ++b) {
    const size_t offset = b * kBandRows * stride;
    const size_t length = std::min(rows.size() - offset, kBandRows * stride);
    if (same_size && std::memcmp(rows.data() + offset, last.rows.data() + offset, length) == 0) {
      packed[b] = std::move(last.packed[b]);
      checksums[b] = last.checksums[b];
      continue;
    }
    if (!started) {
      if (deflateInit2(&z, level, Z_DEFLATED, -15, 6, Z_RLE) != Z_OK) {
        last = PngBands{};
        return Status::Engine("zlib could not start compressing a PNG");
      }
      started = true;
    }
    checksums[b] = uint32_t(adler32_z(adler32_z(0, nullptr, 0), rows.data() + offset, length));
    std::string& out = packed[b];
    out.resize(deflateBound(&z, uLong(length)) + 16);
    z.next_in = rows.data() + offset;
    z.avail_in = uInt(length);
    size_t have = 0;
    for (;;) {  // a flush can need more than deflateBound says: more room until it is done
      z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
      z.avail_out = uInt(out.size() - have);
      const int r = deflate(&z, Z_FULL_FLUSH);
      have = out.size() - z.avail_out;
      if (r != Z_OK && r != Z_BUF_ERROR) {
        failed = Status::Engine("zlib could not compress a PNG");
        break;
      }
      if (z.avail_out != 0) break;
      out.resize(out.size() * 2);
    }
    out.resize(have);
  }
  if (started) deflateEnd(&z);
  if (!failed.ok()) {
    last = PngBands{};
    return failed;
  }

  std::string idat("\x78\x01", 2);  // deflate, 32 KiB window, fastest (a multiple of 31)
  uint32_t checksum = uint32_t(adler32_z(0, nullptr, 0));
  for (size_t b = 0; b < band_count; ++b) {
    idat += packed[b];
    const size_t length = std::min(rows.size() - b * kBandRows * stride, kBandRows * stride);
    checksum = uint32_t(adler32_combine(checksum, checksums[b], z_off_t(length)));
  }
  idat += std::string("\x03\x00", 2);  // the last block: final, fixed codes, empty
  Put32(&idat, checksum);
  if (bands) {
    bands->width = width;
    bands->height = height;
    bands->rows = std::move(rows);
    bands->packed = std::move(packed);
    bands->checksums = std::move(checksums);
  }

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  Put32(&header, uint32_t(width));
  Put32(&header, uint32_t(height));
  header += std::string("\x04\x03\x00\x00\x00", 5);  // 4 bits, palette, deflate, no interlace
  Chunk(&png, "IHDR", header);
  std::string colours;
  for (const Rgb& c : palette) colours += {char(c.r), char(c.g), char(c.b)};
  Chunk(&png, "PLTE", colours);
  Chunk(&png, "IDAT", idat);
  Chunk(&png, "IEND", "");
  return png;
}

}  // namespace redact
