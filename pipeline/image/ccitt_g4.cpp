#include "pipeline/image/ccitt_g4.h"

#include <vector>

namespace redact {
namespace {

struct Code {
  uint16_t bits;
  uint8_t length;
};

// ITU-T T.4 tables 2 and 3: terminating codes for runs 0..63, then make-up codes for 64..1728
// in steps of 64, for white and for black runs; and the make-up codes for 1792..2560 shared by
// both colours.
constexpr Code kWhiteTerminating[64] = {
    {0x35, 8}, {0x07, 6}, {0x07, 4}, {0x08, 4}, {0x0B, 4}, {0x0C, 4}, {0x0E, 4}, {0x0F, 4},
    {0x13, 5}, {0x14, 5}, {0x07, 5}, {0x08, 5}, {0x08, 6}, {0x03, 6}, {0x34, 6}, {0x35, 6},
    {0x2A, 6}, {0x2B, 6}, {0x27, 7}, {0x0C, 7}, {0x08, 7}, {0x17, 7}, {0x03, 7}, {0x04, 7},
    {0x28, 7}, {0x2B, 7}, {0x13, 7}, {0x24, 7}, {0x18, 7}, {0x02, 8}, {0x03, 8}, {0x1A, 8},
    {0x1B, 8}, {0x12, 8}, {0x13, 8}, {0x14, 8}, {0x15, 8}, {0x16, 8}, {0x17, 8}, {0x28, 8},
    {0x29, 8}, {0x2A, 8}, {0x2B, 8}, {0x2C, 8}, {0x2D, 8}, {0x04, 8}, {0x05, 8}, {0x0A, 8},
    {0x0B, 8}, {0x52, 8}, {0x53, 8}, {0x54, 8}, {0x55, 8}, {0x24, 8}, {0x25, 8}, {0x58, 8},
    {0x59, 8}, {0x5A, 8}, {0x5B, 8}, {0x4A, 8}, {0x4B, 8}, {0x32, 8}, {0x33, 8}, {0x34, 8}};
constexpr Code kWhiteMakeup[27] = {{0x1B, 5}, {0x12, 5}, {0x17, 6}, {0x37, 7}, {0x36, 8}, {0x37, 8},
                                   {0x64, 8}, {0x65, 8}, {0x68, 8}, {0x67, 8}, {0xCC, 9}, {0xCD, 9},
                                   {0xD2, 9}, {0xD3, 9}, {0xD4, 9}, {0xD5, 9}, {0xD6, 9}, {0xD7, 9},
                                   {0xD8, 9}, {0xD9, 9}, {0xDA, 9}, {0xDB, 9}, {0x98, 9}, {0x99, 9},
                                   {0x9A, 9}, {0x18, 6}, {0x9B, 9}};
constexpr Code kBlackTerminating[64] = {
    {0x37, 10}, {0x02, 3},  {0x03, 2},  {0x02, 2},  {0x03, 3},  {0x03, 4},  {0x02, 4},  {0x03, 5},
    {0x05, 6},  {0x04, 6},  {0x04, 7},  {0x05, 7},  {0x07, 7},  {0x04, 8},  {0x07, 8},  {0x18, 9},
    {0x17, 10}, {0x18, 10}, {0x08, 10}, {0x67, 11}, {0x68, 11}, {0x6C, 11}, {0x37, 11}, {0x28, 11},
    {0x17, 11}, {0x18, 11}, {0xCA, 12}, {0xCB, 12}, {0xCC, 12}, {0xCD, 12}, {0x68, 12}, {0x69, 12},
    {0x6A, 12}, {0x6B, 12}, {0xD2, 12}, {0xD3, 12}, {0xD4, 12}, {0xD5, 12}, {0xD6, 12}, {0xD7, 12},
    {0x6C, 12}, {0x6D, 12}, {0xDA, 12}, {0xDB, 12}, {0x54, 12}, {0x55, 12}, {0x56, 12}, {0x57, 12},
    {0x64, 12}, {0x65, 12}, {0x52, 12}, {0x53, 12}, {0x24, 12}, {0x37, 12}, {0x38, 12}, {0x27, 12},
    {0x28, 12}, {0x58, 12}, {0x59, 12}, {0x2B, 12}, {0x2C, 12}, {0x5A, 12}, {0x66, 12}, {0x67, 12}};
constexpr Code kBlackMakeup[27] = {
    {0x0F, 10}, {0xC8, 12}, {0xC9, 12}, {0x5B, 12}, {0x33, 12}, {0x34, 12}, {0x35, 12},
    {0x6C, 13}, {0x6D, 13}, {0x4A, 13}, {0x4B, 13}, {0x4C, 13}, {0x4D, 13}, {0x72, 13},
    {0x73, 13}, {0x74, 13}, {0x75, 13}, {0x76, 13}, {0x77, 13}, {0x52, 13}, {0x53, 13},
    {0x54, 13}, {0x55, 13}, {0x5A, 13}, {0x5B, 13}, {0x64, 13}, {0x65, 13}};
constexpr Code kExtendedMakeup[13] = {{0x08, 11}, {0x0C, 11}, {0x0D, 11}, {0x12, 12}, {0x13, 12},
                                      {0x14, 12}, {0x15, 12}, {0x16, 12}, {0x17, 12}, {0x1C, 12},
                                      {0x1D, 12}, {0x1E, 12}, {0x1F, 12}};
// T.6 table 1: the two-dimensional modes.
constexpr Code kPass = {0x1, 4};
constexpr Code kHorizontal = {0x1, 3};
constexpr Code kVertical[7] = {{0x02, 7}, {0x02, 6}, {0x02, 3}, {0x1, 1},
                               {0x03, 3}, {0x03, 6}, {0x03, 7}};  // a1 - b1 = -3..3
constexpr Code kEol = {0x001, 12};

class BitWriter {
 public:
  void Put(Code c) {
    acc_ = (acc_ << c.length) | c.bits;
    n_ += c.length;
    while (n_ >= 8) {
      n_ -= 8;
      out_.push_back(char((acc_ >> n_) & 0xFF));
    }
  }
  std::string Finish() {
    if (n_ > 0) out_.push_back(char((acc_ << (8 - n_)) & 0xFF));
    n_ = 0;
    return std::move(out_);
  }

