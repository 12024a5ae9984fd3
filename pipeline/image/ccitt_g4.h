#pragma once
// CCITT Group 4 (ITU-T T.6) encoding of a bilevel page, as PDF's CCITTFaxDecode reads it with
// /K -1 and /BlackIs1 false: two-dimensional coding against the line above, ended by EOFB.
// The output is the same bit for bit as libtiff's, which is what Leptonica used to call.

#include <cstdint>
#include <string>

namespace redact {

// `rows` holds `height` lines of `words_per_line` 32-bit words each; pixel x of a line is bit
// (31 - x % 32) of word x / 32, and 1 is black (Leptonica's 1 bpp layout).
std::string EncodeCcittG4(const uint32_t* rows, int words_per_line, int width, int height);

}  // namespace redact
