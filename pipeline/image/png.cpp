#include "pipeline/image/png.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

namespace redact {
namespace {

// Rows a band: small enough that a line of text changed costs a few bands, large enough that
// a block's code tables a band cost little.
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

// Deflate (RFC 1951), written here for what a page view is: runs of paper, rows like the row
// above, and a few greys. Each band is one block with its own Huffman codes, its repeats
// taken from the pixel to its left or the row above (no search), and ends on a byte boundary
// (an empty stored block), so that the bands can be deflated apart and put end to end.

// Bits, first bit first, as deflate writes them.
class BitWriter {
 public:
  explicit BitWriter(std::string* out) : out_(out) {}
  void Put(uint32_t bits, int count) {
    acc_ |= uint64_t(bits) << count_;
    count_ += count;
    if (count_ >= 32) {
      const char four[4] = {char(acc_), char(acc_ >> 8), char(acc_ >> 16), char(acc_ >> 24)};
      out_->append(four, 4);
      acc_ >>= 32;
      count_ -= 32;
    }
  }
  // To the next byte boundary, and what is held written out.
  void Flush() {
    for (; count_ > 0; count_ -= 8, acc_ >>= 8) out_->push_back(char(acc_));
    count_ = 0;
    acc_ = 0;
  }

 private:
  std::string* out_;
  uint64_t acc_ = 0;
  int count_ = 0;
};

// A symbol's code: its bits (in the order they are written) and how many.
struct Code {
  uint16_t bits = 0;
  uint8_t length = 0;
};

// Code lengths for `freq` (a length for every symbol with a count, none longer than `limit`),
// by Huffman's construction; where that would be too deep, again with the counts halved.
void CodeLengths(std::vector<uint32_t> freq, int limit, std::vector<uint8_t>* lengths) {
  const size_t n = freq.size();
  lengths->assign(n, 0);
  std::vector<uint32_t> symbols;
  for (;;) {
    symbols.clear();
    for (size_t i = 0; i < n; ++i) {
      if (freq[i]) symbols.push_back(uint32_t(i));
    }
    const size_t m = symbols.size();
    if (m == 0) return;
    if (m == 1) {
      (*lengths)[symbols[0]] = 1;
      return;
    }
    std::stable_sort(symbols.begin(), symbols.end(),
                     [&](uint32_t a, uint32_t b) { return freq[a] < freq[b]; });
    // Two queues: the leaves by count, and the joined nodes, made in order of count.
    std::vector<uint64_t> weight(2 * m - 1);
    std::vector<uint32_t> parent(2 * m - 1, 0);
    for (size_t i = 0; i < m; ++i) weight[i] = freq[symbols[i]];
    size_t leaf = 0, joined = m;
    auto smallest = [&](size_t made) {
      if (leaf < m && (joined >= made || weight[leaf] <= weight[joined])) return leaf++;
      return joined++;
    };
    for (size_t made = m; made < 2 * m - 1; ++made) {
      const size_t a = smallest(made), b = smallest(made);
      weight[made] = weight[a] + weight[b];
      parent[a] = parent[b] = uint32_t(made);
    }
    std::vector<uint8_t> depth(2 * m - 1, 0);
    int deepest = 0;
    for (size_t i = 2 * m - 1; i-- > 0;) {
      if (i < 2 * m - 2) depth[i] = uint8_t(std::min(255, depth[parent[i]] + 1));
      if (i < m) deepest = std::max(deepest, int(depth[i]));
    }
    if (deepest <= limit) {
      for (size_t i = 0; i < m; ++i) (*lengths)[symbols[i]] = depth[i];
      return;
    }
    for (uint32_t& f : freq) f = f ? (f + 1) / 2 : 0;
  }
}

// The canonical codes (RFC 1951 3.2.2) of `lengths`, each bit-reversed to be written first
// bit first.
std::vector<Code> Codes(const std::vector<uint8_t>& lengths) {
  uint16_t count[16] = {}, next[16] = {};
  for (uint8_t l : lengths) ++count[l];
  count[0] = 0;
  for (int bits = 1, code = 0; bits < 16; ++bits) {
    code = (code + count[bits - 1]) << 1;
    next[bits] = uint16_t(code);
  }
  std::vector<Code> codes(lengths.size());
  for (size_t i = 0; i < lengths.size(); ++i) {
    const int l = lengths[i];
    if (!l) continue;
    uint32_t c = next[l]++, reversed = 0;
    for (int b = 0; b < l; ++b, c >>= 1) reversed = (reversed << 1) | (c & 1);
    codes[i] = {uint16_t(reversed), uint8_t(l)};
  }
  return codes;
}

// The order in which a block gives the code-length code's lengths.
constexpr uint8_t kClOrder[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

// Lengths 3 to 258 as symbols 257 to 285 and extra bits (RFC 1951 3.2.5).
struct LengthCodes {
  uint16_t symbol[259];
  uint8_t extra[259];
  uint16_t base[259];
  LengthCodes() {
    static constexpr uint16_t kBase[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                           15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                           67, 83, 99, 115, 131, 163, 195, 227, 258};
    for (int s = 0; s < 29; ++s) {
      const int top = s == 28 ? 259 : kBase[s + 1];
      for (int len = kBase[s]; len < top; ++len) {
        symbol[len] = uint16_t(257 + s);
        base[len] = kBase[s];
        extra[len] = uint8_t(s < 8 || s == 28 ? 0 : (s - 4) / 4);
      }
    }
  }
};

// A distance's symbol (0 to 29), extra bits and their value.
void DistanceCode(uint32_t distance, uint32_t* symbol, int* extra, uint32_t* value) {
  if (distance <= 4) {
    *symbol = distance - 1;
    *extra = 0;
    *value = 0;
    return;
  }
  const int top = 31 - std::countl_zero(distance - 1);  // highest bit of distance - 1
  *extra = top - 1;
  *symbol = uint32_t(2 * top + (((distance - 1) >> (top - 1)) & 1));
  *value = (distance - 1) & ((1u << *extra) - 1);
}

// How many bytes from `a` equal those from `b`, up to `most`.
inline size_t Same(const uint8_t* a, const uint8_t* b, size_t most) {
  size_t n = 0;
  if constexpr (std::endian::native == std::endian::little) {
    for (; n + 8 <= most; n += 8) {
      uint64_t x, y;
      std::memcpy(&x, a + n, 8);
      std::memcpy(&y, b + n, 8);
      if (x != y) return n + size_t(std::countr_zero(x ^ y) / 8);
    }
  }
  while (n < most && a[n] == b[n]) ++n;
  return n;
}

const LengthCodes& Lengths() {
  static const LengthCodes codes;
  return codes;
}

// An image's bands as tokens: a byte (below 256), or a repeat, its length << 16 | 1 (of the
// byte to the left) or 2 (of the row above); and how often each symbol comes, over them all.
struct Tokens {
  std::vector<uint32_t> tokens;
  std::vector<uint32_t> lit_freq = std::vector<uint32_t>(286, 0);
  std::vector<uint32_t> dist_freq = std::vector<uint32_t>(30, 0);
};

// Appends the tokens of one band, `data` (whole rows of `stride` bytes): at each byte the
// longer repeat of the row above or of the byte to the left, if 3 bytes or more, else the byte.
void Tokenise(const uint8_t* data, size_t size, size_t stride, uint32_t row_symbol, Tokens* t) {
  const LengthCodes& lengths = Lengths();
  const bool above = stride <= 32768;
  for (size_t i = 0; i < size;) {
    const size_t most = std::min<size_t>(258, size - i);
    size_t best = 0;
    uint32_t from = 0;
    if (above && i >= stride && most >= 3 && data[i] == data[i - stride]) {
      const size_t n = Same(data + i, data + i - stride, most);
      if (n >= 3) best = n, from = 2;
    }
    if (best < most && i >= 1 && most >= 3 && data[i] == data[i - 1]) {
      const size_t n = Same(data + i, data + i - 1, most);
      if (n >= 3 && n > best) best = n, from = 1;
    }
    if (best) {
      t->tokens.push_back(uint32_t(best) << 16 | from);
      ++t->lit_freq[lengths.symbol[best]];
      ++t->dist_freq[from == 1 ? 0 : row_symbol];
      i += best;
    } else {
      t->tokens.push_back(data[i]);
      ++t->lit_freq[data[i]];
      ++i;
    }
  }
}

// The Huffman codes of an image's blocks, and the bits that describe them at each block's
// start.
struct BlockCodes {
  std::vector<Code> lit, dist, cl;
  size_t hlit = 0, hdist = 0;
  int hclen = 0;
  std::vector<uint8_t> cl_len;
  std::vector<std::pair<uint8_t, uint8_t>> runs;  // the code lengths: symbol, extra value
};

BlockCodes MakeCodes(const Tokens& t) {
  std::vector<uint32_t> lit_freq = t.lit_freq, dist_freq = t.dist_freq;
  ++lit_freq[256];  // the end of the block
  // Two distance codes at least (as zlib writes them: some readers want one of a bit).
  if (std::count_if(dist_freq.begin(), dist_freq.end(), [](uint32_t f) { return f; }) < 2) {
    dist_freq[0] = std::max(dist_freq[0], 1u);
    dist_freq[1] = std::max(dist_freq[1], 1u);
  }
  BlockCodes c;
  std::vector<uint8_t> lit_len, dist_len;
  CodeLengths(lit_freq, 15, &lit_len);
  CodeLengths(dist_freq, 15, &dist_len);
  c.hlit = 286;
  c.hdist = 30;
  while (c.hlit > 257 && !lit_len[c.hlit - 1]) --c.hlit;
  while (c.hdist > 1 && !dist_len[c.hdist - 1]) --c.hdist;
  // The code lengths, run-length coded: 16 repeats the last 3-6 times, 17 and 18 are 3-10 and
  // 11-138 zeros.
  std::vector<uint8_t> all(lit_len.begin(), lit_len.begin() + long(c.hlit));
  all.insert(all.end(), dist_len.begin(), dist_len.begin() + long(c.hdist));
  for (size_t i = 0; i < all.size();) {
    const uint8_t v = all[i];
    size_t run = 1;
    while (i + run < all.size() && all[i + run] == v) ++run;
    i += run;
    if (v == 0) {
      for (; run >= 11; run -= std::min<size_t>(run, 138)) {
        c.runs.push_back({18, uint8_t(std::min<size_t>(run, 138) - 11)});
      }
      if (run >= 3) {
        c.runs.push_back({17, uint8_t(run - 3)});
        run = 0;
      }
    } else {
      c.runs.push_back({v, 0});
      --run;
      for (; run >= 3; run -= std::min<size_t>(run, 6)) {
        c.runs.push_back({16, uint8_t(std::min<size_t>(run, 6) - 3)});
      }
    }
    for (; run > 0; --run) c.runs.push_back({v, 0});
  }
  std::vector<uint32_t> cl_freq(19, 0);
  for (const auto& r : c.runs) ++cl_freq[r.first];
  // Two code-length codes at least: readers refuse an incomplete set of them.
  if (std::count_if(cl_freq.begin(), cl_freq.end(), [](uint32_t f) { return f; }) < 2) {
    ++cl_freq[cl_freq[0] ? 18 : 0];
  }
  CodeLengths(cl_freq, 7, &c.cl_len);
  c.hclen = 19;
  while (c.hclen > 4 && !c.cl_len[kClOrder[c.hclen - 1]]) --c.hclen;
  c.lit = Codes(lit_len);
  c.dist = Codes(dist_len);
  c.cl = Codes(c.cl_len);
  return c;
}

// Tokens [from, to) as a block of their own: not the last, and ended on a byte boundary.
void WriteBlock(const BlockCodes& c, const uint32_t* from, const uint32_t* to, size_t stride,
                std::string* out) {
  const LengthCodes& lengths = Lengths();
  BitWriter w(out);
  w.Put(0, 1);  // not the last block
  w.Put(2, 2);  // dynamic Huffman codes
  w.Put(uint32_t(c.hlit - 257), 5);
  w.Put(uint32_t(c.hdist - 1), 5);
  w.Put(uint32_t(c.hclen - 4), 4);
  for (int i = 0; i < c.hclen; ++i) w.Put(c.cl_len[kClOrder[i]], 3);
  static constexpr int kRunExtra[3] = {2, 3, 7};
  for (const auto& [symbol, value] : c.runs) {
    w.Put(c.cl[symbol].bits, c.cl[symbol].length);
    if (symbol >= 16) w.Put(value, kRunExtra[symbol - 16]);
  }
  uint32_t row_symbol = 0, row_value = 0;
  int row_extra = 0;
  if (stride <= 32768) DistanceCode(uint32_t(stride), &row_symbol, &row_extra, &row_value);
  const Code left = c.dist[0], up = c.dist[row_symbol];
  for (const uint32_t* t = from; t != to; ++t) {
    if (*t < 256) {
      w.Put(c.lit[*t].bits, c.lit[*t].length);
      continue;
    }
    const uint32_t len = *t >> 16;
    const Code& l = c.lit[lengths.symbol[len]];
    w.Put(l.bits, l.length);
    if (lengths.extra[len]) w.Put(len - lengths.base[len], lengths.extra[len]);
    if ((*t & 3) == 1) {
      w.Put(left.bits, left.length);
    } else {
      w.Put(up.bits, up.length);
      if (row_extra) w.Put(row_value, row_extra);
    }
  }
  w.Put(c.lit[256].bits, c.lit[256].length);
  // An empty stored block: to a byte boundary, then its length, 0, and that length's
  // complement.
  w.Put(0, 3);
  w.Flush();
  out->append("\x00\x00\xff\xff", 4);
}

}  // namespace

Result<std::string> EncodePalettePng4(const std::vector<uint8_t>& index, int width, int height,
                                      const std::vector<Rgb>& palette, PngBands* bands) {
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
  // Bands of rows deflated one by one, each a block read without what came before it: the
  // stream is their concatenation, and a band the same as the last image's is its bytes again.
  const size_t band_count = (size_t(height) + kBandRows - 1) / kBandRows;
  PngBands unused;
  PngBands& last = bands ? *bands : unused;
  const bool same_size = last.width == width && last.height == height &&
                         last.rows.size() == rows.size() && last.packed.size() == band_count &&
                         last.checksums.size() == band_count;
  std::vector<std::string> packed(band_count);
  std::vector<uint32_t> checksums(band_count);
  // First the tokens of every band to compress, then one set of codes for them all: each
  // band's block starts with the same description of them.
  Tokens tokens;
  uint32_t row_symbol = 0, row_value = 0;
  int row_extra = 0;
  if (stride <= 32768) DistanceCode(uint32_t(stride), &row_symbol, &row_extra, &row_value);
  std::vector<size_t> starts(band_count + 1, 0);
  std::vector<bool> again(band_count, false);
  for (size_t b = 0; b < band_count; ++b) {
    const size_t offset = b * kBandRows * stride;
    const size_t length = std::min(rows.size() - offset, kBandRows * stride);
    starts[b] = tokens.tokens.size();
    if (same_size && std::memcmp(rows.data() + offset, last.rows.data() + offset, length) == 0) {
      packed[b] = std::move(last.packed[b]);
      checksums[b] = last.checksums[b];
      continue;
    }
    again[b] = true;
    checksums[b] = uint32_t(adler32_z(adler32_z(0, nullptr, 0), rows.data() + offset, length));
    Tokenise(rows.data() + offset, length, stride, row_symbol, &tokens);
  }
  starts[band_count] = tokens.tokens.size();
  if (std::find(again.begin(), again.end(), true) != again.end()) {
    const BlockCodes codes = MakeCodes(tokens);
    for (size_t b = 0; b < band_count; ++b) {
      if (!again[b]) continue;
      packed[b].reserve((starts[b + 1] - starts[b]) + 128);
      WriteBlock(codes, tokens.tokens.data() + starts[b], tokens.tokens.data() + starts[b + 1],
                 stride, &packed[b]);
    }
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