 private:
  uint64_t acc_ = 0;
  int n_ = 0;
  std::string out_;
};

void PutRun(BitWriter* w, int run, bool black) {
  while (run >= 2560) {
    w->Put(kExtendedMakeup[12]);
    run -= 2560;
  }
  if (run >= 1792) {
    w->Put(kExtendedMakeup[(run - 1792) / 64]);
    run %= 64;
  } else if (run >= 64) {
    w->Put(black ? kBlackMakeup[run / 64 - 1] : kWhiteMakeup[run / 64 - 1]);
    run %= 64;
  }
  w->Put(black ? kBlackTerminating[run] : kWhiteTerminating[run]);
}

// The changing elements of one line: positions where the colour differs from the pixel to
// the left (the pixel before the line is white). Even entries start black runs, odd ones
// white runs. Ends with `width` twice, so b1/b2 and a1/a2 lookups never run off the end.
void ChangingElements(const uint32_t* row, int width, std::vector<int>* out) {
  out->clear();
  const int words = (width + 31) / 32;
  bool black = false;
  int x = 0;
  while (x < width) {
    // Find the next pixel of the other colour.
    int w = x >> 5;
    uint32_t bits = black ? ~row[w] : row[w];
    bits &= 0xFFFFFFFFu >> (x & 31);
    while (bits == 0 && ++w < words) bits = black ? ~row[w] : row[w];
    if (bits == 0) break;
    x = (w << 5) + __builtin_clz(bits);
    if (x >= width) break;
    out->push_back(x);
    black = !black;
  }
  out->push_back(width);
  out->push_back(width);
}

}  // namespace

std::string EncodeCcittG4(const uint32_t* rows, int words_per_line, int width, int height) {
  BitWriter w;
  std::vector<int> ref = {width, width}, cur;
  for (int y = 0; y < height; ++y) {
    ChangingElements(rows + size_t(y) * size_t(words_per_line), width, &cur);
    int a0 = -1;
    bool black = false;  // colour of a0
    size_t ai = 0;       // index of a1 in cur: the first change after a0
    size_t bi = 0;       // the first change on the reference line after a0
    while (a0 < width) {
      // a1: next change on the coding line after a0; it is of the other colour by construction.
      while (cur[ai] <= a0 && cur[ai] < width) ++ai;
      const int a1 = cur[ai];
      // b1: first change on the reference line after a0 whose colour is not a0's: changes at
      // even indexes turn black, so b1 has an even index when a0 is white.
      // (bi only ever passes changes at or before a0, which only moves right.)
      while (ref[bi] <= a0 && ref[bi] < width) ++bi;
      size_t b1i = bi;
      if ((b1i & 1) != (black ? 1u : 0u) && ref[b1i] < width) ++b1i;
      const int b1 = ref[b1i];
      const int b2 = ref[b1i + 1 < ref.size() ? b1i + 1 : b1i];
      if (b2 < a1) {
        w.Put(kPass);
        a0 = b2;
      } else if (a1 - b1 >= -3 && a1 - b1 <= 3) {
        w.Put(kVertical[a1 - b1 + 3]);
        a0 = a1;
        black = !black;
      } else {
        const int a2 = cur[ai + 1 < cur.size() ? ai + 1 : ai];
        w.Put(kHorizontal);
        PutRun(&w, a1 - (a0 < 0 ? 0 : a0), black);
        PutRun(&w, a2 - a1, !black);
        a0 = a2;
      }
    }
    std::swap(ref, cur);
  }
  w.Put(kEol);
  w.Put(kEol);
  return w.Finish();
}

}  // namespace redact
